#include "engine/runtime/cgroups_v1.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "engine/runtime/cgroup_detect.h"
#include "engine/runtime/cgroup_resources.h"

namespace stack::runtime {
namespace {

// The hierarchies a container joins, as runc joins them: the controllers, and systemd's
// named hierarchy (name=systemd, at .../systemd) so process tracking sees the container.
// Other named hierarchies and the hybrid layout's controller-less cgroup2 mount are left
// alone: moving a process there costs an RCU grace period (10-15 ms) and controls nothing.
constexpr const char* kControllers[] = {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "freezer", "devices",
                                        "systemd"};

std::string parent_of(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

// Field by field: a file this kernel lacks leaves the field empty rather than failing stats.
template <class T>
std::optional<uint64_t> opt(const Result<std::optional<T>>& r) {
  return r ? *r : std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Cgroup>> CgroupV1::create(const std::string& cgroups_path, const std::optional<Resources>& resources,
                                                  const CgroupOptions& options, CgroupMode mode) {
  auto path = normalize_cgroups_path(cgroups_path);
  if (!path) return std::unexpected(path.error().wrapped("create cgroup"));
  std::unique_ptr<CgroupV1> cg(new CgroupV1(mode, *path, true, options));
  if (auto r = cg->discover(); !r) return std::unexpected(r.error());
  for (Hierarchy& h : cg->hierarchies_) {
    if (auto r = cgroupfs::make_dirs(h.mount, *path, h.created, options.after_mkdir); !r) return std::unexpected(r.error());
    if (std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) {
      // A new cpuset cgroup starts with no cpus and no mems and refuses tasks until given some.
      std::string dir = h.mount;
      for (const std::string& part : split(path->substr(1), '/')) {
        dir += "/" + part;
        if (auto r = cg->copy_cpuset_from_parent(dir); !r) return std::unexpected(r.error());
      }
    }
  }
  if (resources)
    if (auto r = cg->apply(*resources); !r) return std::unexpected(r.error());
  return std::unique_ptr<Cgroup>(std::move(cg));
}

Result<std::unique_ptr<Cgroup>> CgroupV1::open(const std::string& cgroups_path, const CgroupOptions& options,
                                                CgroupMode mode) {
  auto path = normalize_cgroups_path(cgroups_path);
  if (!path) return std::unexpected(path.error().wrapped("open cgroup"));
  std::unique_ptr<CgroupV1> cg(new CgroupV1(mode, *path, false, options));
  if (auto r = cg->discover(); !r) return std::unexpected(r.error());
  if (std::none_of(cg->hierarchies_.begin(), cg->hierarchies_.end(),
                   [](const Hierarchy& h) { return is_directory(h.dir); }))
    return fail("open cgroup " + *path + ": no such cgroup under " + options.root, ENOENT);
  return std::unique_ptr<Cgroup>(std::move(cg));
}

CgroupV1::~CgroupV1() {
  if (!owned_) return;
  // Undo only what create() made: a directory that was there before is not ours.
  auto deadline = std::chrono::steady_clock::now() + options_.destroy_timeout;
  for (const Hierarchy& h : hierarchies_) {
    if (h.created.empty() || h.created.back() != h.dir) continue;
    if (auto pids = cgroupfs::read_pids_recursive(h.dir); pids && !pids->empty())
      (void)cgroupfs::signal_pids(*pids, SIGKILL);
    if (auto r = cgroupfs::remove_tree(h.dir, deadline, options_.before_rmdir); !r) {
      spdlog::warn("cgroup cleanup: {}", r.error().to_string());
      continue;
    }
    cgroupfs::remove_created_parents(h.created, options_.before_rmdir);
  }
}

Result<void> CgroupV1::discover() {
  for (const char* c : kControllers) {
    std::string p = options_.root + "/" + c;
    if (!is_directory(p)) continue;
    std::error_code ec;
    std::string mount = std::filesystem::canonical(p, ec).string();
    if (ec) return fail("resolve cgroup hierarchy " + p, ec.value());
    auto it = std::find_if(hierarchies_.begin(), hierarchies_.end(), [&](const Hierarchy& h) { return h.mount == mount; });
    if (it == hierarchies_.end()) {
      hierarchies_.push_back(Hierarchy{{c}, mount, mount + path_, {}});
    } else {
      it->controllers.push_back(c);
    }
  }
  if (hierarchies_.empty())
    return fail("no cgroup v1 controller is mounted under " + options_.root + " (looked for memory, cpu, pids, ...)",
                ENOENT);
  return {};
}

const CgroupV1::Hierarchy* CgroupV1::hierarchy(std::string_view controller) const {
  for (const Hierarchy& h : hierarchies_)
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) return &h;
  return nullptr;
}

std::vector<std::string> CgroupV1::dirs() const {
  std::vector<std::string> out;
  for (const Hierarchy& h : hierarchies_) out.push_back(h.dir);
  return out;
}

Result<void> CgroupV1::copy_cpuset_from_parent(const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    auto mine = cgroupfs::read(dir + "/" + file);
    if (!mine) return std::unexpected(mine.error());
    if (!mine->empty()) continue;
    auto parent = cgroupfs::read(parent_of(dir) + "/" + file);
    if (!parent) return std::unexpected(parent.error());
    if (auto r = cgroupfs::write(dir + "/" + file, *parent); !r) return r;
  }
  return {};
}

Result<void> CgroupV1::apply(const Resources& resources) {
  HasFile has = [this](std::string_view controller, std::string_view file) {
    const Hierarchy* h = hierarchy(controller);
    return h && path_exists(h->dir + "/" + std::string(file));
  };
  std::optional<int64_t> memsw;
  if (const Hierarchy* m = hierarchy("memory"))
    if (auto v = cgroupfs::read_limit(m->dir + "/memory.memsw.limit_in_bytes"); v && *v)
      memsw = static_cast<int64_t>(**v);
  auto plan = plan_v1(resources, has, memsw);
  if (!plan) return std::unexpected(plan.error().wrapped("cgroup " + path_));
  for (const std::string& w : plan->warnings) spdlog::warn("cgroup {}: {}", path_, w);
  for (const CgroupWrite& w : plan->writes) {
    const Hierarchy* h = hierarchy(w.controller);
    if (!h)
      return fail("cgroup " + path_ + ": " + w.file + " needs the " + w.controller +
                      " controller, which is not mounted under " + options_.root,
                  ENOENT);
    if (auto r = cgroupfs::write(h->dir + "/" + w.file, w.value); !r) return r;
  }
  return {};
}

Result<void> CgroupV1::add_process(pid_t pid) {
  for (const Hierarchy& h : hierarchies_)
    if (auto r = cgroupfs::write(h.dir + "/cgroup.procs", std::to_string(pid)); !r) return r;
  return {};
}

Result<void> CgroupV1::update(const Resources& resources) { return apply(resources); }

Result<void> CgroupV1::freeze() {
  const Hierarchy* h = hierarchy("freezer");
  if (!h) return fail("freeze cgroup " + path_ + ": the v1 freezer controller is not mounted under " + options_.root, ENOENT);
  std::string state = h->dir + "/freezer.state";
  if (auto r = cgroupfs::write(state, "FROZEN"); !r) return r;
  // v1 gives no event for FREEZING -> FROZEN: poll with a short backoff, up to the deadline.
  auto deadline = std::chrono::steady_clock::now() + options_.freeze_timeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    auto now = cgroupfs::read(state);
    if (!now) return std::unexpected(now.error());
    if (*now == "FROZEN") return {};
    if (*now == "THAWED")  // thawed behind our back: ask again
      if (auto r = cgroupfs::write(state, "FROZEN"); !r) return r;
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)cgroupfs::write(state, "THAWED");
      return fail("freeze cgroup " + h->dir + ": still " + *now + " after " +
                      std::to_string(options_.freeze_timeout.count()) + " ms",
                  ETIMEDOUT);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
  }
}

