#include "engine/image/reference.h"

#include <algorithm>
#include <cctype>

namespace stack::image {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
bool valid_path_component(std::string_view s) {
  size_t i = 0;
  auto run = [&] {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    return i > start;
  };
  if (!run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain := ( domain-component ( "." domain-component )* | "[" ipv6 "]" ) [ ":" [0-9]+ ]
bool valid_domain(std::string_view s) {
  std::string_view host = s;
  if (auto colon = s.rfind(':'); colon != std::string_view::npos && s.find(']', colon) == std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    host = s.substr(0, colon);
  }
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    std::string_view inner = host.substr(1, host.size() - 2);
    return std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex(c) || c == ':'; });
  }
  size_t start = 0;
  for (;;) {
    size_t dot = host.find('.', start);
    if (!valid_domain_component(host.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view s) {
  if (s.empty() || s.size() > 128 || !is_word(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// digest := algorithm ":" hex{32,}; algorithm := [A-Za-z][A-Za-z0-9]*([+.-_][A-Za-z][A-Za-z0-9]*)*
bool digest_shape(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon), hex = s.substr(colon + 1);
  if (alg.empty() || !std::isalpha(static_cast<unsigned char>(alg.front()))) return false;
  bool after_sep = false;
  for (char c : alg) {
    if (c == '+' || c == '.' || c == '-' || c == '_') {
      if (after_sep) return false;
      after_sep = true;
    } else if (after_sep) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
      after_sep = false;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  if (after_sep) return false;
  return hex.size() >= 32 && std::all_of(hex.begin(), hex.end(), is_hex);
}

std::unexpected<Error> invalid_format() { return fail("invalid reference format"); }

// Docker's Parse on an already-normalized string: name [":" tag] ["@" digest].
Result<Reference> parse_canonical(std::string_view s, std::string_view original) {
  Reference ref;
  std::string_view rest = s;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    if (!digest_shape(digest)) return invalid_format();
    std::string_view alg = digest.substr(0, digest.find(':'));
    std::string_view hex = digest.substr(digest.find(':') + 1);
    if (alg == "sha256") {
      if (hex.size() != 64) return fail("invalid checksum digest length");
      if (!std::all_of(hex.begin(), hex.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); }))
        return fail("invalid checksum digest format");
    } else {
      return fail("unsupported digest algorithm");
    }
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  // A tag follows the last ':' that comes after the last '/' (a port comes before a '/').
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) return invalid_format();
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  auto first = rest.find('/');
  if (first == std::string_view::npos) return invalid_format();
  std::string_view domain = rest.substr(0, first), path = rest.substr(first + 1);
  if (!valid_domain(domain)) return invalid_format();
  size_t start = 0;
  for (;;) {
    size_t next = path.find('/', start);
    std::string_view comp = path.substr(start, next == std::string_view::npos ? next : next - start);
    if (!valid_path_component(comp)) {
      // Docker retries on the lowercased string to tell "uppercase" apart from garbage.
      std::string lower(original);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower != original && std::string_view(comp).find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos)
        return fail("invalid reference format: repository name must be lowercase");
      return invalid_format();
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  if (rest.size() > kNameTotalLengthMax) return fail("invalid reference format: repository name must not be more than 255 characters");
  ref.domain = std::string(domain);
  ref.path = std::string(path);
  return ref;
}

}  // namespace

bool is_full_hex_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); });
}

bool is_sha256_digest(std::string_view s) { return s.starts_with("sha256:") && is_full_hex_id(s.substr(7)); }

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  // "library/busybox" -> "busybox", but "library/a/b" stays (Docker strips only one-level official names).
  if (path.starts_with(kOfficialRepoPrefix) && path.find('/', kOfficialRepoPrefix.size()) == std::string::npos)
    return path.substr(kOfficialRepoPrefix.size());
  return path;
}

std::string Reference::familiar_string() const {
  std::string out = familiar_name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) return invalid_format();
  if (is_full_hex_id(text))
    return fail("invalid repository name (" + std::string(text) + "), cannot specify 64-byte hexadecimal strings");
  // splitDockerDomain: the first component is a domain only if it looks like one.
  std::string domain, remainder;
  auto slash = text.find('/');
  std::string_view first = slash == std::string_view::npos ? std::string_view{} : text.substr(0, slash);
  bool first_is_domain = slash != std::string_view::npos &&
                         (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
                          first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos);
  if (first_is_domain) {
    domain = std::string(first);
    remainder = std::string(text.substr(slash + 1));
  } else {
    domain = std::string(kDefaultDomain);
    remainder = std::string(text);
  }
  if (domain == kLegacyDefaultDomain) domain = std::string(kDefaultDomain);
  if (domain == kDefaultDomain && remainder.find('/') == std::string::npos) remainder = std::string(kOfficialRepoPrefix) + remainder;
  std::string_view remote = remainder;
  remote = remote.substr(0, remote.find('@'));
  remote = remote.substr(0, remote.find(':'));
  if (remote.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos)
    return fail("invalid reference format: repository name must be lowercase");
  std::string full = domain + "/" + remainder;
  auto ref = parse_canonical(full, full);
  if (!ref) return std::unexpected(ref.error());
  // Docker: "if named.String() != s" -> not canonical; covers "docker.io/library/x" given as "library/x".
  return ref;
}

Reference with_default_tag(Reference ref) {
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

Result<Reference> parse_tagged(std::string_view text) {
  auto ref = parse_reference(text);
  if (!ref) return ref;
  return with_default_tag(std::move(*ref));
}

}  // namespace stack::image
