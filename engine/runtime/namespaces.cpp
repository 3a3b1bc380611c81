#include "engine/runtime/namespaces.h"

#include <sched.h>

#include <algorithm>

#include "engine/runtime/syscalls.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace stack::runtime {

int namespace_flag(const std::string& type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "user") return CLONE_NEWUSER;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  if (type == "time") return CLONE_NEWTIME;
  return 0;
}

bool NamespacePlan::has(int flag) const {
  if (flag == CLONE_NEWCGROUP && new_cgroup) return true;
  if (flag == CLONE_NEWPID && !pid_path.empty()) return true;
  if (clone_flags & static_cast<uint64_t>(flag)) return true;
  return std::any_of(joins.begin(), joins.end(), [&](const NamespaceJoin& j) { return j.flag == flag; });
}

Result<NamespacePlan> plan_namespaces(const Linux& linux_spec) {
  NamespacePlan plan;
  int seen = 0;
  for (const auto& ns : linux_spec.namespaces) {
    int flag = namespace_flag(ns.type);
    if (flag == 0) return fail("linux.namespaces: unknown namespace type \"" + ns.type + "\"");
    if (seen & flag) return fail("linux.namespaces: duplicate namespace \"" + ns.type + "\"");
    seen |= flag;
    if (!ns.path.empty()) {
      if (flag == CLONE_NEWPID) {
        plan.pid_path = ns.path;
      } else {
        plan.joins.push_back({flag, ns.type, ns.path});
      }
      continue;
    }
    if (flag == CLONE_NEWCGROUP) {
      plan.new_cgroup = true;
    } else {
      plan.clone_flags |= static_cast<uint64_t>(flag);
      if (flag == CLONE_NEWUSER) plan.new_user = true;
    }
  }
  // The user namespace first: it decides what the process may do in the others.
  std::stable_sort(plan.joins.begin(), plan.joins.end(),
                   [](const NamespaceJoin& a, const NamespaceJoin& b) { return a.flag == CLONE_NEWUSER && b.flag != CLONE_NEWUSER; });
  bool maps = !linux_spec.uid_mappings.empty() || !linux_spec.gid_mappings.empty();
  if (plan.new_user && (linux_spec.uid_mappings.empty() || linux_spec.gid_mappings.empty()))
    return fail("linux.uidMappings, linux.gidMappings: a new user namespace needs both");
  if (maps && !plan.new_user) return fail("linux.uidMappings: mappings need a new user namespace in linux.namespaces");
  return plan;
}

Result<void> join_namespaces(const std::vector<NamespaceJoin>& joins) {
  for (const auto& j : joins)
    if (auto r = sys::setns_path(j.path, j.flag); !r) return std::unexpected(r.error().wrapped("join " + j.type + " namespace"));
  return {};
}

std::string format_id_map(const std::vector<IdMapping>& mappings) {
  std::string out;
  for (const auto& m : mappings)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
}

Result<void> write_id_maps(pid_t pid, const Linux& linux_spec) {
  std::string base = "/proc/" + std::to_string(pid) + "/";
  if (auto r = sys::write_existing(base + "uid_map", format_id_map(linux_spec.uid_mappings)); !r) return r;
  if (auto r = sys::write_existing(base + "gid_map", format_id_map(linux_spec.gid_mappings)); !r) return r;
  return {};
}

}  // namespace stack::runtime
