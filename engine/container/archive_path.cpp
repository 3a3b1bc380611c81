#include "engine/container/archive_path.h"

#include <sys/stat.h>

#include <charconv>
#include <ctime>
#include <vector>

#include <nlohmann/json.hpp>

namespace stack::container {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::optional<unsigned long> number(std::string_view s) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string clean_path(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p.front() == '/';
  std::vector<std::string_view> out;
  for (auto part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") out.pop_back();
      else if (!rooted) out.push_back(part);
      continue;
    }
    out.push_back(part);
  }
  std::string s = rooted ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) s += '/';
    s += out[i];
  }
  return s.empty() ? "." : s;
}

std::string base_name(std::string_view p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p == "/") return "/";
  size_t at = p.rfind('/');
  return std::string(at == std::string_view::npos ? p : p.substr(at + 1));
}

Result<ArchivePath> parse_archive_path(std::string_view requested) {
  if (requested.empty()) return fail("path cannot be empty", EINVAL);
  ArchivePath a;
  std::string cleaned = clean_path("/" + std::string(requested));
  a.abs = cleaned;
  // PreserveTrailingDotOrSeparator: "x/." keeps its "/.", "x/" its "/".
  bool dot = requested == "." || requested.ends_with("/.");
  bool slash = requested.back() == '/';
  if (dot && cleaned != "/") a.abs += "/.";
  else if (dot) a.abs += ".";
  else if (slash && cleaned != "/") a.abs += "/";
  a.follow_last = dot || slash;
  if (cleaned == "/") {
    a.parent = "/";
    a.last = "";
  } else {
    size_t at = cleaned.rfind('/');
    a.parent = at == 0 ? "/" : cleaned.substr(0, at);
    a.last = cleaned.substr(at + 1);
  }
  a.name = base_name(a.abs);
  return a;
}

uint32_t go_file_mode(mode_t m) {
  uint32_t out = m & 0777;
  switch (m & S_IFMT) {
    case S_IFDIR: out |= 1u << 31; break;
    case S_IFLNK: out |= 1u << 27; break;
    case S_IFBLK: out |= 1u << 26; break;
    case S_IFCHR: out |= (1u << 26) | (1u << 21); break;
    case S_IFIFO: out |= 1u << 25; break;
    case S_IFSOCK: out |= 1u << 24; break;
    default: break;
  }
  if (m & S_ISUID) out |= 1u << 23;
  if (m & S_ISGID) out |= 1u << 22;
  if (m & S_ISVTX) out |= 1u << 20;
  return out;
}

std::string rfc3339_nano(int64_t seconds, long nanoseconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (nanoseconds > 0 && nanoseconds < 1000000000) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%09ld", nanoseconds);
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s + "Z";
}

bool PathStat::is_dir() const { return S_ISDIR(st_mode); }

std::string stat_json(const PathStat& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["size"] = s.size;
  j["mode"] = go_file_mode(s.st_mode);
  j["mtime"] = rfc3339_nano(s.mtime_sec, s.mtime_nsec);
  j["linkTarget"] = s.link_target;
  return j.dump();
}

