// The one walk for dependency order (as docker/compose pkg/compose/dependencies.go):
// every command that starts, stops or lists services goes through ServiceGraph.
//
// Edges run from a service to what it needs: its depends_on entries plus the
// implicit dependencies Compose infers (network_mode/ipc/pid/uts/cgroup
// "service:x", volumes_from "x[:mode]" but not "container:...", links "x[:alias]").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "compose/types.h"

namespace stack::compose {

enum class DependencyKind { DependsOn, NetworkMode, Ipc, Pid, Uts, Cgroup, VolumesFrom, Link };

// One reference from a service to another, with the key that made it.
struct ServiceReference {
  std::string service;   // the service referred to
  DependencyKind kind;
  std::string key_path;  // "services.web.depends_on.db", "services.web.links[0]"
  bool required = true;  // depends_on `required: false`; implicit references are always required
};

// Every reference a service makes to other services, depends_on first (in
// name order), then the implicit ones in the order Compose infers them.
std::vector<ServiceReference> service_references(const ServiceConfig& service);

class ServiceGraph {
 public:
  // The graph of project.services. Optional dependencies on missing services
  // are dropped (as Compose does); a required one is an error, as is a cycle.
  static Result<ServiceGraph> build(const Project& project);

  const std::vector<std::string>& services() const { return names_; }  // sorted
  bool contains(const std::string& name) const { return vertices_.contains(name); }
  // Direct dependencies / dependents of a service in the graph, sorted.
  const std::set<std::string>& dependencies(const std::string& name) const;
  const std::set<std::string>& dependents(const std::string& name) const;

  // `names` plus everything they (transitively) depend on.
  std::set<std::string> with_dependencies(const std::vector<std::string>& names) const;
  // `names` plus everything that (transitively) depends on them.
  std::set<std::string> with_dependents(const std::vector<std::string>& names) const;

 private:
  struct Vertex {
    std::set<std::string> dependencies;
    std::set<std::string> dependents;
    std::map<std::string, std::string> edge_paths;  // dependency -> key path that declared it
  };
  Result<void> check_cycles(const Project& project) const;

  std::map<std::string, Vertex> vertices_;
  std::vector<std::string> names_;
};

enum class WalkDirection { DependenciesFirst, DependentsFirst };

// A walk over the graph one step at a time, so a caller can run steps in
// parallel: a service becomes ready once everything before it in the walk is
// done. Sequential callers loop `next()` / `done()`; a bounded-parallel
// executor calls `next()` while it has free slots and `done()` as steps finish.
class GraphWalk {
 public:
  // Walks `only` (all services when empty); prerequisites outside `only` count as done.
  // `graph` must outlive the walk.
  GraphWalk(const ServiceGraph& graph, WalkDirection direction, std::set<std::string> only = {});

  // The ready service that sorts first, marked as started; nullopt when none is ready now.
  std::optional<std::string> next();
  // Every service that is ready now (not started), sorted.
  std::vector<std::string> ready() const;
  void done(const std::string& name);
  bool finished() const { return done_.size() == members_.size(); }

 private:
  const std::set<std::string>& prerequisites(const std::string& name) const;

  const ServiceGraph* graph_;
  WalkDirection direction_;
  std::set<std::string> members_;
  std::set<std::string> started_;
  std::set<std::string> done_;
};

// The services `names` designates (exact names or glob patterns, as Compose's
// getServicesByNames); "no such service: x" when a name matches nothing.
Result<std::vector<std::string>> resolve_service_names(const Project& project, const std::vector<std::string>& names);

// Services in dependency order (dependencies first), restricted to `names` plus
// everything they depend on (all services when empty); ties broken by name.
Result<std::vector<std::string>> in_dependency_order(const Project& project, const std::vector<std::string>& names = {});
// The reverse walk (dependents first), for stop/down: restricted to `names` plus
// everything that depends on them (stopping db stops what needs it first).
Result<std::vector<std::string>> in_reverse_dependency_order(const Project& project,
                                                             const std::vector<std::string>& names = {});

// Keeps only `names` and their dependencies in project.services (for `stack
// config SVC...`, `up SVC`): the others move to disabled_services, and
// depends_on entries left pointing outside the selection are dropped
// (compose-go WithSelectedServices). No-op when `names` is empty.
Result<void> select_services(Project& project, const std::vector<std::string>& names);

// Drops top-level networks, volumes, secrets, configs and models that no
// enabled service uses (compose-go WithoutUnnecessaryResources, which docker
// compose applies on every load).
void prune_unused_resources(Project& project);

}  // namespace stack::compose
