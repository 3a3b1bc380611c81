#include "cli/image_format.h"

#include <fnmatch.h>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace stack::cli {

std::string human_size(double size, int precision) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  int i = 0;
  while (size >= 1000.0 && i < 8) {
    size /= 1000.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, kUnits[i]);
  return buf;
}

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  int64_t hours = static_cast<int64_t>(static_cast<double>(seconds) / 3600.0 + 0.5);
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(seconds / 3600 / 24 / 365) + " years";
}

std::string go_time_string(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[96];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return buf;
}

std::string rfc3339_local(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  std::string out = buf;
  if (off == 0) return out + "Z";
  // UTC offsets are at most +-18 h, so two digits each always fit.
  int hours = static_cast<int>(std::labs(off) / 3600 % 100);
  int minutes = static_cast<int>(std::labs(off) % 3600 / 60);
  char z[8];
  std::snprintf(z, sizeof z, "%c%02d:%02d", off < 0 ? '-' : '+', hours, minutes);
  return out + z;
}

namespace {
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;  // count UTF-8 code points ("…")
  return n;
}
}  // namespace

std::string tabwrite(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 10);
      widths[i] = std::max(widths[i], display_width(r[i]) + 3);
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(widths[i] - display_width(r[i]), ' ');
    }
    out += line + "\n";
  }
  return out;
}

namespace {

std::string go_print(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "<no value>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + (v[i].is_null() ? std::string("<nil>") : go_print(v[i]));
    return out + "]";
  }
  if (v.is_object()) {
    std::vector<std::pair<std::string, std::string>> kv;
    for (const auto& [k, x] : v.items()) kv.emplace_back(k, go_print(x));
    std::sort(kv.begin(), kv.end());
    std::string out = "map[";
    for (size_t i = 0; i < kv.size(); ++i) out += (i ? " " : "") + kv[i].first + ":" + kv[i].second;
    return out + "]";
  }
  return v.dump();
}

nlohmann::ordered_json lookup(const nlohmann::ordered_json& root, std::string path) {
  if (path == ".") return root;
  const nlohmann::ordered_json* cur = &root;
  size_t i = 1;
  while (i <= path.size()) {
    size_t dot = path.find('.', i);
    std::string key = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string::npos) break;
    i = dot + 1;
  }
  return *cur;
}

std::string trim_copy(std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string render_template(const std::string& tmpl, const nlohmann::ordered_json& value) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl.compare(i, 2, "{{") == 0) {
      size_t end = tmpl.find("}}", i);
      if (end == std::string::npos) break;
      std::string action = trim_copy(tmpl.substr(i + 2, end - i - 2));
      if (action.starts_with("json ")) {
        out += lookup(value, trim_copy(action.substr(5))).dump();
      } else if (action.starts_with(".")) {
        out += go_print(lookup(value, action));
      }
      i = end + 2;
    } else if (tmpl[i] == '\\' && i + 1 < tmpl.size() && (tmpl[i + 1] == 't' || tmpl[i + 1] == 'n')) {
      out += tmpl[i + 1] == 't' ? '\t' : '\n';
      i += 2;
    } else {
      out += tmpl[i++];
    }
  }
  return out;
}

std::vector<std::string> template_fields(const std::string& tmpl) {
  std::vector<std::string> out;
  size_t i = 0;
  while ((i = tmpl.find("{{", i)) != std::string::npos) {
    size_t end = tmpl.find("}}", i);
    if (end == std::string::npos) break;
    std::string action = trim_copy(tmpl.substr(i + 2, end - i - 2));
    if (action.starts_with("json ")) action = trim_copy(action.substr(5));
    if (action.starts_with(".")) out.push_back(action.substr(1));
    i = end + 2;
  }
  return out;
}

bool path_match(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

}  // namespace stack::cli
