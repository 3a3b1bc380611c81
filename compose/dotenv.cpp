#include "compose/dotenv.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <unordered_map>

#include "common/files.h"

namespace stack::compose {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr char32_t kInvalid = 0xFFFD;

// One UTF-8 code point; invalid or overlong sequences decode as U+FFFD of length 1, as in Go.
struct Rune {
  char32_t cp;
  size_t len;
};

Rune decode(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || b0 > 0xF4 || i + len > s.size()) return {kInvalid, 1};
  char32_t cp = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return {kInvalid, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {kInvalid, 1};
  return {cp, len};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Go's unicode.IsSpace.
bool is_unicode_space(char32_t c) {
  return (c >= '\t' && c <= '\r') || c == ' ' || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// compose-go's isSpace: blanks within a line (no line feed).
bool is_inline_space(char32_t c) {
  return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ' || c == 0x85 || c == 0xA0;
}

// Go's unicode.IsLetter || unicode.IsNumber, exact for ASCII and Latin-1; above
// that, the common symbol and punctuation blocks are rejected and the rest accepted.
bool is_letter_or_number(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0xC0) return c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA || (c >= 0xBC && c <= 0xBE);
  if (c == 0xD7 || c == 0xF7 || is_unicode_space(c)) return false;
  static constexpr std::pair<char32_t, char32_t> non_letters[] = {
      {0x2000, 0x206F},    // general punctuation
      {0x20A0, 0x20CF},    // currency symbols
      {0x2190, 0x23FF},    // arrows, mathematical operators, technical symbols
      {0x2500, 0x27BF},    // box drawing, shapes, miscellaneous symbols, dingbats
      {0x3000, 0x3004},    // CJK punctuation
      {0xFE00, 0xFE0F},    // variation selectors
      {0xFEFF, 0xFEFF},    // byte order mark
      {0xFFF0, 0xFFFF},    // specials, including U+FFFD
      {0x1F000, 0x1FAFF},  // emoji and pictographs
  };
  return std::none_of(std::begin(non_letters), std::end(non_letters),
                      [c](const auto& range) { return c >= range.first && c <= range.second; });
}

bool is_key_char(char32_t c) {
  return c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || is_letter_or_number(c);
}

bool go_printable(char32_t c) {
  if (c < 0x20 || c == 0x7F) return false;
  if (c < 0x7F) return true;
  if (c < 0xA0 || c == 0xAD || is_unicode_space(c)) return false;
  return !((c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB));
}

// Go's %q of a string (strconv.Quote), which compose-go uses in its messages.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    Rune r = decode(s, i);
    if (r.cp == kInvalid && r.len == 1) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
    } else if (r.cp == '"' || r.cp == '\\') {
      out += '\\';
      out += static_cast<char>(r.cp);
    } else if (go_printable(r.cp)) {
      out.append(s.substr(i, r.len));
    } else {
      switch (r.cp) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (r.cp < 0x80) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(r.cp));
          } else if (r.cp < 0x10000) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r.cp));
          } else {
            std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(r.cp));
          }
          out += buf;
      }
    }
    i += r.len;
  }
  return out + "\"";
}

std::string_view trim_right_space(std::string_view s) {
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    Rune r = decode(s, i);
    i += r.len;
    if (!is_unicode_space(r.cp)) end = i;
  }
  return s.substr(0, end);
}

