#include "compose/yaml_emit.h"

#include <cerrno>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace stack::compose {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ---- The resolver (yaml.v3 resolve.go, untagged plain scalars) -------------

// strconv.ParseInt / ParseUint(s, 0, 64): sign, 0x/0o/0b prefixes, a bare
// leading 0 meaning octal; the value must fit int64 (or uint64 when unsigned).
bool go_parses_as_int(std::string_view s) {
  bool negative = false, has_sign = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    has_sign = true;
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'b') base = 2, s.remove_prefix(2);
    else if (p == 'o') base = 8, s.remove_prefix(2);
    else if (p == 'x') base = 16, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
  }
  std::uint64_t value = 0;
  for (char c : s) {
    int d;
    if (is_digit(c)) d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return false;
    if (d >= base) return false;
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) return false;
    value = value * base + d;
  }
  const std::uint64_t int64_max = INT64_MAX;
  if (negative) return value <= int64_max + 1;
  if (has_sign) return value <= int64_max;
  return true;
}

// yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
  size_t i = 0;
  auto run = [&] {
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (run() == 0) return false;
  } else {
    if (run() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      run();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (run() == 0) return false;
  }
  return i == s.size();
}

// strconv.ParseFloat fails (ErrRange) when a well-formed number overflows.
bool fits_double(std::string_view s) {
  std::string text(s);
  errno = 0;
  double v = std::strtod(text.c_str(), nullptr);
  return !(errno == ERANGE && std::isinf(v));
}

int days_in(int month, int year) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : days[month - 1];
}

// Go time.Parse's flexible numbers ("1", "2", "15", "4", "5" in a layout): one or two digits.
bool take_number(std::string_view s, size_t& i, int& out) {
  if (i >= s.size() || !is_digit(s[i])) return false;
  out = s[i++] - '0';
  if (i < s.size() && is_digit(s[i])) out = out * 10 + (s[i++] - '0');
  return true;
}

// yaml.v3 parseTimestamp: the layouts "2006-1-2T15:4:5.999999999Z07:00" (also
// with 't'), "2006-1-2 15:4:5.999999999" and "2006-1-2", with Go's range checks.
bool is_timestamp(std::string_view s) {
  if (s.size() < 5) return false;
  for (int k = 0; k < 4; ++k)
    if (!is_digit(s[k])) return false;
  if (s[4] != '-') return false;
  int year = std::atoi(std::string(s.substr(0, 4)).c_str());
  size_t i = 5;
  int month, day;
  if (!take_number(s, i, month) || month < 1 || month > 12) return false;
  if (i >= s.size() || s[i++] != '-') return false;
  if (!take_number(s, i, day) || day < 1 || day > days_in(month, year)) return false;
  if (i == s.size()) return true;
  char sep = s[i++];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  int hour, minute, second;
  if (!take_number(s, i, hour) || hour > 23) return false;
  if (i >= s.size() || s[i++] != ':') return false;
  if (!take_number(s, i, minute) || minute > 59) return false;
  if (i >= s.size() || s[i++] != ':') return false;
  if (!take_number(s, i, second) || second > 59) return false;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1])) {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (sep == ' ') return i == s.size();
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  // ±hh:mm
  if (s.size() - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':') return false;
  for (size_t k : {i + 1, i + 2, i + 4, i + 5})
    if (!is_digit(s[k])) return false;
  int oh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
  int om = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
  return oh <= 24 && om <= 60;
}

bool is_base60_float(std::string_view s) {
  if (s.empty()) return false;
  char c = s[0];
  if (!(c == '+' || c == '-' || is_digit(c)) || s.find(':') == std::string_view::npos) return false;
  static const std::regex re(R"(^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$)");
  return std::regex_match(s.begin(), s.end(), re);
}

bool is_old_bool(std::string_view s) {
  static const char* words[] = {"y",  "Y",  "yes", "Yes", "YES", "on",  "On",  "ON",
                                "n",  "N",  "no",  "No",  "NO",  "off", "Off", "OFF"};
  for (const char* w : words)
    if (s == w) return true;
  return false;
}

// Go's utf8.ValidString.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) n = 1;
    else if (b == 0xE0) n = 2, lo = 0xA0;
    else if (b >= 0xE1 && b <= 0xEC) n = 2;
    else if (b == 0xED) n = 2, hi = 0x9F;  // no surrogates
    else if (b >= 0xEE && b <= 0xEF) n = 2;
    else if (b == 0xF0) n = 3, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3) n = 3;
    else if (b == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
      if (c < l || c > h) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string base64(std::string_view in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                 static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += table[(v >> shift) & 63];
  }
  if (size_t rest = in.size() - i) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += rest == 2 ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// yaml.v3 encodeBase64: lines of 70 characters, each ending in \n when there is more than one.
std::string encode_base64_lines(std::string_view in) {
  std::string encoded = base64(in);
  const size_t line_len = 70;
  size_t lines = encoded.size() / line_len + 1;
  if (lines == 1) return encoded;
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += line_len) out += encoded.substr(i, line_len) + "\n";
  return out;
}

