#include "compose/profiles.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace stack::compose {

namespace {

std::vector<std::string> service_profiles(const Node& service) {
  std::vector<std::string> out;
  const Node* profiles = service.is_mapping() ? service.find("profiles") : nullptr;
  if (!profiles || !profiles->is_sequence()) return out;
  for (const Node& p : profiles->items()) {
    if (p.is_scalar()) out.push_back(p.value());
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// compose-go ServiceConfig.HasProfile.
bool is_enabled(const Node& service, const std::vector<std::string>& active) {
  std::vector<std::string> own = service_profiles(service);
  if (own.empty()) return true;
  for (const std::string& p : active) {
    if (p == "*" || contains(own, p)) return true;
  }
  return false;
}

std::set<std::string> enabled_names(const Node& services, const std::vector<std::string>& active) {
  std::set<std::string> out;
  for (const Entry& e : services.entries()) {
    if (is_enabled(e.value, active)) out.insert(e.key);
  }
  return out;
}

const Node* depends_on(const Node& service) {
  const Node* deps = service.is_mapping() ? service.find("depends_on") : nullptr;
  return deps && deps->is_mapping() ? deps : nullptr;
}

bool is_required(const Node& dependency) {
  const Node* required = dependency.is_mapping() ? dependency.find("required") : nullptr;
  return !(required && required->is_scalar() && to_lower(required->value()) == "false");
}

// checkConsistency's depends_on rule, on the services enabled by profiles alone.
Result<void> check_dependencies(const Node& services, const std::set<std::string>& enabled) {
  for (const Entry& svc : services.entries()) {
    if (!enabled.contains(svc.key)) continue;
    const Node* deps = depends_on(svc.value);
    if (!deps) continue;
    for (const Entry& dep : deps->entries()) {
      if (enabled.contains(dep.key)) continue;
      const bool disabled = services.contains(dep.key);
      if (disabled && !is_required(dep.value)) continue;
      return fail_at(dep.key_mark, path_key(path_key(path_key("services", svc.key), "depends_on"), dep.key),
                     "service " + quoted(svc.key) + " depends on undefined service " + quoted(dep.key) +
                         ": invalid compose project");
    }
  }
  return {};
}

bool glob_match(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

// WithSelectedServices: the named services (glob patterns) and, recursively,
// what they depend on, among the enabled ones. `from` is the service whose
// depends_on is being walked (null for the command line).
Result<void> select(const Node& services, const std::set<std::string>& enabled, const std::vector<std::string>& names,
                    const Entry* from, std::set<std::string>& selected) {
  for (const std::string& name : names) {
    std::vector<const Entry*> matches;
    for (const Entry& e : services.entries()) {
      if (enabled.contains(e.key) && glob_match(name, e.key)) matches.push_back(&e);
    }
    if (matches.empty()) {
      if (!from) return fail("no such service: " + name);
      const Entry* dep = depends_on(from->value)->find_entry(name);
      if (!is_required(dep->value)) continue;  // a missing optional dependency is left out quietly
      return fail_at(dep->key_mark, path_key(path_key(path_key("services", from->key), "depends_on"), name),
                     "no such service: " + name);
    }
    for (const Entry* match : matches) {
      if (!selected.insert(match->key).second) continue;
      const Node* deps = depends_on(match->value);
      if (!deps) continue;
      std::vector<std::string> dep_names;
      for (const Entry& d : deps->entries()) dep_names.push_back(d.key);
      if (auto r = select(services, enabled, dep_names, match, selected); !r) return r;
    }
  }
  return {};
}

void drop_dependencies_outside(Node& services, const std::set<std::string>& kept) {
  for (Entry& svc : services.entries()) {
    Node* deps = svc.value.is_mapping() ? svc.value.find("depends_on") : nullptr;
    if (!deps || !deps->is_mapping()) continue;
    auto& entries = deps->entries();
    const size_t before = entries.size();
    std::erase_if(entries, [&](const Entry& d) { return !kept.contains(d.key); });
    if (entries.empty() && before > 0) svc.value.erase("depends_on");
  }
}

}  // namespace

Result<Node> apply_profiles(Node& project, const ProfileSelection& selection) {
  Node disabled = Node::mapping();
  Node* services = project.is_mapping() ? project.find("services") : nullptr;
  if (!services || !services->is_mapping()) return disabled;

  std::vector<std::string> active = selection.profiles;
  std::set<std::string> enabled = enabled_names(*services, active);
  if (selection.check_dependencies) {
    if (auto r = check_dependencies(*services, enabled); !r) return std::unexpected(r.error());
  }

  if (!selection.services.empty()) {
    // A service named on the command line brings its profiles along (exact names only).
    for (const std::string& name : selection.services) {
      const Node* svc = services->find(name);
      if (!svc || enabled.contains(name)) continue;
      for (std::string& p : service_profiles(*svc)) active.push_back(std::move(p));
    }
    enabled = enabled_names(*services, active);
    std::set<std::string> selected;
    if (auto r = select(*services, enabled, selection.services, nullptr, selected); !r) {
      return std::unexpected(r.error());
    }
    enabled = std::move(selected);
  }

  std::vector<Entry> kept;
  for (Entry& e : services->entries()) {
    if (enabled.contains(e.key)) {
      kept.push_back(std::move(e));
    } else {
      disabled.entries().push_back(std::move(e));
    }
  }
  services->entries() = std::move(kept);
  if (!selection.services.empty()) drop_dependencies_outside(*services, enabled);
  return disabled;
}

std::vector<std::string> all_profiles(const Node& project) {
  std::set<std::string> names;
  const Node* services = project.is_mapping() ? project.find("services") : nullptr;
  if (services && services->is_mapping()) {
    for (const Entry& e : services->entries()) {
      for (std::string& p : service_profiles(e.value)) names.insert(std::move(p));
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace stack::compose
