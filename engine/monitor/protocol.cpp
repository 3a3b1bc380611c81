#include "engine/monitor/protocol.h"

#include <charconv>
#include <climits>

namespace stack::monitor {

void encode_frame_header(FrameType type, std::size_t payload_size, char out[kFrameHeaderSize]) {
  auto n = static_cast<uint32_t>(payload_size);
  out[0] = static_cast<char>(type);
  out[1] = static_cast<char>((n >> 24) & 0xff);
  out[2] = static_cast<char>((n >> 16) & 0xff);
  out[3] = static_cast<char>((n >> 8) & 0xff);
  out[4] = static_cast<char>(n & 0xff);
}

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out(kFrameHeaderSize, '\0');
  encode_frame_header(type, payload.size(), out.data());
  out.append(payload);
  return out;
}

void FrameReader::feed(std::string_view bytes) {
  if (error_) return;
  // Drop what was consumed before growing the buffer.
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<std::pair<FrameType, std::string>> FrameReader::next() {
  if (error_ || buffer_.size() - pos_ < kFrameHeaderSize) return std::nullopt;
  const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
  if (h[0] > static_cast<unsigned char>(FrameType::resize)) {
    error_ = Error{"monitor protocol: unknown frame type " + std::to_string(h[0]), EPROTO};
    return std::nullopt;
  }
  std::size_t len = (std::size_t{h[1]} << 24) | (std::size_t{h[2]} << 16) | (std::size_t{h[3]} << 8) | h[4];
  if (len > kMaxFramePayload) {
    error_ = Error{"monitor protocol: frame of " + std::to_string(len) + " bytes is over the 1 MiB limit", EMSGSIZE};
    return std::nullopt;
  }
  if (buffer_.size() - pos_ - kFrameHeaderSize < len) return std::nullopt;
  auto type = static_cast<FrameType>(h[0]);
  std::string payload = buffer_.substr(pos_ + kFrameHeaderSize, len);
  pos_ += kFrameHeaderSize + len;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  return std::pair{type, std::move(payload)};
}

namespace {

// A flat JSON object of numbers and strings, which is all this protocol carries.
class FlatJson {
 public:
  explicit FlatJson(std::string_view text) : s_(text) {}

  // Calls on_value(key, number-or-nullopt, string-or-nullopt) for each member.
  template <class F>
  Result<void> parse(F&& on_member) {
    skip_ws();
    if (!eat('{')) return bad("expected '{'");
    skip_ws();
    if (eat('}')) return finish();
    for (;;) {
      skip_ws();
      std::string key;
      if (!string(key)) return bad("expected a string key");
      skip_ws();
      if (!eat(':')) return bad("expected ':'");
      skip_ws();
      if (i_ < s_.size() && s_[i_] == '"') {
        std::string value;
        if (!string(value)) return bad("bad string");
        on_member(key, std::optional<long long>{}, std::optional<std::string>{std::move(value)});
      } else {
        std::size_t start = i_;
        while (i_ < s_.size() && (s_[i_] == '-' || s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E' ||
                                  (s_[i_] >= '0' && s_[i_] <= '9')))
          ++i_;
        long long v = 0;
        auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + i_, v);
        if (ec != std::errc{} || p != s_.data() + i_ || start == i_) {
          // true/false/null and non-integers are skipped as unknown values.
          i_ = start;
          if (!skip_literal()) return bad("bad value");
          on_member(key, std::optional<long long>{}, std::optional<std::string>{});
        } else {
          on_member(key, std::optional<long long>{v}, std::optional<std::string>{});
        }
      }
      skip_ws();
      if (eat(',')) continue;
      if (eat('}')) return finish();
      return bad("expected ',' or '}'");
    }
  }

 private:
  Result<void> finish() {
    skip_ws();
    if (i_ != s_.size()) return bad("trailing data");
    return {};
  }
  std::unexpected<Error> bad(std::string_view what) const {
    return fail("monitor protocol: invalid JSON at offset " + std::to_string(i_) + ": " + std::string(what), EINVAL);
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool skip_literal() {
    for (std::string_view lit : {"true", "false", "null"})
      if (s_.substr(i_, lit.size()) == lit) {
        i_ += lit.size();
        return true;
      }
    return false;
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      char e = s_[i_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          if (i_ + 4 > s_.size()) return false;
          unsigned cp = 0;
          auto [p, ec] = std::from_chars(s_.data() + i_, s_.data() + i_ + 4, cp, 16);
          if (ec != std::errc{} || p != s_.data() + i_ + 4) return false;
          i_ += 4;
          // BMP only (timestamps and numbers never need more); UTF-8 encode.
          if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          } else {
            out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          }
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

bool fits_int(long long v) { return v >= INT_MIN && v <= INT_MAX; }

}  // namespace

std::string exit_json(const ExitInfo& info) {
  std::string out = "{\"ExitCode\":" + std::to_string(info.exit_code) + ",\"FinishedAt\":";
  append_json_string(out, info.finished_at);
  out += ",\"Pid\":" + std::to_string(info.pid) + "}";
  return out;
}

Result<ExitInfo> parse_exit_json(std::string_view json) {
  ExitInfo info;
  bool have_code = false, range_ok = true;
  auto r = FlatJson(json).parse([&](const std::string& key, std::optional<long long> n, std::optional<std::string> s) {
    if (key == "ExitCode" && n) {
      have_code = true;
      range_ok = range_ok && fits_int(*n);
      info.exit_code = static_cast<int>(*n);
    } else if (key == "FinishedAt" && s) {
      info.finished_at = std::move(*s);
    } else if (key == "Pid" && n) {
      range_ok = range_ok && fits_int(*n);
      info.pid = static_cast<int>(*n);
    }
  });
  if (!r) return std::unexpected(r.error().wrapped("exit status"));
  if (!have_code) return fail("exit status: no integer ExitCode", EINVAL);
  if (!range_ok) return fail("exit status: value out of range", EINVAL);
  return info;
}

std::string resize_json(int height, int width) {
  return "{\"Height\":" + std::to_string(height) + ",\"Width\":" + std::to_string(width) + "}";
}

Result<WindowSize> parse_resize_json(std::string_view json) {
  WindowSize size;
  bool have_h = false, have_w = false;
  auto r = FlatJson(json).parse([&](const std::string& key, std::optional<long long> n, const std::optional<std::string>&) {
    if (!n || *n < 0 || *n > 65535) return;
    if (key == "Height") {
      size.height = static_cast<int>(*n);
      have_h = true;
    } else if (key == "Width") {
      size.width = static_cast<int>(*n);
      have_w = true;
    }
  });
  if (!r) return std::unexpected(r.error().wrapped("resize"));
  if (!have_h || !have_w) return fail("resize: Height and Width must be integers from 0 to 65535", EINVAL);
  return size;
}

}  // namespace stack::monitor