Result<void> CgroupV1::thaw() {
  const Hierarchy* h = hierarchy("freezer");
  if (!h) return fail("thaw cgroup " + path_ + ": the v1 freezer controller is not mounted under " + options_.root, ENOENT);
  return cgroupfs::write(h->dir + "/freezer.state", "THAWED");
}

Result<std::vector<pid_t>> CgroupV1::pids() const {
  for (const char* c : {"pids", "freezer", "memory", "cpu"})
    if (const Hierarchy* h = hierarchy(c)) return cgroupfs::read_pids_recursive(h->dir);
  return cgroupfs::read_pids_recursive(hierarchies_.front().dir);
}

Result<void> CgroupV1::kill_all(int signal) {
  // Frozen, the group cannot fork new members between listing and signalling.
  // A paused container stays paused.
  const Hierarchy* f = hierarchy("freezer");
  auto state = f ? cgroupfs::read(f->dir + "/freezer.state") : Result<std::string>(std::string());
  bool frozen = f && state && *state != "FROZEN" && freeze().has_value();
  auto list = pids();
  Result<void> sent = list ? cgroupfs::signal_pids(*list, signal) : Result<void>(std::unexpected(list.error()));
  if (frozen)
    if (auto r = thaw(); !r && sent) return r;
  return sent;
}

Result<void> CgroupV1::destroy() {
  if (auto list = pids(); list && !list->empty())
    if (auto r = kill_all(SIGKILL); !r) return r;
  auto deadline = std::chrono::steady_clock::now() + options_.destroy_timeout;
  Result<void> result;
  for (const Hierarchy& h : hierarchies_) {
    if (auto r = cgroupfs::remove_tree(h.dir, deadline, options_.before_rmdir); !r) {
      if (result) result = r;
      continue;
    }
    cgroupfs::remove_created_parents(h.created, options_.before_rmdir);
  }
  if (result) owned_ = false;
  return result;
}

Result<CgroupStats> CgroupV1::stats() const {
  CgroupStats s;
  if (const Hierarchy* h = hierarchy("memory")) {
    if (!is_directory(h->dir)) return fail("stats of cgroup " + h->dir, ENOENT);
    s.memory_usage = opt(cgroupfs::read_limit(h->dir + "/memory.usage_in_bytes"));
    s.memory_limit = opt(cgroupfs::read_limit(h->dir + "/memory.limit_in_bytes"));
    s.memory_failcnt = opt(cgroupfs::read_limit(h->dir + "/memory.failcnt"));
    s.oom_kills = opt(cgroupfs::read_keyed(h->dir + "/memory.oom_control", "oom_kill"));
  }
  if (const Hierarchy* h = hierarchy("pids")) {
    s.pids_current = opt(cgroupfs::read_limit(h->dir + "/pids.current"));
    s.pids_limit = opt(cgroupfs::read_limit(h->dir + "/pids.max"));
  }
  if (const Hierarchy* h = hierarchy("cpuacct")) s.cpu_usage_ns = opt(cgroupfs::read_limit(h->dir + "/cpuacct.usage"));
  return s;
}

}  // namespace stack::runtime
