#include "compose/units.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/strings.h"

namespace stack::compose {
namespace {

std::unexpected<Error> bad_duration(std::string_view text) {
  return fail("invalid duration " + quoted(text));
}

// Nanoseconds per unit; "d" and "w" are compose-go's extension (str2duration).
int64_t unit_nanoseconds(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;  // us, µs (U+00B5), μs (U+03BC)
  if (unit == "ms") return 1000'000;
  if (unit == "s") return 1000'000'000;
  if (unit == "m") return 60 * 1000'000'000LL;
  if (unit == "h") return 3600 * 1000'000'000LL;
  if (unit == "d") return 24 * 3600 * 1000'000'000LL;
  if (unit == "w") return 7 * 24 * 3600 * 1000'000'000LL;
  return 0;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{0};
  if (s.empty()) return bad_duration(text);
  // Sum in long double: exact enough for every duration Go can represent, and
  // fractions ("1.5h") need no special casing.
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && is_digit(s[i])) ++i;
    size_t int_digits = i;
    size_t frac_digits = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t start = i;
      while (i < s.size() && is_digit(s[i])) ++i;
      frac_digits = i - start;
    }
    if (int_digits == 0 && frac_digits == 0) return bad_duration(text);
    std::string number(s.substr(0, i));
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    int64_t unit = unit_nanoseconds(s.substr(0, u));
    if (unit == 0) return bad_duration(text);  // missing or unknown unit
    s.remove_prefix(u);
    total += std::strtold(number.c_str(), nullptr) * unit;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return bad_duration(text);
  }
  auto ns = static_cast<int64_t>(total);
  return Duration{negative ? -ns : ns};
}

// Go's time.Duration.String.
std::string format_duration(Duration d) {
  if (d.nanoseconds == 0) return "0s";
  bool negative = d.nanoseconds < 0;
  uint64_t u = negative ? 0 - static_cast<uint64_t>(d.nanoseconds) : static_cast<uint64_t>(d.nanoseconds);

  // Prints v/10^prec with trailing zeros of the fraction dropped.
  auto fraction = [](uint64_t v, int prec, std::string& out) -> uint64_t {
    std::string digits;
    bool printing = false;
    for (int i = 0; i < prec; ++i) {
      int digit = static_cast<int>(v % 10);
      printing = printing || digit != 0;
      if (printing) digits.insert(digits.begin(), static_cast<char>('0' + digit));
      v /= 10;
    }
    if (printing) out = "." + digits + out;
    return v;
  };

  std::string out;
  if (u < 1000'000'000ULL) {
    int prec = 0;
    std::string unit;
    if (u < 1000) {
      unit = "ns";
    } else if (u < 1000'000) {
      prec = 3;
      unit = "\xC2\xB5s";  // µs, as Go prints it
    } else {
      prec = 6;
      unit = "ms";
    }
    out = unit;
    uint64_t whole = fraction(u, prec, out);
    out = std::to_string(whole) + out;
  } else {
    out = "s";
    uint64_t seconds = fraction(u, 9, out);
    out = std::to_string(seconds % 60) + out;
    uint64_t minutes = seconds / 60;
    if (minutes > 0) {
      out = std::to_string(minutes % 60) + "m" + out;
      uint64_t hours = minutes / 60;
      if (hours > 0) out = std::to_string(hours) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

// docker/go-units RAMInBytes: a decimal number, an optional space, an optional
// k/m/g/t/p prefix (binary multiples), an optional "i" and an optional "b".
Result<UnitBytes> parse_unit_bytes(std::string_view text) {
  int64_t whole = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), whole);
  if (ec == std::errc() && end == text.data() + text.size()) return UnitBytes{whole};

  auto bad = [&] { return fail("invalid size " + quoted(text)); };
  size_t i = 0;
  while (i < text.size() && (is_digit(text[i]) || text[i] == '.')) ++i;
  std::string_view number = text.substr(0, i);
  if (number.empty() || number.front() == '.' || number.back() == '.' || number.find("..") != std::string_view::npos ||
      std::count(number.begin(), number.end(), '.') > 1)
    return bad();
  std::string_view rest = text.substr(i);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  long double multiplier = 1;
  if (!rest.empty()) {
    switch (rest.front()) {
      case 'k': case 'K': multiplier = 1LL << 10; rest.remove_prefix(1); break;
      case 'm': case 'M': multiplier = 1LL << 20; rest.remove_prefix(1); break;
      case 'g': case 'G': multiplier = 1LL << 30; rest.remove_prefix(1); break;
      case 't': case 'T': multiplier = 1LL << 40; rest.remove_prefix(1); break;
      case 'p': case 'P': multiplier = 1LL << 50; rest.remove_prefix(1); break;
      default: break;
    }
  }
  if (!rest.empty() && (rest.front() == 'i' || rest.front() == 'I')) rest.remove_prefix(1);
  if (!rest.empty() && (rest.front() == 'b' || rest.front() == 'B')) rest.remove_prefix(1);
  if (!rest.empty()) return bad();
  long double value = std::strtold(std::string(number).c_str(), nullptr) * multiplier;
  if (value > static_cast<long double>(std::numeric_limits<int64_t>::max())) return bad();
  return UnitBytes{static_cast<int64_t>(value)};
}

std::string format_float32(float value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // Shortest round-trip digits, then laid out as Go's 'g' with precision -1.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, end);  // "-1.2345e+06"
  bool negative = sci.front() == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out;
  if (exponent < -4 || exponent >= 6) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    int a = exponent < 0 ? -exponent : exponent;
    out += exponent < 0 ? "e-" : "e+";
    if (a < 10) out += "0";
    out += std::to_string(a);
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    auto int_len = static_cast<size_t>(exponent + 1);
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0');
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace stack::compose
