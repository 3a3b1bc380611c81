// Control groups for the runtime: one interface, two backends (cgroups_v1.cpp for the
// v1 and hybrid layouts, cgroups_v2.cpp for the unified hierarchy), chosen by
// detect_cgroup_mode(). What each resource becomes on disk is decided by the pure
// functions in cgroup_resources.h.
//
// Called from the parent side of container creation:
//   auto cg = Cgroup::create(spec.linux.cgroups_path, spec.linux.resources);   // before the child runs
//   cg->add_process(child_pid);                                               // before releasing it
//   cg->release();                                                            // once the container is recorded
// and from later invocations (exec, pause, kill, delete) through Cgroup::open().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

inline constexpr const char* kDefaultCgroupRoot = "/sys/fs/cgroup";

// V1: only v1 controller hierarchies. Hybrid: v1 controllers plus a cgroup2 mount at
// <root>/unified (which carries no controllers); treated as V1 for controllers.
// V2: the unified hierarchy mounted at <root>.
enum class CgroupMode { V1, Hybrid, V2 };
std::string_view to_string(CgroupMode mode);

// Detects the layout under `root` from the files a kernel shows there (tests pass a fake dir).
Result<CgroupMode> detect_cgroup_mode(const std::string& root = kDefaultCgroupRoot);

struct CgroupOptions {
  std::string root = kDefaultCgroupRoot;  // where the hierarchies are mounted
  std::optional<CgroupMode> mode;         // skip detection (tests; a v2 mount elsewhere)
  std::chrono::milliseconds freeze_timeout{5000};   // freeze(): wait this long for FROZEN
  std::chrono::milliseconds destroy_timeout{2000};  // destroy(): retry rmdir on EBUSY this long
  // Test seams for a fake cgroupfs in a temp dir: the kernel fills a new cgroup directory
  // with its interface files and drops them on rmdir; a plain file system does not.
  std::function<void(const std::string& dir)> after_mkdir;
  std::function<void(const std::string& dir)> before_rmdir;
};

// For `stats --no-stream`; a field is empty when this kernel or layout does not report it.
struct CgroupStats {
  std::optional<uint64_t> memory_usage;  // bytes
  std::optional<uint64_t> memory_limit;  // bytes; empty when unlimited
  std::optional<uint64_t> memory_failcnt;  // v1: times the limit was hit
  std::optional<uint64_t> oom_kills;       // v1 memory.oom_control oom_kill, v2 memory.events oom_kill
  std::optional<uint64_t> pids_current;
  std::optional<uint64_t> pids_limit;    // empty when unlimited
  std::optional<uint64_t> cpu_usage_ns;  // total CPU time of the group
};

// RAII: the destructor removes what create() made unless release() was called.
// An opened cgroup is not owned (its destructor leaves it), but destroy() removes it.
class Cgroup {
 public:
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  virtual ~Cgroup() = default;

  // cgroups_path from the spec: absolute ("/stack/ID") relative to each hierarchy root, or
  // relative ("ID", then under "stack/"). Creates the directory in every needed v1 controller
  // hierarchy (cpu, cpuacct, memory, pids, blkio, cpuset with cpus/mems copied from the parent,
  // freezer, devices) or the v2 directory (enabling the controllers in the parents'
  // cgroup.subtree_control), then applies `resources`. Device rules go to devices.allow/deny
  // on v1 and into an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the v2 directory;
  // an empty rule list leaves every device allowed, so the caller passes Docker's defaults.
  // Errors name the file, the value the kernel refused and errno:
  // "write 1 to /sys/fs/cgroup/memory/stack/x/memory.limit_in_bytes: Device or resource busy".
  // On failure nothing create() made is left behind.
  static Result<std::unique_ptr<Cgroup>> create(const std::string& cgroups_path,
                                                const std::optional<Resources>& resources,
                                                const CgroupOptions& options = {});
  // An existing container's cgroup (exec, pause, kill, delete from another invocation).
  static Result<std::unique_ptr<Cgroup>> open(const std::string& cgroups_path, const CgroupOptions& options = {});

  CgroupMode mode() const { return mode_; }
  const std::string& path() const { return path_; }   // normalized: "/stack/ID"
  virtual std::vector<std::string> dirs() const = 0;  // the directory in each hierarchy

  virtual Result<void> add_process(pid_t pid) = 0;       // cgroup.procs in every hierarchy
  virtual Result<void> update(const Resources& resources) = 0;
  virtual Result<void> freeze() = 0;  // v1 freezer.state until FROZEN; v2 cgroup.freeze until events "frozen 1"
  virtual Result<void> thaw() = 0;
  virtual Result<std::vector<pid_t>> pids() const = 0;  // this group and its descendants
  virtual Result<void> kill_all(int signal) = 0;        // v2 SIGKILL: cgroup.kill when present
  virtual Result<void> destroy() = 0;                   // rmdir everywhere; idempotent
  virtual Result<CgroupStats> stats() const = 0;

  void release() { owned_ = false; }
  bool owned() const { return owned_; }

 protected:
  Cgroup(CgroupMode mode, std::string path, bool owned) : mode_(mode), path_(std::move(path)), owned_(owned) {}

  CgroupMode mode_;
  std::string path_;
  bool owned_;
};

}  // namespace stack::runtime