std::string base64_encode(std::string_view data) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    for (int k = 3; k >= 0; --k) out += table[(v >> (6 * k)) & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint8_t(data[i]) << 16;
    if (rest == 2) v |= uint8_t(data[i + 1]) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += rest == 2 ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string stat_header(const PathStat& s) { return base64_encode(stat_json(s)); }

Result<PathStat> parse_stat_header(std::string_view value) {
  std::string decoded;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : value) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=') break;
    else continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  auto j = nlohmann::json::parse(decoded, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("unable to decode container path stat header", EINVAL);
  PathStat s;
  s.name = j.value("name", "");
  s.size = j.value("size", int64_t{0});
  uint32_t mode = j.value("mode", uint32_t{0});
  s.st_mode = mode & 0777;
  if (mode & (1u << 31)) s.st_mode |= S_IFDIR;
  else if (mode & (1u << 27)) s.st_mode |= S_IFLNK;
  else if (mode & (1u << 21)) s.st_mode |= S_IFCHR;
  else if (mode & (1u << 26)) s.st_mode |= S_IFBLK;
  else if (mode & (1u << 25)) s.st_mode |= S_IFIFO;
  else if (mode & (1u << 24)) s.st_mode |= S_IFSOCK;
  else s.st_mode |= S_IFREG;
  s.link_target = j.value("linkTarget", "");
  return s;
}

std::string entry_name(const std::string& top, const std::string& rel, bool is_dir) {
  std::string name;
  if (rel.empty()) name = top;
  else if (top == "/") name = "/" + rel;
  else name = top + "/" + rel;
  if (is_dir && !name.ends_with('/')) name += '/';
  return name;
}

Result<std::optional<std::string>> extract_name(std::string_view tar_name, const std::optional<Rebase>& rebase) {
  std::string name(tar_name);
  if (rebase) {
    // The first element (as written, before cleaning: "./x" has "." first).
    std::string_view n = name;
    while (n.starts_with('/')) n.remove_prefix(1);
    size_t slash = n.find('/');
    std::string_view first = n.substr(0, slash);
    if (first == rebase->from) {
      name = rebase->to + (slash == std::string_view::npos ? "" : std::string(n.substr(slash)));
    }
  }
  std::string cleaned = clean_path(name);
  while (cleaned.starts_with('/')) cleaned.erase(0, 1);
  if (cleaned.empty() || cleaned == ".") return std::optional<std::string>{};
  if (cleaned == ".." || cleaned.starts_with("../")) {
    return fail("\"" + std::string(tar_name) + "\" is outside of the extraction directory", EINVAL);
  }
  return std::optional<std::string>{cleaned};
}

bool symlink_stays_inside(std::string_view entry, std::string_view target) {
  if (target.starts_with('/')) return true;  // resolved against the extraction root
  std::string dir(entry);
  size_t at = dir.rfind('/');
  dir = at == std::string::npos ? "" : dir.substr(0, at);
  std::string joined = clean_path(dir.empty() ? std::string(target) : dir + "/" + std::string(target));
  return joined != ".." && !joined.starts_with("../");
}

bool hardlink_stays_inside(std::string_view target) {
  std::string t = clean_path(target);
  while (t.starts_with('/')) t.erase(0, 1);
  return t != ".." && !t.starts_with("../");
}

Result<std::pair<uid_t, gid_t>> resolve_user(std::string_view spec, std::string_view passwd, std::string_view group) {
  std::string_view user = spec, grp;
  if (size_t colon = spec.find(':'); colon != std::string_view::npos) {
    user = spec.substr(0, colon);
    grp = spec.substr(colon + 1);
  }
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  for (auto line : split(passwd, '\n')) {
    auto f = split(line, ':');
    if (f.size() < 4) continue;
    auto u = number(f[2]);
    auto g = number(f[3]);
    if (!u || !g) continue;
    if (f[0] == user || (number(user) && *number(user) == *u)) {
      uid = static_cast<uid_t>(*u);
      gid = static_cast<gid_t>(*g);
      break;
    }
  }
  if (!uid) {
    auto n = number(user);
    if (!n) return fail("unable to find user " + std::string(user) + ": no matching entries in passwd file", ENOENT);
    uid = static_cast<uid_t>(*n);
    gid = gid.value_or(0);  // an unknown numeric user: group root, as runc's user lookup
  }
  if (!grp.empty()) {
    std::optional<gid_t> found;
    for (auto line : split(group, '\n')) {
      auto f = split(line, ':');
      if (f.size() < 3) continue;
      auto g = number(f[2]);
      if (!g) continue;
      if (f[0] == grp || (number(grp) && *number(grp) == *g)) {
        found = static_cast<gid_t>(*g);
        break;
      }
    }
    if (!found) {
      auto n = number(grp);
      if (!n) return fail("unable to find group " + std::string(grp) + ": no matching entries in group file", ENOENT);
      found = static_cast<gid_t>(*n);
    }
    gid = found;
  }
  return std::pair{*uid, *gid};
}

}  // namespace stack::container
