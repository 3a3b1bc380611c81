#include "compose/graph.h"

#include <fnmatch.h>

#include <algorithm>

#include "compose/validate.h"

namespace stack::compose {

namespace {

constexpr std::string_view kServicePrefix = "service:";
constexpr std::string_view kContainerPrefix = "container:";

std::string service_path(const std::string& name) { return path_key("services", name); }

// Go's fmt %s of a []string: "[a b]".
std::string go_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
  return out + "]";
}

}  // namespace

std::vector<ServiceReference> service_references(const ServiceConfig& service) {
  std::vector<ServiceReference> refs;
  const std::string base = service_path(service.name);
  for (const auto& [name, dep] : service.depends_on) {
    refs.push_back({name, DependencyKind::DependsOn, path_key(path_key(base, "depends_on"), name), dep.required});
  }
  // Same order as compose-go's normalize infers them: links, namespaces, volumes_from.
  for (size_t i = 0; i < service.links.size(); ++i) {
    const std::string& link = service.links[i];
    std::string target = link;
    if (std::count(link.begin(), link.end(), ':') == 1) target = link.substr(0, link.find(':'));
    refs.push_back({target, DependencyKind::Link, path_index(path_key(base, "links"), i), true});
  }
  const std::pair<const std::string*, DependencyKind> namespaces[] = {
      {&service.network_mode, DependencyKind::NetworkMode}, {&service.ipc, DependencyKind::Ipc},
      {&service.pid, DependencyKind::Pid}, {&service.uts, DependencyKind::Uts},
      {&service.cgroup, DependencyKind::Cgroup}};
  const char* keys[] = {"network_mode", "ipc", "pid", "uts", "cgroup"};
  for (size_t i = 0; i < std::size(namespaces); ++i) {
    const std::string& value = *namespaces[i].first;
    if (value.starts_with(kServicePrefix)) {
      refs.push_back({value.substr(kServicePrefix.size()), namespaces[i].second, path_key(base, keys[i]), true});
    }
  }
  for (size_t i = 0; i < service.volumes_from.size(); ++i) {
    const std::string& from = service.volumes_from[i];
    if (from.starts_with(kContainerPrefix)) continue;  // a container outside the project
    refs.push_back({from.substr(0, from.find(':')), DependencyKind::VolumesFrom,
                    path_index(path_key(base, "volumes_from"), i), true});
  }
  return refs;
}

Result<ServiceGraph> ServiceGraph::build(const Project& project) {
  ServiceGraph graph;
  for (const auto& [name, service] : project.services) {
    graph.vertices_[name];
    graph.names_.push_back(name);
  }
  for (const auto& [name, service] : project.services) {
    for (const ServiceReference& ref : service_references(service)) {
      auto target = graph.vertices_.find(ref.service);
      if (target == graph.vertices_.end()) {
        if (!ref.required) continue;  // Compose drops optional dependencies on absent services
        if (auto disabled = project.disabled_services.find(ref.service); disabled != project.disabled_services.end()) {
          return fail_at_key(project, ref.key_path,
                             "service " + ref.service + " is required by " + name +
                                 " but is disabled. Can be enabled by profiles " + go_list(disabled->second.profiles));
        }
        return fail_at_key(project, ref.key_path,
                           "service \"" + name + "\" depends on undefined service \"" + ref.service +
                               "\": invalid compose project");
      }
      Vertex& source = graph.vertices_[name];
      if (source.dependencies.insert(ref.service).second) source.edge_paths[ref.service] = ref.key_path;
      target->second.dependents.insert(name);
    }
  }
  if (auto r = graph.check_cycles(project); !r) return std::unexpected(r.error());
  return graph;
}

// Depth-first from each service in name order, children in name order, as
// compose-go's graph.CheckCycle, so the reported cycle is the one Compose reports.
// Services already explored without finding a cycle are skipped: no cycle is
// reachable from them, so skipping cannot change which cycle is found first.
Result<void> ServiceGraph::check_cycles(const Project& project) const {
  std::set<std::string> acyclic;
  std::vector<std::string> path;
  auto search = [&](auto& self, const std::string& name) -> Result<void> {
    for (const std::string& child : vertices_.at(name).dependencies) {
      if (auto at = std::find(path.begin(), path.end(), child); at != path.end()) {
        std::string message = "dependency cycle detected: ";
        for (auto it = at; it != path.end(); ++it) message += *it + " -> ";
        message += child;
        const std::string& from = *at;
        const std::string& to = (at + 1 == path.end()) ? child : *(at + 1);
        return fail_at_key(project, vertices_.at(from).edge_paths.at(to), message);
      }
      if (acyclic.contains(child)) continue;
      path.push_back(child);
      if (auto r = self(self, child); !r) return r;
      path.pop_back();
    }
    acyclic.insert(name);
    return {};
  };
  for (const std::string& name : names_) {
    if (acyclic.contains(name)) continue;
    path = {name};
    if (auto r = search(search, name); !r) return r;
  }
  return {};
}

const std::set<std::string>& ServiceGraph::dependencies(const std::string& name) const {
  return vertices_.at(name).dependencies;
}