// Escapes of double-quoted values (compose-go's expandEscapes): \a \b \f \n \r \t \v
// \" \\, \$ (kept as `$$` for interpolation to turn into a literal `$`) and \0NNN
// octal; anything else, \c included, stays as written.
std::string expand_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[i + 1];
    switch (c) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '$': out += "$$"; break;
      case '0': {
        size_t digits = 0;
        while (digits < 3 && i + 2 + digits < s.size() && s[i + 2 + digits] >= '0' && s[i + 2 + digits] <= '9') ++digits;
        std::string_view octal = s.substr(i + 2, digits);
        bool valid = digits == 3 && std::all_of(octal.begin(), octal.end(), [](char d) { return d <= '7'; });
        char32_t value = valid ? static_cast<char32_t>((octal[0] - '0') * 64 + (octal[1] - '0') * 8 + (octal[2] - '0')) : 0;
        if (valid && value <= 255) {
          append_utf8(out, value);  // Go writes string(rune): \0377 is "ÿ", two bytes
        } else {
          out.append(s.substr(i, 2 + digits));
        }
        i += digits;
        break;
      }
      default:
        out += '\\';
        continue;  // the next character is read on its own
    }
    ++i;
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view file_name, const Lookup& lookup)
      : text_(text), file_name_(file_name), lookup_(lookup) {
    // Values see the caller's variables first, then the ones this file defined so far.
    expansion_lookup_ = [this](std::string_view name) -> std::optional<std::string> {
      if (lookup_) {
        if (auto value = lookup_(name)) return value;
      }
      auto it = index_.find(std::string(name));
      if (it == index_.end()) return std::nullopt;
      return vars_[it->second].second;
    };
  }

  Result<EnvList> run() {
    size_t pos = 0;
    while (auto start = statement_start(pos)) {
      auto next = statement(*start);
      if (!next) return std::unexpected(std::move(next.error()));
      pos = *next;
    }
    return std::move(vars_);
  }

 private:
  // The first character of the next statement, past blank lines and comments.
  std::optional<size_t> statement_start(size_t pos) const {
    for (;;) {
      while (pos < text_.size()) {
        Rune r = decode(text_, pos);
        if (!is_unicode_space(r.cp)) break;
        pos += r.len;
      }
      if (pos >= text_.size()) return std::nullopt;
      if (text_[pos] != '#') return pos;
      pos = text_.find('\n', pos);
      if (pos == std::string_view::npos) return std::nullopt;
    }
  }

  size_t skip_inline_spaces(size_t pos) const {
    while (pos < text_.size()) {
      Rune r = decode(text_, pos);
      if (!is_inline_space(r.cp)) break;
      pos += r.len;
    }
    return pos;
  }

  // One `KEY=VALUE` (or bare `KEY`) at `pos`; returns where the next one may start.
  Result<size_t> statement(size_t pos) {
    // `export` needs whitespace after it (Go's \s: tab, LF, FF, CR, space); "exportFOO=1" is a key.
    constexpr std::string_view kExport = "export";
    if (text_.substr(pos).starts_with(kExport) && pos + kExport.size() < text_.size() &&
        std::string_view("\t\n\f\r ").find(text_[pos + kExport.size()]) != std::string_view::npos) {
      pos = skip_inline_spaces(pos + kExport.size());
    }

    size_t end = pos;
    char32_t terminator = 0;
    while (end < text_.size()) {
      Rune r = decode(text_, end);
      if (r.cp == '=' || r.cp == ':' || r.cp == '\n') {
        terminator = r.cp;
        break;
      }
      if (!is_inline_space(r.cp) && !is_key_char(r.cp)) {
        std::string_view bad = r.cp == kInvalid && r.len == 1 ? "\uFFFD" : text_.substr(end, r.len);
        std::string_view line = text_.substr(pos, text_.find('\n', pos) - pos);
        return error_at(end, "unexpected character " + go_quote(bad) + " in variable name " + go_quote(line));
      }
      end += r.len;
    }
    std::string key(trim_right_space(text_.substr(pos, end - pos)));
    if (key.find(' ') != std::string::npos) return error_at(pos, "key cannot contain a space");

    // Bare KEY: inherited from the lookup, or nothing. compose-go reads a bare key on
    // the last line without a newline as a value with an empty key; we do not.
    if (terminator == 0 || terminator == '\n') {
      if (lookup_) {
        if (auto value = lookup_(key)) set(std::move(key), std::move(*value));
      }
      return terminator ? end + 1 : end;
    }

    size_t value_pos = skip_inline_spaces(end + 1);
    if (value_pos < text_.size() && (text_[value_pos] == '"' || text_[value_pos] == '\'')) {
      return quoted_value(std::move(key), value_pos);
    }
    return unquoted_value(std::move(key), value_pos);
  }

  // Up to the end of the line, cut at " #", trimmed, interpolated.
  Result<size_t> unquoted_value(std::string key, size_t pos) {
    size_t line_end = std::min(text_.find('\n', pos), text_.size());
    std::string_view value = text_.substr(pos, line_end - pos);
    value = value.substr(0, value.find(" #"));
    auto expanded = expand(trim_right_space(value), pos);
    if (!expanded) return std::unexpected(std::move(expanded.error()));
    set(std::move(key), std::move(*expanded));
    return std::min(line_end + 1, text_.size());
  }

  // Up to the matching unescaped quote, across lines. Whatever follows the
  // closing quote on its line is parsed as a new statement (as compose-go does).
  Result<size_t> quoted_value(std::string key, size_t pos) {
    const char quote = text_[pos];
    std::string chars;
    bool escaped = false;
    for (size_t i = pos + 1; i < text_.size(); ++i) {
      char c = text_[i];
      if (c != quote) {
        if (!escaped && c == '\\') {
          escaped = true;
          continue;
        }
        if (escaped) {
          escaped = false;
          chars += '\\';
        }
        chars += c;
        continue;
      }
      if (escaped) {  // \" in double quotes, \' in single quotes
        escaped = false;
        chars += c;
        continue;
      }
      if (quote == '"') {
        auto expanded = expand(expand_escapes(chars), pos);
        if (!expanded) return std::unexpected(std::move(expanded.error()));
        chars = std::move(*expanded);
      }
      set(std::move(key), std::move(chars));
      return i + 1;
    }
    size_t line_end = std::min(text_.find('\n', pos), text_.size());
    return error_at(pos, "unterminated quoted value " + std::string(text_.substr(pos, line_end - pos)));
  }

  Result<std::string> expand(std::string_view value, size_t pos) const {
    if (value.find('$') == std::string_view::npos) return std::string(value);
    auto expanded = interpolate_string(value, expansion_lookup_);
    if (!expanded) return error_at(pos, expanded.error().message);
    return expanded;
  }

  void set(std::string key, std::string value) {
    auto [it, inserted] = index_.try_emplace(key, vars_.size());
    if (inserted) {
      vars_.emplace_back(std::move(key), std::move(value));
    } else {
      vars_[it->second].second = std::move(value);
    }
  }

  std::unexpected<Error> error_at(size_t pos, std::string_view message) const {
    size_t line = 1 + static_cast<size_t>(std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
    return fail(std::string(file_name_) + ":" + std::to_string(line) + ": " + std::string(message));
  }

  std::string_view text_;
  std::string_view file_name_;
  const Lookup& lookup_;
  Lookup expansion_lookup_;
  EnvList vars_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

Result<EnvList> parse_dotenv(std::string_view text, std::string_view file_name, const Lookup& lookup) {
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  return Parser(text, file_name, lookup).run();
}

Result<EnvList> read_dotenv_file(const std::string& path, const Lookup& lookup) {
  auto text = read_file(path);
  if (!text) return std::unexpected(std::move(text.error()));
  return parse_dotenv(*text, path, lookup);
}

}  // namespace stack::compose