// ---- Character classes (yamlprivateh.go); all on a valid UTF-8 string -------

size_t char_width(unsigned char b) {
  if ((b & 0x80) == 0x00) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

unsigned char at(std::string_view s, size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; }

bool is_printable(std::string_view s, size_t i) {
  unsigned char b = at(s, i), b1 = at(s, i + 1), b2 = at(s, i + 2);
  return b == 0x0A || (b >= 0x20 && b <= 0x7E) || (b == 0xC2 && b1 >= 0xA0) || (b > 0xC2 && b < 0xED) ||
         (b == 0xED && b1 < 0xA0) || b == 0xEE ||
         (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}
bool is_space(std::string_view s, size_t i) { return at(s, i) == ' '; }
bool is_break(std::string_view s, size_t i) {
  unsigned char b = at(s, i), b1 = at(s, i + 1), b2 = at(s, i + 2);
  return b == '\r' || b == '\n' || (b == 0xC2 && b1 == 0x85) || (b == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9));
}
bool is_blank(std::string_view s, size_t i) { return at(s, i) == ' ' || at(s, i) == '\t'; }
// is_blankz: blank, break or the end of the string.
bool is_blankz(std::string_view s, size_t i) { return i >= s.size() || is_blank(s, i) || is_break(s, i); }

// ---- The emitter (emitterc.go, the subset a Node tree needs) ----------------

enum class Style { Plain, SingleQuoted, DoubleQuoted, Literal };

struct Scalar {
  std::string value;
  Style style = Style::Plain;  // as the encoder asks for it; the emitter may override
  bool binary = false;         // tagged !!binary (invalid UTF-8, base64-encoded)
};

// yaml_emitter_analyze_scalar's verdict.
struct Analysis {
  bool multiline = false;
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = true;
};

Analysis analyze(std::string_view v) {
  Analysis a;
  if (v.empty()) {
    a.block_allowed = false;
    return a;
  }
  bool block_indicators = false, line_breaks = false, special = false, tabs = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false, previous_space = false, previous_break = false;
  if (v.starts_with("---") || v.starts_with("...")) block_indicators = true;
  bool preceded_by_whitespace = true;
  for (size_t i = 0; i < v.size();) {
    size_t w = char_width(at(v, i));
    bool followed_by_whitespace = i + w >= v.size() || is_blank(v, i + w);
    char c = v[i];
    if (i == 0) {
      switch (c) {
        case '#': case ',': case '[': case ']': case '{': case '}': case '&': case '*':
        case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
          block_indicators = true;
          break;
        case '?': case ':': case '-':
          if (followed_by_whitespace) block_indicators = true;
          break;
        default: break;
      }
    } else if ((c == ':' && followed_by_whitespace) || (c == '#' && preceded_by_whitespace)) {
      block_indicators = true;
    }
    if (c == '\t') tabs = true;
    else if (!is_printable(v, i)) special = true;
    if (is_space(v, i)) {
      if (i == 0) leading_space = true;
      if (i + w == v.size()) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (is_break(v, i)) {
      line_breaks = true;
      if (i == 0) leading_break = true;
      if (i + w == v.size()) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = previous_break = false;
    }
    preceded_by_whitespace = is_blankz(v, i);
    i += w;
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) a.block_plain_allowed = false;
  if (trailing_space) a.block_allowed = false;
  if (break_space) a.block_plain_allowed = a.single_quoted_allowed = false;
  if (space_break || tabs || special) a.block_plain_allowed = a.single_quoted_allowed = false;
  if (space_break || special) a.block_allowed = false;
  if (line_breaks || block_indicators) a.block_plain_allowed = false;
  return a;
}

// encode.go stringv: how the encoder asks for a Go string to be written.
Scalar string_scalar(std::string s) {
  if (!valid_utf8(s)) {
    std::string b64 = encode_base64_lines(s);
    Style style = b64.find('\n') != std::string::npos ? Style::Literal : Style::Plain;
    return {std::move(b64), style, true};
  }
  Style style = s.find('\n') != std::string::npos ? Style::Literal
                : yaml_string_needs_quotes(s)     ? Style::DoubleQuoted
                                                  : Style::Plain;
  return {std::move(s), style, false};
}

Scalar node_scalar(const Node& n) {
  if (n.is_null()) return {"null", Style::Plain, false};
  if (!n.quoted() && !n.value().empty()) {
    switch (resolve_plain(n.value())) {
      case PlainTag::Null: return {"null", Style::Plain, false};
      case PlainTag::Bool:
      case PlainTag::Int:
      case PlainTag::Float: return {n.value(), Style::Plain, false};
      case PlainTag::Str:
      case PlainTag::Timestamp: break;  // Go holds these as strings
    }
  }
  return string_scalar(n.value());
}

// Where a node sits, as far as the emitter's choices depend on it.
struct Context {
  bool in_sequence = false;  // the node is a block sequence item ("- " precedes it)
  bool simple_key = false;   // the node is a mapping key written as `key:`
};

class Emitter {
 public:
  std::string finish(const Node& root) {
    node(root, {});
    // Document end: the document always ends with a line break.
    write_indent();
    return std::move(out_);
  }

 private:
  static constexpr int kBestIndent = 2;

  std::string out_;
  int indent_ = -1;
  int column_ = 0;
  bool whitespace_ = true;
  bool indention_ = true;

  void put(char c) {
    out_ += c;
    ++column_;
  }
  void put_break() {
    out_ += '\n';
    column_ = 0;
    indention_ = true;
  }
  // Copies one UTF-8 character.
  void write(std::string_view s, size_t& i) {
    size_t w = std::min(char_width(at(s, i)), s.size() - i);
    out_.append(s.substr(i, w));
    ++column_;
    i += w;
  }
  void write_all(std::string_view s) {
    for (size_t i = 0; i < s.size();) write(s, i);
  }
  void write_break(std::string_view s, size_t& i) {
    if (s[i] == '\n') {
      put_break();
      ++i;
    } else {
      write(s, i);
      column_ = 0;
      indention_ = true;
    }
  }
  void write_indent() {
    int indent = std::max(indent_, 0);
    if (!indention_ || column_ > indent || (column_ == indent && !whitespace_)) put_break();
    while (column_ < indent) put(' ');
    whitespace_ = true;
  }
  void write_indicator(std::string_view indicator, bool need_whitespace, bool is_whitespace, bool is_indention) {
    if (need_whitespace && !whitespace_) put(' ');
    write_all(indicator);
    whitespace_ = is_whitespace;
    indention_ = indention_ && is_indention;
  }
  // go-yaml's "more regular" indentation: inside a sequence item skip the "- ",
  // everything else aligns to the next multiple of the indent.
  void increase_indent(bool flow, const Context& ctx) {
    if (indent_ < 0) indent_ = flow ? kBestIndent : 0;
    else if (ctx.in_sequence) indent_ += 2;
    else indent_ = kBestIndent * ((indent_ + kBestIndent) / kBestIndent);
  }

  void node(const Node& n, const Context& ctx) {
    switch (n.kind()) {
      case Node::Kind::Sequence:
        if (n.items().empty()) return empty_collection("[", "]", ctx);
        return sequence(n, ctx);
      case Node::Kind::Mapping:
        if (n.entries().empty()) return empty_collection("{", "}", ctx);
        return mapping(n, ctx);
      case Node::Kind::Null:
      case Node::Kind::Scalar: return scalar(node_scalar(n), ctx);
    }
  }

  void empty_collection(std::string_view open, std::string_view close, const Context&) {
    write_indicator(open, true, true, false);
    if (column_ == 0) write_indent();
    write_indicator(close, false, false, false);
  }

  void sequence(const Node& n, const Context& ctx) {
    int saved = indent_;
    increase_indent(false, ctx);
    for (const Node& item : n.items()) {
      write_indent();
      write_indicator("-", true, false, true);
      node(item, {.in_sequence = true});
    }
    indent_ = saved;
  }

  void mapping(const Node& n, const Context& ctx) {
    int saved = indent_;
    increase_indent(false, ctx);
    for (const Entry& e : n.entries()) {
      write_indent();
      Scalar key = string_scalar(e.key);
      Analysis a = analyze(key.value);
      size_t length = key.value.size() + (key.binary ? 8 : 0);  // "!!" + "binary"
      if (!a.multiline && length <= 128) {
        scalar(key, {.simple_key = true});
        write_indicator(":", false, false, false);
      } else {
        // A key too long or multi-line for `key:` is written `? key` / `: value`.
        write_indicator("?", true, false, true);
        scalar(key, {});
        write_indent();
        write_indicator(":", true, false, true);
      }
      node(e.value, {});
    }
    indent_ = saved;
  }

  void scalar(const Scalar& s, const Context& ctx) {
    Analysis a = analyze(s.value);
    Style style = s.style;
    // yaml_emitter_select_scalar_style
    if (ctx.simple_key && a.multiline) style = Style::DoubleQuoted;
    if (style == Style::Plain && !a.block_plain_allowed) style = Style::SingleQuoted;
    if (style == Style::Plain && s.value.empty() && ctx.simple_key) style = Style::SingleQuoted;
    if (style == Style::SingleQuoted && !a.single_quoted_allowed) style = Style::DoubleQuoted;
    if (style == Style::Literal && (!a.block_allowed || ctx.simple_key)) style = Style::DoubleQuoted;

    if (s.binary) {
      if (!whitespace_) put(' ');
      write_all("!!binary");
      whitespace_ = indention_ = false;
    }
    int saved = indent_;
    increase_indent(true, ctx);
    switch (style) {
      case Style::Plain: plain(s.value); break;
      case Style::SingleQuoted: single_quoted(s.value); break;
      case Style::DoubleQuoted: double_quoted(s.value); break;
      case Style::Literal: literal(s.value); break;
    }
    indent_ = saved;
  }

  void plain(std::string_view v) {
    if (!v.empty() && !whitespace_) put(' ');
    bool breaks = false;
    for (size_t i = 0; i < v.size();) {
      if (is_break(v, i)) {
        if (!breaks && v[i] == '\n') put_break();
        write_break(v, i);
        breaks = true;
      } else {
        if (breaks) write_indent();
        write(v, i);
        indention_ = false;
        breaks = false;
      }
    }
    if (!v.empty()) whitespace_ = false;
    indention_ = false;
  }

  void single_quoted(std::string_view v) {
    write_indicator("'", true, false, false);
    bool breaks = false;
    for (size_t i = 0; i < v.size();) {
      if (is_space(v, i)) {
        write(v, i);
      } else if (is_break(v, i)) {
        if (!breaks && v[i] == '\n') put_break();
        write_break(v, i);
        breaks = true;
      } else {
        if (breaks) write_indent();
        if (v[i] == '\'') put('\'');
        write(v, i);
        indention_ = false;
        breaks = false;
      }
    }
    write_indicator("'", false, false, false);
    whitespace_ = indention_ = false;
  }

  void double_quoted(std::string_view v) {
    static const char* hex = "0123456789ABCDEF";
    // yaml.v3 tests is_bom at the start of the value for every character.
    bool bom = v.starts_with("\xEF\xBB\xBF");
    write_indicator("\"", true, false, false);
    for (size_t i = 0; i < v.size();) {
      if (!is_printable(v, i) || bom || is_break(v, i) || v[i] == '"' || v[i] == '\\') {
        unsigned char octet = at(v, i);
        size_t w = char_width(octet);
        char32_t cp = w == 1 ? octet : w == 2 ? (octet & 0x1F) : w == 3 ? (octet & 0x0F) : (octet & 0x07);
        for (size_t k = 1; k < w; ++k) cp = (cp << 6) + (at(v, i + k) & 0x3F);
        i += w;
        put('\\');
        switch (cp) {
          case 0x00: put('0'); break;
          case 0x07: put('a'); break;
          case 0x08: put('b'); break;
          case 0x09: put('t'); break;
          case 0x0A: put('n'); break;
          case 0x0B: put('v'); break;
          case 0x0C: put('f'); break;
          case 0x0D: put('r'); break;
          case 0x1B: put('e'); break;
          case 0x22: put('"'); break;
          case 0x5C: put('\\'); break;
          case 0x85: put('N'); break;
          case 0xA0: put('_'); break;
          case 0x2028: put('L'); break;
          case 0x2029: put('P'); break;
          default: {
            int digits = cp <= 0xFF ? 2 : cp <= 0xFFFF ? 4 : 8;
            put(digits == 2 ? 'x' : digits == 4 ? 'u' : 'U');
            for (int k = (digits - 1) * 4; k >= 0; k -= 4) put(hex[(cp >> k) & 0x0F]);
          }
        }
      } else {
        write(v, i);
      }
    }
    write_indicator("\"", false, false, false);
    whitespace_ = indention_ = false;
  }

  void literal(std::string_view v) {
    write_indicator("|", true, false, false);
    // Block scalar hints: an indentation indicator when the text starts with a
    // space or break, and chomping: "-" without a final break, "+" with more
    // than one (or only a break), none for exactly one.
    if (is_space(v, 0) || is_break(v, 0)) write_indicator(std::string(1, char('0' + kBestIndent)), false, false, false);
    size_t last = v.size() - 1;
    while (last > 0 && (at(v, last) & 0xC0) == 0x80) --last;
    if (!is_break(v, last)) {
      write_indicator("-", false, false, false);
    } else if (last == 0) {
      write_indicator("+", false, false, false);
    } else {
      size_t prev = last - 1;
      while (prev > 0 && (at(v, prev) & 0xC0) == 0x80) --prev;
      if (is_break(v, prev)) write_indicator("+", false, false, false);
    }
    whitespace_ = true;
    bool breaks = true;
    for (size_t i = 0; i < v.size();) {
      if (is_break(v, i)) {
        write_break(v, i);
        breaks = true;
      } else {
        if (breaks) write_indent();
        write(v, i);
        indention_ = false;
        breaks = false;
      }
    }
  }
};

}  // namespace

PlainTag resolve_plain(std::string_view in) {
  if (in.empty()) return PlainTag::Null;
  char c = in[0];
  // resolveTable: only these first characters can start a non-string.
  bool sign_or_digit = c == '+' || c == '-' || is_digit(c);
  bool in_map = std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos;
  if (!sign_or_digit && !in_map && c != '.') return PlainTag::Str;

  static const std::pair<const char*, PlainTag> words[] = {
      {"true", PlainTag::Bool},   {"True", PlainTag::Bool},   {"TRUE", PlainTag::Bool},   {"false", PlainTag::Bool},
      {"False", PlainTag::Bool},  {"FALSE", PlainTag::Bool},  {"~", PlainTag::Null},      {"null", PlainTag::Null},
      {"Null", PlainTag::Null},   {"NULL", PlainTag::Null},   {".nan", PlainTag::Float},  {".NaN", PlainTag::Float},
      {".NAN", PlainTag::Float},  {".inf", PlainTag::Float},  {".Inf", PlainTag::Float},  {".INF", PlainTag::Float},
      {"+.inf", PlainTag::Float}, {"+.Inf", PlainTag::Float}, {"+.INF", PlainTag::Float}, {"-.inf", PlainTag::Float},
      {"-.Inf", PlainTag::Float}, {"-.INF", PlainTag::Float},
  };
  for (const auto& [word, tag] : words)
    if (in == word) return tag;
  if (in_map) return PlainTag::Str;

  if (c == '.') {
    // strconv.ParseFloat on the text as is: only ".digits[exponent]" starts with a dot.
    return yaml_style_float(in) && fits_double(in) ? PlainTag::Float : PlainTag::Str;
  }
  if (is_timestamp(in)) return PlainTag::Timestamp;
  std::string plain;
  for (char ch : in)
    if (ch != '_') plain += ch;
  if (go_parses_as_int(plain)) return PlainTag::Int;
  if (yaml_style_float(plain) && fits_double(plain)) return PlainTag::Float;
  return PlainTag::Str;
}

bool yaml_string_needs_quotes(std::string_view s) {
  return resolve_plain(s) != PlainTag::Str || is_base60_float(s) || is_old_bool(s);
}

std::string emit_yaml(const Node& node) { return Emitter().finish(node); }

namespace {

std::u32string runes(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t w = std::min(char_width(b), s.size() - i);
    char32_t cp = w == 1 ? b : w == 2 ? (b & 0x1F) : w == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < w; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += w;
  }
  return out;
}

bool rune_is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool rune_is_letter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }

}  // namespace

