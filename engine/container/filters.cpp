#include "engine/container/filters.h"

#include <cerrno>
#include <regex>

#include <nlohmann/json.hpp>

#include "engine/container/inspect.h"
#include "engine/container/time_util.h"

namespace stack::container {
namespace {

constexpr std::string_view kAccepted[] = {"ancestor", "before",  "expose",  "exited",  "health",
                                          "id",       "isolation", "is-task", "label", "name",
                                          "network",  "publish", "since",   "status",  "volume"};
constexpr std::string_view kStates[] = {"paused", "restarting", "removing", "running", "dead", "created", "exited"};
constexpr std::string_view kHealth[] = {"starting", "healthy", "unhealthy", "none"};

template <class R>
bool contains(const R& range, std::string_view v) {
  return std::find(std::begin(range), std::end(range), v) != std::end(range);
}

// moby filters.Args.Match: an exact match or an unanchored regexp search.
bool match(const std::vector<std::string>& values, const std::string& source) {
  for (const auto& v : values) {
    if (v == source) return true;
    try {
      if (std::regex_search(source, std::regex(v))) return true;
    } catch (const std::regex_error&) {
      // An invalid pattern matches nothing, as in moby.
    }
  }
  return false;
}

std::string health_string(const State& s) { return s.health ? s.health->status : "none"; }

bool parse_exit_code(const std::string& v, int& out) {
  if (v.empty()) return false;
  size_t i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
  if (i == v.size()) return false;
  for (size_t k = i; k < v.size(); ++k)
    if (v[k] < '0' || v[k] > '9') return false;
  try {
    out = std::stoi(v);
  } catch (...) {
    return false;
  }
  return true;
}

}  // namespace

Result<Filters> parse_filters(const std::string& text) {
  Filters out;
  if (text.empty()) return out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("invalid filter", EINVAL);
  for (const auto& [key, value] : j.items()) {
    auto& list = out[key];
    if (value.is_object()) {
      // {"status": {"running": true}}
      for (const auto& [v, on] : value.items()) {
        if (!on.is_boolean()) return fail("invalid filter", EINVAL);
        if (on.get<bool>()) list.push_back(v);
      }
    } else if (value.is_array()) {
      // {"status": ["running"]}, the legacy form
      for (const auto& v : value) {
        if (!v.is_string()) return fail("invalid filter", EINVAL);
        list.push_back(v.get<std::string>());
      }
    } else {
      return fail("invalid filter", EINVAL);
    }
  }
  return out;
}

Result<void> validate_filters(const Filters& filters) {
  for (const auto& [name, values] : filters) {
    if (!contains(kAccepted, name)) return fail("invalid filter '" + name + "'", EINVAL);
    for (const auto& v : values) {
      if (name == "status" && !contains(kStates, v)) return fail("invalid filter 'status=" + v + "'", EINVAL);
      if (name == "health" && !contains(kHealth, v))
        return fail("Unrecognised filter value for health: " + v, EINVAL);
      int code = 0;
      if (name == "exited" && !parse_exit_code(v, code))
        return fail("invalid filter 'exited=" + v + "': strconv.Atoi: parsing \"" + v + "\": invalid syntax", EINVAL);
      if (name == "is-task" && v != "true" && v != "false")
        return fail("Invalid filter 'is-task=" + v + "'", EINVAL);
    }
  }
  return {};
}

Result<bool> matches_filters(const Record& r, const Filters& filters) {
  if (auto v = validate_filters(filters); !v) return std::unexpected(v.error());
  auto get = [&](std::string_view name) -> const std::vector<std::string>* {
    auto it = filters.find(std::string(name));
    return it == filters.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (auto* ids = get("id"); ids && !match(*ids, r.id)) return false;
  if (auto* names = get("name")) {
    std::string bare = r.name.starts_with('/') ? r.name.substr(1) : r.name;
    if (!match(*names, r.name) && !match(*names, bare)) return false;
  }
  if (auto* labels = get("label")) {
    // Every label filter must hold: "key" (present) or "key=value" (equal).
    for (const auto& l : *labels) {
      auto eq = l.find('=');
      auto it = r.config.labels.find(l.substr(0, eq));
      if (it == r.config.labels.end()) return false;
      if (eq != std::string::npos && it->second != l.substr(eq + 1)) return false;
    }
  }
  if (auto* statuses = get("status"); statuses && !contains(*statuses, state_string(r.state))) return false;
  if (auto* exited = get("exited")) {
    // Only containers that ran and stopped, with one of the codes.
    bool ok = false;
    for (const auto& v : *exited) {
      int code = 0;
      parse_exit_code(v, code);
      if (code == r.state.exit_code && !r.state.running && !is_zero_time(r.state.started_at)) ok = true;
    }
    if (!ok) return false;
  }
  if (auto* health = get("health"); health && !contains(*health, health_string(r.state))) return false;
  if (auto* ancestors = get("ancestor")) {
    // Without the image graph here: the image as given, its id, or an id prefix.
    bool ok = false;
    for (const auto& a : *ancestors) {
      std::string img = r.config.image;
      if (a == img || a + ":latest" == img || a == img + ":latest" || a == r.image_id ||
          (a.size() >= 4 && (r.image_id.starts_with(a) || r.image_id.starts_with("sha256:" + a))))
        ok = true;
    }
    if (!ok) return false;
  }
  if (auto* nets = get("network")) {
    auto networks = summary_json(r, {})["NetworkSettings"]["Networks"];
    bool ok = false;
    for (const auto& n : *nets) ok = ok || networks.contains(n);
    if (!ok) return false;
  }
  if (get("publish") || get("expose") || get("volume")) return false;  // no ports or volumes yet
  if (auto* iso = get("isolation"); iso && !contains(*iso, "default") && !contains(*iso, r.host_config.isolation))
    return false;
  if (auto* task = get("is-task"); task && contains(*task, "true")) return false;
  return true;
}

bool created_before(const Record& a, const Record& b) {
  auto ta = parse_time(a.created), tb = parse_time(b.created);
  if (!ta || !tb) return a.created < b.created;
  return *ta < *tb;
}

}  // namespace stack::container
