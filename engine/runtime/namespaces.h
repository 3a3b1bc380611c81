// Which namespaces a container gets: the spec's linux.namespaces turned into clone flags
// for the new ones and a list of paths to join with setns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// "network" -> CLONE_NEWNET; 0 for an unknown type.
int namespace_flag(const std::string& type);

struct NamespaceJoin {
  int flag = 0;  // CLONE_NEW*
  std::string type;
  std::string path;
};

struct NamespacePlan {
  // Created by clone3. CLONE_NEWCGROUP is not among them: the child unshares the cgroup
  // namespace only after the parent has put it into its cgroup (see new_cgroup).
  uint64_t clone_flags = 0;
  bool new_cgroup = false;
  bool new_user = false;
  // Joined in the child, user namespace first (it decides what the others may do).
  std::vector<NamespaceJoin> joins;
  // A pid namespace to join must be entered by the parent before clone (setns(CLONE_NEWPID)
  // only applies to children).
  std::string pid_path;

  bool has(int flag) const;  // created or joined
};

// Unknown or repeated types are errors; a user namespace asked for without uid and gid
// mappings is an error, as are mappings without a new user namespace.
Result<NamespacePlan> plan_namespaces(const Linux& linux_spec);

// Enters each namespace in `joins` (in the child, before anything else).
Result<void> join_namespaces(const std::vector<NamespaceJoin>& joins);

// "0 100000 65536\n" lines for /proc/<pid>/uid_map.
std::string format_id_map(const std::vector<IdMapping>& mappings);

// Parent side: writes uid_map, gid_map of the child (setgroups is left allowed so the
// child can set its additional gids).
Result<void> write_id_maps(pid_t pid, const Linux& linux_spec);

}  // namespace stack::runtime
