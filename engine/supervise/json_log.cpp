#include "engine/supervise/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <fmt/format.h>

namespace stack::supervise {
namespace {

// Go's strconv.Quote for the error texts Docker passes through; the inputs
// here are option values, printable in practice.
std::string go_quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

// go-units FromHumanSize: a number (strconv.ParseFloat), an optional space,
// an optional decimal suffix k/m/g/t/p with an optional "b" or "ib", or "b".
Result<std::int64_t> parse_max_size(std::string_view text) {
  std::size_t sep = text.find_last_of("0123456789. ");
  if (sep == std::string_view::npos) return fail(fmt::format("invalid size: '{}'", text));
  std::string_view num = text[sep] == ' ' ? text.substr(0, sep) : text.substr(0, sep + 1);
  std::string sfx(text.substr(sep + 1));
  std::string_view digits = num;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  double size = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return fail(fmt::format("strconv.ParseFloat: parsing {}: invalid syntax", go_quote(num)));
  }
  if (size < 0) return fail(fmt::format("invalid size: '{}'", text));
  if (!sfx.empty()) {
    for (char& c : sfx) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto bad = [&] { return fail(fmt::format("invalid suffix: '{}'", sfx)); };
    if (sfx.size() > 3) return bad();
    if (sfx[0] == 'b') {
      if (sfx.size() > 1) return bad();
    } else {
      double mul = 0;
      switch (sfx[0]) {
        case 'k': mul = 1e3; break;
        case 'm': mul = 1e6; break;
        case 'g': mul = 1e9; break;
        case 't': mul = 1e12; break;
        case 'p': mul = 1e15; break;
        default: return bad();
      }
      if ((sfx.size() == 2 && sfx[1] != 'b') || (sfx.size() == 3 && sfx.substr(1) != "ib")) return bad();
      size *= mul;
    }
  }
  if (size >= 9.2e18) size = 9.2e18;
  auto bytes = static_cast<std::int64_t>(size);
  if (bytes <= 0) return fail("max-size must be a positive number");
  return bytes;
}

// strconv.Atoi, then Docker's lower bound.
Result<int> parse_max_file(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  long long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || digits[0] == '-' || end != digits.data() + digits.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return fail(fmt::format("strconv.Atoi: parsing {}: invalid syntax", go_quote(text)));
  }
  if (ec == std::errc::result_out_of_range || value > INT_MAX) {
    return fail(fmt::format("strconv.Atoi: parsing {}: value out of range", go_quote(text)));
  }
  if (negative) value = -value;
  if (value < 1) return fail("max-file cannot be less than 1");
  return static_cast<int>(value);
}

Result<JsonLogOptions> parse_json_log_options(const std::map<std::string, std::string>& opts) {
  for (const auto& [key, value] : opts) {
    static constexpr std::string_view kKnown[] = {"max-file", "max-size", "compress", "labels",
                                                  "labels-regex", "env", "env-regex", "tag"};
    bool known = false;
    for (auto k : kKnown) known = known || key == k;
    if (!known) return fail(fmt::format("unknown log opt '{}' for json-file log driver", key));
  }
  JsonLogOptions out;
  if (auto it = opts.find("max-size"); it != opts.end()) {
    auto size = parse_max_size(it->second);
    if (!size) return std::unexpected(size.error());
    out.max_size = *size;
  }
  if (auto it = opts.find("max-file"); it != opts.end()) {
    auto files = parse_max_file(it->second);
    if (!files) return std::unexpected(files.error());
    out.max_file = *files;
  }
  if (auto it = opts.find("compress"); it != opts.end()) {
    const std::string& v = it->second;
    if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") {
      out.compress = true;
    } else if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") {
      out.compress = false;
    } else {
      return fail(fmt::format("strconv.ParseBool: parsing {}: invalid syntax", go_quote(v)));
    }
    if (out.compress && (out.max_file == 1 || out.max_size == 0)) {
      return fail("compress cannot be true when max-file is less than 2 or max-size is not set");
    }
  }
  return out;
}

std::string format_log_time(LogTime t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<nanoseconds> hms{t - day};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  auto frac = hms.subseconds().count();
  if (frac != 0) {
    std::string digits = fmt::format(".{:09}", frac);
    while (digits.back() == '0') digits.pop_back();
    out += digits;
  }
  out += 'Z';
  return out;
}

namespace {

// Length of the valid UTF-8 sequence at s[i] (Go's utf8.DecodeRune rules:
// no overlongs, no surrogates, nothing above U+10FFFF), or 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  std::size_t n = 0;
  char32_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return n;
}

}  // namespace

void append_log_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t start = 0;
  auto flush = [&](std::size_t i) { out.append(s.substr(start, i - start)); };
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        ++i;
        continue;
      }
      flush(i);
      if (b == '\\' || b == '"') {
        out += '\\';
        out += static_cast<char>(b);
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else {
        out += "\\u00";
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
      }
      start = ++i;
      continue;
    }
    char32_t cp = 0;
    std::size_t n = utf8_sequence(s, i, cp);
    if (n == 0) {
      flush(i);
      out += "\\ufffd";
      start = ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      flush(i);
      out += "\\u202";
      out += kHex[cp & 0xF];
      start = i += n;
      continue;
    }
    i += n;
  }
  flush(s.size());
  out += '"';
}