bool yaml_key_less(std::string_view a_text, std::string_view b_text) {
  std::u32string a = runes(a_text), b = runes(b_text);
  bool digits = false;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) {
      digits = rune_is_digit(a[i]);
      continue;
    }
    bool al = rune_is_letter(a[i]), bl = rune_is_letter(b[i]);
    if (al && bl) return a[i] < b[i];
    if (al || bl) return digits ? al : bl;
    // Go's int64 arithmetic wraps on long digit runs; so does this.
    std::uint64_t an = 0, bn = 0;
    if (a[i] == '0' || b[i] == '0') {
      for (size_t j = i; j-- > 0 && rune_is_digit(a[j]);) {
        if (a[j] != '0') {
          an = bn = 1;
          break;
        }
      }
    }
    size_t ai = i, bi = i;
    for (; ai < a.size() && rune_is_digit(a[ai]); ++ai) an = an * 10 + (a[ai] - '0');
    for (; bi < b.size() && rune_is_digit(b[bi]); ++bi) bn = bn * 10 + (b[bi] - '0');
    if (an != bn) return static_cast<std::int64_t>(an) < static_cast<std::int64_t>(bn);
    if (ai != bi) return ai < bi;
    return a[i] < b[i];
  }
  return a.size() < b.size();
}

}  // namespace stack::compose
