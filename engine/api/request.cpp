#include "engine/api/request.h"

#include <cerrno>
#include <charconv>

#include "common/strings.h"
#include "engine/api/version.h"

namespace stack::api {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void parse_target(Request& request) {
  std::string_view target = request.target;
  std::string_view raw_path = target, raw_query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    raw_path = target.substr(0, q);
    raw_query = target.substr(q + 1);
  }
  std::string path = url_decode(raw_path, false);
  request.api_version = std::string(kDefaultApiVersion);
  // Docker's routes are registered under "/v{version:[0-9.]+}" and without it.
  if (path.size() > 2 && path[0] == '/' && path[1] == 'v') {
    size_t i = 2;
    while (i < path.size() && ((path[i] >= '0' && path[i] <= '9') || path[i] == '.')) ++i;
    if (i > 2 && (i == path.size() || path[i] == '/')) {
      request.api_version = path.substr(2, i - 2);
      path.erase(0, i);
      if (path.empty()) path = "/";
    }
  }
  request.path = std::move(path);
  request.query.clear();
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string{} : url_decode(pair.substr(eq + 1), true);
    request.query.emplace(std::move(key), std::move(value));
  }
}

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::optional<std::string> Request::query_value(std::string_view key) const {
  auto it = query.find(std::string(key));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::query_values(std::string_view key) const {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(std::string(key));
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool Request::query_bool(std::string_view key, bool fallback) const {
  auto v = query_value(key);
  if (!v) return fallback;
  std::string s = to_lower(trim(*v));
  return !(s.empty() || s == "0" || s == "no" || s == "false" || s == "none");
}

Result<int64_t> Request::query_int(std::string_view key, int64_t fallback) const {
  auto v = query_value(key);
  if (!v || v->empty()) return fallback;
  int64_t n = 0;
  const char* first = v->data();
  const char* last = v->data() + v->size();
  if (first != last && *first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec == std::errc::result_out_of_range) {
    return fail("strconv.ParseInt: parsing " + stack::quoted(*v) + ": value out of range", EINVAL);
  }
  if (ec != std::errc{} || ptr != last) {
    return fail("strconv.ParseInt: parsing " + stack::quoted(*v) + ": invalid syntax", EINVAL);
  }
  return n;
}

}  // namespace stack::api
