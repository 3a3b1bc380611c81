// Which cgroup layout the host has, and the cgroupfs file operations both backends share
// (every error names the file, the value and errno).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/runtime/cgroups.h"

namespace stack::runtime {

// One cgroup mount from /proc/self/mountinfo.
struct CgroupMount {
  std::string mount_point;
  bool v2 = false;                       // cgroup2 (else cgroup v1)
  std::vector<std::string> controllers;  // v1: from the super options ("cpu", "cpuacct", "name=systemd")
};

// The cgroup and cgroup2 mounts in a mountinfo text (octal escapes in paths decoded).
std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo);
// The layout the mounts under `root` make: cgroup2 at root -> V2; v1 controllers plus a
// cgroup2 mount below root -> Hybrid; v1 controllers only -> V1.
Result<CgroupMode> detect_cgroup_mode_from_mountinfo(std::string_view mountinfo,
                                                     const std::string& root = kDefaultCgroupRoot);

namespace cgroupfs {

// Writes `value` to an existing interface file: "write 1 to <path>" + errno on refusal.
Result<void> write(const std::string& path, std::string_view value);
// The file's content with surrounding white space trimmed.
Result<std::string> read(const std::string& path);
// A number, or nullopt for "max" (and v1's near-2^63 "unlimited" byte counts).
Result<std::optional<uint64_t>> read_limit(const std::string& path);
// The value of `key` in a flat keyed file ("oom_kill 3" in memory.events).
Result<std::optional<uint64_t>> read_keyed(const std::string& path, std::string_view key);
// The pids in <dir>/cgroup.procs and in those of every descendant directory.
Result<std::vector<pid_t>> read_pids_recursive(const std::string& dir);
// mkdir -p of `rel` ("/stack/ID") under `base`; appends each directory it made to `created`
// (top-down) and calls `after_mkdir` on it. Existing directories are fine.
Result<void> make_dirs(const std::string& base, const std::string& rel, std::vector<std::string>& created,
                       const std::function<void(const std::string&)>& after_mkdir);
// Removes `dir` and its descendant cgroups, deepest first; retries EBUSY until `deadline`
// (a process that was just killed leaves its cgroup a moment later). A missing dir is success.
Result<void> remove_tree(const std::string& dir, std::chrono::steady_clock::time_point deadline,
                         const std::function<void(const std::string&)>& before_rmdir);
// Best effort rmdir of parents create() made, deepest first; in use (ENOTEMPTY, EBUSY) is fine.
void remove_created_parents(const std::vector<std::string>& created_top_down,
                            const std::function<void(const std::string&)>& before_rmdir);
// Sends `signal` to each pid; ESRCH (already gone) is fine.
Result<void> signal_pids(const std::vector<pid_t>& pids, int signal);

}  // namespace cgroupfs
}  // namespace stack::runtime