const std::set<std::string>& ServiceGraph::dependents(const std::string& name) const {
  return vertices_.at(name).dependents;
}

std::set<std::string> ServiceGraph::with_dependencies(const std::vector<std::string>& names) const {
  std::set<std::string> seen;
  std::vector<std::string> todo(names.begin(), names.end());
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    for (const std::string& dep : dependencies(name)) todo.push_back(dep);
  }
  return seen;
}

std::set<std::string> ServiceGraph::with_dependents(const std::vector<std::string>& names) const {
  std::set<std::string> seen;
  std::vector<std::string> todo(names.begin(), names.end());
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    for (const std::string& dependent : dependents(name)) todo.push_back(dependent);
  }
  return seen;
}

GraphWalk::GraphWalk(const ServiceGraph& graph, WalkDirection direction, std::set<std::string> only)
    : graph_(&graph), direction_(direction), members_(std::move(only)) {
  if (members_.empty()) members_.insert(graph.services().begin(), graph.services().end());
}

const std::set<std::string>& GraphWalk::prerequisites(const std::string& name) const {
  return direction_ == WalkDirection::DependenciesFirst ? graph_->dependencies(name) : graph_->dependents(name);
}

std::vector<std::string> GraphWalk::ready() const {
  std::vector<std::string> out;
  for (const std::string& name : members_) {
    if (started_.contains(name)) continue;
    bool ready = std::ranges::all_of(prerequisites(name), [&](const std::string& p) {
      return !members_.contains(p) || done_.contains(p);
    });
    if (ready) out.push_back(name);
  }
  return out;
}

std::optional<std::string> GraphWalk::next() {
  std::vector<std::string> now = ready();
  if (now.empty()) return std::nullopt;
  started_.insert(now.front());
  return now.front();
}

void GraphWalk::done(const std::string& name) {
  started_.insert(name);
  done_.insert(name);
}

Result<std::vector<std::string>> resolve_service_names(const Project& project, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& pattern : names) {
    bool matched = false;
    for (const auto& [name, service] : project.services) {
      if (fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
      matched = true;
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    if (!matched) return fail("no such service: " + pattern);
  }
  return out;
}

namespace {

Result<std::vector<std::string>> walk_order(const Project& project, const std::vector<std::string>& names,
                                            WalkDirection direction) {
  auto graph = ServiceGraph::build(project);
  if (!graph) return std::unexpected(graph.error());
  std::set<std::string> members;
  if (!names.empty()) {
    auto selected = resolve_service_names(project, names);
    if (!selected) return std::unexpected(selected.error());
    members = direction == WalkDirection::DependenciesFirst ? graph->with_dependencies(*selected)
                                                            : graph->with_dependents(*selected);
  }
  GraphWalk walk(*graph, direction, std::move(members));
  std::vector<std::string> order;
  while (auto name = walk.next()) {
    order.push_back(*name);
    walk.done(*name);
  }
  return order;
}

}  // namespace

Result<std::vector<std::string>> in_dependency_order(const Project& project, const std::vector<std::string>& names) {
  return walk_order(project, names, WalkDirection::DependenciesFirst);
}

Result<std::vector<std::string>> in_reverse_dependency_order(const Project& project,
                                                             const std::vector<std::string>& names) {
  return walk_order(project, names, WalkDirection::DependentsFirst);
}

Result<void> select_services(Project& project, const std::vector<std::string>& names) {
  if (names.empty()) return {};
  auto selected = resolve_service_names(project, names);
  if (!selected) return std::unexpected(selected.error());
  auto graph = ServiceGraph::build(project);
  if (!graph) return std::unexpected(graph.error());
  std::set<std::string> keep = graph->with_dependencies(*selected);

  for (auto it = project.services.begin(); it != project.services.end();) {
    if (keep.contains(it->first)) {
      std::erase_if(it->second.depends_on, [&](const auto& dep) { return !keep.contains(dep.first); });
      ++it;
    } else {
      project.disabled_services.insert_or_assign(it->first, std::move(it->second));
      it = project.services.erase(it);
    }
  }
  return {};
}

void prune_unused_resources(Project& project) {
  std::set<std::string> networks, volumes, secrets, configs, models;
  for (const auto& [name, service] : project.services) {
    for (const auto& [network, config] : service.networks) networks.insert(network);
    for (const ServiceVolumeConfig& volume : service.volumes) {
      if (volume.type == "volume" && !volume.source.empty()) volumes.insert(volume.source);
    }
    for (const auto& secret : service.secrets) secrets.insert(secret.source);
    if (service.build) {
      for (const auto& secret : service.build->secrets) secrets.insert(secret.source);
    }
    for (const auto& config : service.configs) configs.insert(config.source);
    for (const auto& [model, config] : service.models) models.insert(model);
  }
  auto keep_only = [](auto& declared, const std::set<std::string>& used) {
    std::erase_if(declared, [&](const auto& entry) { return !used.contains(entry.first); });
  };
  keep_only(project.networks, networks);
  keep_only(project.volumes, volumes);
  keep_only(project.secrets, secrets);
  keep_only(project.configs, configs);
  keep_only(project.models, models);
}

}  // namespace stack::compose