std::string encode_log_record(std::string_view stream, std::string_view log, LogTime t) {
  // Field order and omitempty as Docker's JSONLogs.MarshalJSONBuf.
  std::string out;
  out.reserve(log.size() + 64);
  out += '{';
  bool first = true;
  if (!log.empty()) {
    out += "\"log\":";
    append_log_json_string(out, log);
    first = false;
  }
  if (!stream.empty()) {
    if (!first) out += ',';
    out += "\"stream\":";
    append_log_json_string(out, stream);
    first = false;
  }
  if (!first) out += ',';
  out += "\"time\":\"";
  out += format_log_time(t);
  out += "\"}\n";
  return out;
}

Result<JsonLogWriter> JsonLogWriter::open(std::string path, Options options) {
  if (options.max_file < 1) return fail("max-file cannot be less than 1");
  if (options.max_size < 0) return fail("max-size must be a positive number");
  if (options.compress) {
    if (options.max_file == 1 || options.max_size == 0) {
      return fail("compress cannot be true when max-file is less than 2 or max-size is not set");
    }
    return fail(fmt::format("open log {}: compress is not supported yet", path));
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd) return fail_errno(fmt::format("open log {}", path));
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return fail_errno(fmt::format("seek log {}", path));
  return JsonLogWriter(std::move(path), options, std::move(fd), size);
}

Result<JsonLogWriter::Pending*> JsonLogWriter::pending_for(std::string_view stream) {
  if (stream == "stdout") return &pending_[0];
  if (stream == "stderr") return &pending_[1];
  return fail(fmt::format("write log {}: unknown stream '{}'", path_, stream));
}

Result<void> JsonLogWriter::write(std::string_view stream, std::string_view bytes, LogTime timestamp) {
  auto slot = pending_for(stream);
  if (!slot) return std::unexpected(slot.error());
  Pending& p = **slot;
  while (!bytes.empty()) {
    std::size_t nl = bytes.find('\n');
    std::size_t room = kJsonLogPartialSize - p.bytes.size();
    if (nl != std::string_view::npos && nl < room) {
      // A complete line: the last piece of a cut line keeps the first piece's time.
      p.bytes.append(bytes.substr(0, nl + 1));
      bytes.remove_prefix(nl + 1);
      LogTime t = p.in_partial ? p.partial_time : timestamp;
      auto r = write_record(stream, p.bytes, t);
      p.bytes.clear();
      p.in_partial = false;
      if (!r) return r;
      continue;
    }
    std::size_t take = std::min(room, bytes.size());
    p.bytes.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (p.bytes.size() == kJsonLogPartialSize) {
      // Docker's copier: a full buffer with no newline goes out as a partial record.
      if (!p.in_partial) p.partial_time = timestamp;
      p.in_partial = true;
      auto r = write_record(stream, p.bytes, p.partial_time);
      p.bytes.clear();
      if (!r) return r;
    }
  }
  return {};
}

Result<void> JsonLogWriter::close_stream(std::string_view stream, LogTime timestamp) {
  auto slot = pending_for(stream);
  if (!slot) return std::unexpected(slot.error());
  Pending& p = **slot;
  Result<void> r;
  if (!p.bytes.empty()) r = write_record(stream, p.bytes, p.in_partial ? p.partial_time : timestamp);
  p = Pending{};
  return r;
}

Result<void> JsonLogWriter::write_record(std::string_view stream, std::string_view log, LogTime t) {
  // As Docker's LogFile.WriteLogEntry: rotate before a write once the file has
  // reached max-size, so a file exceeds it by at most one record.
  if (options_.max_size > 0 && size_ >= options_.max_size) {
    if (auto r = rotate(); !r) return r;
  }
  std::string record = encode_log_record(stream, log, t);
  std::string_view rest = record;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(fmt::format("write log {}", path_));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
    size_ += n;
  }
  return {};
}

Result<void> JsonLogWriter::rotate() {
  fd_.reset();
  if (options_.max_file < 2) {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return fail_errno(fmt::format("unlink log {}", path_));
  } else {
    std::string oldest = fmt::format("{}.{}", path_, options_.max_file - 1);
    if (::unlink(oldest.c_str()) != 0 && errno != ENOENT) return fail_errno(fmt::format("unlink log {}", oldest));
    for (int i = options_.max_file - 1; i > 1; --i) {
      std::string from = fmt::format("{}.{}", path_, i - 1), to = fmt::format("{}.{}", path_, i);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        return fail_errno(fmt::format("rename log {} to {}", from, to));
      }
    }
    std::string first = path_ + ".1";
    if (::rename(path_.c_str(), first.c_str()) != 0 && errno != ENOENT) {
      return fail_errno(fmt::format("rename log {} to {}", path_, first));
    }
  }
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd_) return fail_errno(fmt::format("reopen log {} after rotation", path_));
  size_ = 0;
  return {};
}

}  // namespace stack::supervise
