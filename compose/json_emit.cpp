#include "compose/json_emit.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "compose/yaml_emit.h"

namespace stack::compose {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !is_digit(s[i])) return false;
  if (s[i] == '0') ++i;
  else
    while (i < s.size() && is_digit(s[i])) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) return false;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !is_digit(s[i])) return false;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  return i == s.size();
}

// A YAML integer (sign, 0x/0o/0b, leading-0 octal, underscores) in decimal.
std::string int_to_decimal(std::string_view text) {
  std::string s;
  for (char c : text)
    if (c != '_') s += c;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') negative = s[i++] == '-';
  int base = 10;
  if (s.size() - i >= 3 && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'x') base = 16, i += 2;
    else if (p == 'o') base = 8, i += 2;
    else if (p == 'b') base = 2, i += 2;
  }
  if (base == 10 && s.size() - i > 1 && s[i] == '0') base = 8, ++i;
  std::uint64_t v = 0;  // fits: resolve_plain() said Int
  for (; i < s.size(); ++i) {
    char c = s[i];
    int d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    v = v * base + d;
  }
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return negative && digits != "0" ? "-" + digits : digits;
}

// encoding/json's float64 format: shortest round-trip digits, %f between 1e-6
// and 1e21, otherwise %e with a one-digit negative exponent kept short (1e-7).
std::string float_to_json(double f) {
  char buf[64];
  double a = std::fabs(f);
  bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
  auto r = std::to_chars(buf, buf + sizeof buf, f, exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string out(buf, r.ptr);
  if (exp) {
    size_t n = out.size();
    if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
  }
  return out;
}

void append_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          // Control characters, and <, >, & because Go escapes HTML by default.
          if (b < 0x20 || b == '<' || b == '>' || b == '&') {
            out += "\\u00";
            out += hex[b >> 4];
            out += hex[b & 0xF];
          } else {
            out += static_cast<char>(b);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte: copy valid UTF-8, \ufffd for each invalid byte, escape U+2028/9.
    size_t n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size();
    char32_t cp = n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; ok && k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (ok) {
      static const char32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min_for_length[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!ok) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) out += cp == 0x2028 ? "\\u2028" : "\\u2029";
    else out.append(s.substr(i, n));
    i += n;
  }
  out += '"';
}

void append_scalar(std::string& out, const Node& n) {
  if (n.is_null()) {
    out += "null";
    return;
  }
  const std::string& v = n.value();
  if (!n.quoted() && !v.empty()) {
    switch (resolve_plain(v)) {
      case PlainTag::Null: out += "null"; return;
      case PlainTag::Bool: out += (v[0] == 't' || v[0] == 'T') ? "true" : "false"; return;
      case PlainTag::Int: out += is_json_number(v) ? v : int_to_decimal(v); return;
      case PlainTag::Float:
        if (is_json_number(v)) {
          out += v;
          return;
        }
        if (v.find_first_of("nNiI") == std::string::npos) {
          std::string digits;
          for (char c : v)
            if (c != '_') digits += c;
          out += float_to_json(std::strtod(digits.c_str(), nullptr));
          return;
        }
        break;  // .inf / .nan have no JSON form (Go refuses them); keep the text
      case PlainTag::Str:
      case PlainTag::Timestamp: break;
    }
  }
  append_string(out, v);
}

class Writer {
 public:
  explicit Writer(bool indent) : indent_(indent) {}

  std::string finish(const Node& n) {
    value(n);
    return std::move(out_);
  }

 private:
  bool indent_;
  int depth_ = 0;
  std::string out_;

  void newline() {
    if (!indent_) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(depth_) * 2, ' ');
  }

  void value(const Node& n) {
    switch (n.kind()) {
      case Node::Kind::Mapping: {
        if (n.entries().empty()) {
          out_ += "{}";
          return;
        }
        out_ += '{';
        ++depth_;
        bool first = true;
        for (const Entry& e : n.entries()) {
          if (!first) out_ += ',';
          first = false;
          newline();
          append_string(out_, e.key);
          out_ += indent_ ? ": " : ":";
          value(e.value);
        }
        --depth_;
        newline();
        out_ += '}';
        return;
      }
      case Node::Kind::Sequence: {
        if (n.items().empty()) {
          out_ += "[]";
          return;
        }
        out_ += '[';
        ++depth_;
        bool first = true;
        for (const Node& item : n.items()) {
          if (!first) out_ += ',';
          first = false;
          newline();
          value(item);
        }
        --depth_;
        newline();
        out_ += ']';
        return;
      }
      case Node::Kind::Null:
      case Node::Kind::Scalar: append_scalar(out_, n); return;
    }
  }
};

}  // namespace

std::string emit_json(const Node& node) { return Writer(true).finish(node); }

std::string emit_json_compact(const Node& node) { return Writer(false).finish(node); }

}  // namespace stack::compose
