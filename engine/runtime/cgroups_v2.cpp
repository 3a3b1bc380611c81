#include "engine/runtime/cgroups_v2.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/files.h"
#include "common/strings.h"
#include "engine/runtime/cgroup_detect.h"
#include "engine/runtime/cgroup_resources.h"

namespace stack::runtime {
namespace {

// Enabled when available even if the spec sets nothing for them, so stats and a later
// update find their files. cpuset, hugetlb and the rest only when the resources ask.
constexpr const char* kDefaultControllers[] = {"cpu", "io", "memory", "pids"};

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  for (auto& w : split(s, ' '))
    if (!w.empty()) out.push_back(w);
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

template <class T>
std::optional<uint64_t> opt(const Result<std::optional<T>>& r) {
  return r ? *r : std::nullopt;
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(__NR_bpf, cmd, &attr, sizeof attr); }

}  // namespace

Result<std::unique_ptr<Cgroup>> CgroupV2::create(const std::string& cgroups_path, const std::optional<Resources>& resources,
                                                  const CgroupOptions& options) {
  auto path = normalize_cgroups_path(cgroups_path);
  if (!path) return std::unexpected(path.error().wrapped("create cgroup"));
  std::unique_ptr<CgroupV2> cg(new CgroupV2(*path, true, options));
  std::vector<std::string> needed = resources ? v2_controllers_needed(*resources) : std::vector<std::string>{};
  auto prepared = cg->prepare_path(needed, true);
  // A shared parent removed under us by the last container leaving it: once more.
  if (!prepared && prepared.error().errno_value == ENOENT) prepared = cg->prepare_path(needed, true);
  if (!prepared) return std::unexpected(prepared.error());
  if (resources)
    if (auto r = cg->apply(*resources); !r) return std::unexpected(r.error());
  return std::unique_ptr<Cgroup>(std::move(cg));
}

Result<std::unique_ptr<Cgroup>> CgroupV2::open(const std::string& cgroups_path, const CgroupOptions& options) {
  auto path = normalize_cgroups_path(cgroups_path);
  if (!path) return std::unexpected(path.error().wrapped("open cgroup"));
  std::unique_ptr<CgroupV2> cg(new CgroupV2(*path, false, options));
  if (!is_directory(cg->dir_)) return fail("open cgroup " + cg->dir_, ENOENT);
  return std::unique_ptr<Cgroup>(std::move(cg));
}

CgroupV2::~CgroupV2() {
  if (!owned_ || created_.empty() || created_.back() != dir_) return;
  auto deadline = std::chrono::steady_clock::now() + options_.destroy_timeout;
  if (auto pids = cgroupfs::read_pids_recursive(dir_); pids && !pids->empty()) (void)kill_all(SIGKILL);
  if (auto r = cgroupfs::remove_tree(dir_, deadline, options_.before_rmdir); !r) {
    spdlog::warn("cgroup cleanup: {}", r.error().to_string());
    return;
  }
  cgroupfs::remove_created_parents(created_, options_.before_rmdir);
}

Result<void> CgroupV2::prepare_path(const std::vector<std::string>& needed, bool make) {
  std::vector<std::string> wanted;
  for (const char* c : kDefaultControllers) wanted.push_back(c);
  for (const std::string& c : needed)
    if (!contains(wanted, c)) wanted.push_back(c);

  std::string parent = options_.root;
  for (const std::string& part : split(path_.substr(1), '/')) {
    auto available = cgroupfs::read(parent + "/cgroup.controllers");
    if (!available) return std::unexpected(available.error());
    auto enabled = cgroupfs::read(parent + "/cgroup.subtree_control");
    if (!enabled) return std::unexpected(enabled.error());
    std::vector<std::string> avail = words(*available), on = words(*enabled);
    for (std::string& c : on)
      if (c.starts_with('+')) c.erase(0, 1);
    std::vector<std::string> missing;
    for (const std::string& c : wanted) {
      if (contains(on, c)) continue;
      if (!contains(avail, c)) {
        if (contains(needed, c))
          return fail("cgroup " + path_ + " needs the " + c + " controller, which " + parent +
                          "/cgroup.controllers does not offer",
                      EOPNOTSUPP);
        continue;
      }
      missing.push_back(c);
    }
    if (!missing.empty()) {
      // One write for all; the kernel takes all or none, so on refusal go one by one to
      // keep what can be had and to name the controller that was refused.
      std::string all;
      for (const std::string& c : missing) all += (all.empty() ? "+" : " +") + c;
      if (!cgroupfs::write(parent + "/cgroup.subtree_control", all)) {
        for (const std::string& c : missing) {
          if (auto r = cgroupfs::write(parent + "/cgroup.subtree_control", "+" + c); !r) {
            if (contains(needed, c)) return r;
            // Typically EBUSY: the parent has processes of its own ("no internal processes").
            spdlog::debug("cgroup {}: controller {} not enabled: {}", path_, c, r.error().to_string());
          }
        }
      }
    }
    std::string child = parent + "/" + part;
    if (make) {
      if (::mkdir(child.c_str(), 0755) == 0) {
        created_.push_back(child);
        if (options_.after_mkdir) options_.after_mkdir(child);
      } else if (errno != EEXIST) {
        return fail_errno("create cgroup " + child);
      }
    }
    parent = child;
  }
  return {};
}

Result<void> CgroupV2::apply(const Resources& resources) {
  HasFile has = [this](std::string_view, std::string_view file) { return path_exists(dir_ + "/" + std::string(file)); };
  auto plan = plan_v2(resources, has);
  if (!plan) return std::unexpected(plan.error().wrapped("cgroup " + path_));
  for (const std::string& w : plan->warnings) spdlog::warn("cgroup {}: {}", path_, w);
  for (const CgroupWrite& w : plan->writes)
    if (auto r = cgroupfs::write(dir_ + "/" + w.file, w.value); !r) return r;
  if (!resources.devices.empty())
    if (auto r = attach_device_filter(dir_, resources.devices); !r) return r;
  return {};
}

Result<void> CgroupV2::add_process(pid_t pid) { return cgroupfs::write(dir_ + "/cgroup.procs", std::to_string(pid)); }

Result<void> CgroupV2::update(const Resources& resources) {
  if (auto r = prepare_path(v2_controllers_needed(resources), false); !r) return r;
  return apply(resources);
}

Result<bool> CgroupV2::wait_event(std::string_view key, std::string_view value, std::chrono::milliseconds timeout) const {
  std::string events = dir_ + "/cgroup.events";
  UniqueFd fd(::open(events.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + events);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    char buf[512];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n < 0) return fail_errno("read " + events);
    for (const std::string& line : split(std::string_view(buf, static_cast<size_t>(n)), '\n')) {
      auto f = words(line);
      if (f.size() == 2 && f[0] == key) {
        if (f[1] == value) return true;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    // The kernel signals a change of cgroup.events as POLLPRI.
    pollfd p{fd.get(), POLLPRI, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (r < 0 && errno != EINTR) return fail_errno("poll " + events);
  }
}

Result<void> CgroupV2::freeze() {
  if (auto r = cgroupfs::write(dir_ + "/cgroup.freeze", "1"); !r) return r;
  auto frozen = wait_event("frozen", "1", options_.freeze_timeout);
  if (!frozen) return std::unexpected(frozen.error());
  if (!*frozen) {
    (void)cgroupfs::write(dir_ + "/cgroup.freeze", "0");
    return fail("freeze cgroup " + dir_ + ": cgroup.events did not show \"frozen 1\" within " +
                    std::to_string(options_.freeze_timeout.count()) + " ms",
                ETIMEDOUT);
  }
  return {};
}

Result<void> CgroupV2::thaw() {
  if (auto r = cgroupfs::write(dir_ + "/cgroup.freeze", "0"); !r) return r;
  auto thawed = wait_event("frozen", "0", options_.freeze_timeout);
  if (!thawed) return std::unexpected(thawed.error());
  if (!*thawed) return fail("thaw cgroup " + dir_ + ": cgroup.events still shows \"frozen 1\"", ETIMEDOUT);
  return {};
}

Result<std::vector<pid_t>> CgroupV2::pids() const { return cgroupfs::read_pids_recursive(dir_); }

Result<void> CgroupV2::kill_all(int signal) {
  // cgroup.kill (5.14+) kills the whole subtree at once, forks in flight included.
  if (signal == SIGKILL && path_exists(dir_ + "/cgroup.kill")) return cgroupfs::write(dir_ + "/cgroup.kill", "1");
  auto state = cgroupfs::read(dir_ + "/cgroup.freeze");
  bool frozen = state && *state == "0" && freeze().has_value();
  auto list = pids();
  Result<void> sent = list ? cgroupfs::signal_pids(*list, signal) : Result<void>(std::unexpected(list.error()));
  if (frozen)
    if (auto r = thaw(); !r && sent) return r;
  return sent;
}

Result<void> CgroupV2::destroy() {
  if (!is_directory(dir_)) {
    owned_ = false;
    return {};
  }
  auto deadline = std::chrono::steady_clock::now() + options_.destroy_timeout;
  if (auto list = pids(); list && !list->empty()) {
    if (auto r = kill_all(SIGKILL); !r) return r;
    (void)wait_event("populated", "0", options_.destroy_timeout);
  }
  if (auto r = cgroupfs::remove_tree(dir_, deadline, options_.before_rmdir); !r) return r;
  cgroupfs::remove_created_parents(created_, options_.before_rmdir);
  owned_ = false;
  return {};
}

Result<CgroupStats> CgroupV2::stats() const {
  if (!is_directory(dir_)) return fail("stats of cgroup " + dir_, ENOENT);
  CgroupStats s;
  s.memory_usage = opt(cgroupfs::read_limit(dir_ + "/memory.current"));
  s.memory_limit = opt(cgroupfs::read_limit(dir_ + "/memory.max"));
  s.oom_kills = opt(cgroupfs::read_keyed(dir_ + "/memory.events", "oom_kill"));
  s.pids_current = opt(cgroupfs::read_limit(dir_ + "/pids.current"));
  s.pids_limit = opt(cgroupfs::read_limit(dir_ + "/pids.max"));
  if (auto usec = opt(cgroupfs::read_keyed(dir_ + "/cpu.stat", "usage_usec"))) s.cpu_usage_ns = *usec * 1000;
  return s;
}

Result<void> attach_device_filter(const std::string& dir, const std::vector<DeviceCgroupRule>& rules) {
  auto program = device_filter_program(rules);
  if (!program) return std::unexpected(program.error().wrapped("device rules for " + dir));

  static const char kLicense[] = "Apache-2.0";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(program->data());
  load.insn_cnt = static_cast<uint32_t>(program->size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd prog(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
  if (!prog) {
    int saved = errno;
    // Load again with the verifier's log, to say why.
    std::string log(16384, '\0');
    load.log_level = 1;
    load.log_buf = reinterpret_cast<uint64_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    UniqueFd again(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
    log.resize(std::strlen(log.c_str()));
    return fail("load the device filter (BPF_PROG_TYPE_CGROUP_DEVICE, " + std::to_string(program->size()) +
                    " insns) for " + dir + (log.empty() ? "" : ": verifier: " + std::string(trim(log))),
                saved);
  }

  UniqueFd cg(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) return fail_errno("open cgroup " + dir);

  // The programs attached directly to this cgroup now: they go once the new one is in.
  std::vector<uint32_t> old(64);
  bpf_attr query{};
  query.query.target_fd = static_cast<uint32_t>(cg.get());
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = reinterpret_cast<uint64_t>(old.data());
  query.query.prog_cnt = static_cast<uint32_t>(old.size());
  if (bpf(BPF_PROG_QUERY, query) != 0) return fail_errno("query device filters of " + dir);
  old.resize(query.query.prog_cnt);

  bpf_attr attach{};
  attach.target_fd = static_cast<uint32_t>(cg.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attach) != 0) return fail_errno("attach the device filter to " + dir);

  for (uint32_t id : old) {
    bpf_attr get{};
    get.prog_id = id;
    UniqueFd old_prog(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old_prog) {
      if (errno == ENOENT) continue;
      return fail_errno("open device filter #" + std::to_string(id) + " of " + dir);
    }
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(cg.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old_prog.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT)
      return fail_errno("detach device filter #" + std::to_string(id) + " from " + dir);
  }
  return {};
}

}  // namespace stack::runtime
