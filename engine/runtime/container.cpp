#include "engine/runtime/container.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>

#include "common/files.h"
#include "common/unique_fd.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/cgroups.h"
#include "engine/runtime/docker_defaults.h"
#include "engine/runtime/namespaces.h"
#include "engine/runtime/process_setup.h"
#include "engine/runtime/rootfs.h"
#include "engine/runtime/seccomp.h"
#include "engine/runtime/spec_json.h"
#include "engine/runtime/syscalls.h"

namespace stack::runtime {
namespace {

enum class Mode { Create, Run };

// Messages on the parent/child socket (SOCK_SEQPACKET: one message per send).
constexpr char kGo = 'G';     // parent -> child: cgroup joined, id maps written, hooks run
constexpr char kReady = 'R';  // child -> parent (create): waiting on the exec fifo
constexpr char kError = 'E';  // child -> parent: the rest of the message says what failed

Result<void> send_message(int fd, char tag, std::string_view body = {}) {
  std::string msg(1, tag);
  msg.append(body);
  if (::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) < 0) return fail_errno("send to the container's init");
  return {};
}

// nullopt on EOF (the peer closed its end, or exec'd).
Result<std::optional<std::string>> receive_message(int fd) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("receive from the container's init");
    if (n == 0) return std::optional<std::string>{};
    return std::optional<std::string>(std::string(buf, static_cast<size_t>(n)));
  }
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)); }

// Waits until the process behind `pidfd` has exited; false on timeout.
bool wait_exit(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

int exit_status(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

// The state directory, removed on a failure path.
class StateDirGuard {
 public:
  StateDirGuard(std::string root, std::string id) : root_(std::move(root)), id_(std::move(id)) {}
  StateDirGuard(const StateDirGuard&) = delete;
  StateDirGuard& operator=(const StateDirGuard&) = delete;
  ~StateDirGuard() {
    if (armed_) (void)remove_state_dir(root_, id_);
  }
  void release() { armed_ = false; }

 private:
  std::string root_, id_;
  bool armed_ = true;
};

// The container's init, killed and reaped on a failure path.
class ChildGuard {
 public:
  ChildGuard(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ <= 0) return;
    pidfd_send_signal(pidfd_.get(), SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  // Reaps the exited child; the guard no longer owns it.
  int wait() {
    int wstatus = 0;
    while (::waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return exit_status(wstatus);
  }
  void release() { pid_ = -1; }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
};

// Runs one hook with the state JSON on its stdin, within its timeout.
Result<void> run_hook(const Hook& hook, const std::string& state_json) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno("pipe for hook " + hook.path);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto child = sys::clone_into(0);
  if (!child) return std::unexpected(child.error().wrapped("run hook " + hook.path));
  if (child->pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(read_end.get(), 0);
    Error e = exec_process(hook.path, args, hook.env);
    ::dprintf(2, "stack runtime: hook: %s\n", e.message.c_str());
    ::_exit(127);
  }
  ChildGuard guard(child->pid, std::move(child->pidfd));
  read_end.reset();
  (void)!::write(write_end.get(), state_json.data(), state_json.size());  // a hook may not read it
  write_end.reset();
  int timeout_ms = hook.timeout ? *hook.timeout * 1000 : -1;
  if (!wait_exit(guard.pidfd(), timeout_ms))
    return fail("hook " + hook.path + " timed out after " + std::to_string(*hook.timeout) + "s");
  int status = guard.wait();
  if (status != 0) return fail("hook " + hook.path + " exited with status " + std::to_string(status));
  return {};
}

Result<void> run_hooks(const std::vector<Hook>& hooks, const std::string& kind, const State& state, Status status) {
  if (hooks.empty()) return {};
  std::string json = oci_state_json(state, status).dump();
  for (const auto& h : hooks)
    if (auto r = run_hook(h, json); !r) return std::unexpected(r.error().wrapped(kind + " hook"));
  return {};
}

void warn_hooks(const std::vector<Hook>& hooks, const std::string& kind, const State& state, Status status) {
  if (auto r = run_hooks(hooks, kind, state, status); !r) spdlog::warn("{}", r.error().to_string());
}

// Everything checked and computed before the clone, so the child only acts.
struct Prepared {
  NamespacePlan plan;
  std::string rootfs;
  std::optional<SeccompProgram> seccomp;
  std::string cgroups_path;
  std::optional<Capabilities> capabilities;
  std::optional<Resources> resources;
};

// The device cgroup rules: the spec's, then what runc always allows after them (mknod of
// any node, the default devices, /dev/pts/*, /dev/ptmx) and the spec's own devices, so a
// "deny all" rule in the spec cannot take away /dev/null.
std::optional<Resources> with_default_device_rules(const Spec& spec) {
  Resources res = spec.linux.resources.value_or(Resources{});
  auto allow = [&](std::string type, std::optional<int64_t> major, std::optional<int64_t> minor, std::string access) {
    res.devices.push_back(DeviceCgroupRule{true, std::move(type), major, minor, std::move(access)});
  };
  allow("c", std::nullopt, std::nullopt, "m");
  allow("b", std::nullopt, std::nullopt, "m");
  for (const auto& d : docker_default_devices()) allow(d.type, d.major, d.minor, "rwm");
  allow("c", 136, std::nullopt, "rwm");  // /dev/pts/*
  allow("c", 5, 2, "rwm");               // /dev/ptmx
  for (const auto& d : spec.linux.devices)
    if (d.type == "c" || d.type == "b") allow(d.type, d.major, d.minor, "rwm");
  return res;
}

// runc's default spec asks for ambient capabilities that are not inheritable, which the
// kernel cannot raise; runc carries on without them, and so do we.
Capabilities raisable_ambient(Capabilities caps) {
  std::vector<std::string> kept;
  for (const auto& c : caps.ambient) {
    bool permitted = std::find(caps.permitted.begin(), caps.permitted.end(), c) != caps.permitted.end();
    bool inheritable = std::find(caps.inheritable.begin(), caps.inheritable.end(), c) != caps.inheritable.end();
    if (permitted && inheritable) {
      kept.push_back(c);
    } else {
      spdlog::debug("ambient capability {} is not permitted and inheritable: not raised", c);
    }
  }
  caps.ambient = std::move(kept);
  return caps;
}

Result<Prepared> prepare(const CreateOptions& o, const Spec& spec) {
  if (auto r = validate_id(o.id); !r) return std::unexpected(r.error());
  if (spec.process.args.empty()) return fail("config.json: process.args: must not be empty");
  if (spec.process.terminal)
    return fail("config.json: process.terminal: a terminal needs --console-socket, which stack runtime does not support yet");
  Prepared p;
  auto plan = plan_namespaces(spec.linux);
  if (!plan) return std::unexpected(plan.error().wrapped("config.json"));
  p.plan = std::move(*plan);
  if (!(p.plan.clone_flags & CLONE_NEWNS)) return fail("config.json: linux.namespaces: a new mount namespace is required");
  if (!spec.hostname.empty() && !p.plan.has(CLONE_NEWUTS))
    return fail("config.json: hostname: setting the hostname needs a private uts namespace");
  if (spec.process.capabilities) {
    p.capabilities = raisable_ambient(*spec.process.capabilities);
    if (auto r = validate_capabilities(*p.capabilities); !r)
      return std::unexpected(r.error().wrapped("config.json: process.capabilities"));
  }
  if (spec.linux.seccomp) {
    auto program = compile_seccomp(*spec.linux.seccomp);
    if (!program) return std::unexpected(program.error().wrapped("config.json: linux.seccomp"));
    p.seccomp = std::move(*program);
  }
  std::string rootfs = spec.root.path.front() == '/' ? spec.root.path : o.bundle + "/" + spec.root.path;
  char resolved[PATH_MAX];
  if (!::realpath(rootfs.c_str(), resolved)) return fail_errno("rootfs " + rootfs);
  if (!is_directory(resolved)) return fail("rootfs " + rootfs + ": not a directory", ENOTDIR);
  p.rootfs = resolved;
  p.resources = with_default_device_rules(spec);
  p.cgroups_path = spec.linux.cgroups_path.empty() ? "/" + o.id : spec.linux.cgroups_path;
  return p;
}

// How the container's init gets into its cgroup. Moving a process through cgroup.procs
// write-locks cgroup_threadgroup_rwsem, which waits for an RCU grace period (10-15 ms
// here: most of a container start). The kernel skips that lock when a thread moves
// itself through a v1 "tasks" file (pid 0), and CLONE_INTO_CGROUP (v2) needs no move.
enum class CgroupJoin { SelfTasks, CloneInto, ParentAddsPid };

struct ChildContext {
  const Spec* spec;
  const Prepared* prepared;
  CgroupJoin join;
  const std::vector<std::string>* cgroup_dirs;
  Mode mode;
  int sync_fd;
  int fifo_fd;  // O_PATH fd of the exec fifo (create mode)
  const int* stdio;
  const sigset_t* old_mask;
};

// The container's init between clone and exec. Every step's error goes to the parent.
Result<void> child_setup(const ChildContext& c, UniqueFd& proc_fd_dir, std::string& executable) {
  const Spec& spec = *c.spec;
  const Prepared& p = *c.prepared;
  if (c.join == CgroupJoin::SelfTasks)
    for (const auto& dir : *c.cgroup_dirs)
      if (auto r = sys::write_existing(dir + "/tasks", "0"); !r) return std::unexpected(r.error().wrapped("join cgroup"));
  auto go = receive_message(c.sync_fd);
  if (!go) return std::unexpected(go.error());
  if (!*go || (*go)->empty() || (**go)[0] != kGo) ::_exit(1);  // the parent gave up
  if (auto r = join_namespaces(p.plan.joins); !r) return r;
  if (p.plan.new_user) {
    // Become the namespace's root, now that the parent has mapped it.
    if (::setresgid(0, 0, 0) != 0) return fail_errno("setgid 0 in the user namespace");
    if (::setresuid(0, 0, 0) != 0) return fail_errno("setuid 0 in the user namespace");
  }
  // Unshared only now: the parent has put us into our cgroup, which becomes the namespace's root.
  if (p.plan.new_cgroup)
    if (auto r = sys::unshare(CLONE_NEWCGROUP); !r) return std::unexpected(r.error().wrapped("new cgroup namespace"));
  if (spec.process.oom_score_adj)
    if (auto r = set_oom_score_adj(*spec.process.oom_score_adj); !r) return r;
  if (c.mode == Mode::Create) {
    // The fifo lives on the host; this handle on our fd table outlives pivot_root.
    proc_fd_dir.reset(::open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!proc_fd_dir) return fail_errno("open /proc/self/fd");
  }
  if (auto r = prepare_rootfs(spec, p.rootfs, *c.cgroup_dirs); !r) return std::unexpected(r.error().wrapped("rootfs " + p.rootfs));
  if (auto r = set_hostnames(spec.hostname, spec.domainname); !r) return r;
  if (auto r = apply_sysctls(spec.linux.sysctl); !r) return r;
  // Before the root may turn read-only.
  if (auto r = ensure_cwd(spec.process.cwd); !r) return std::unexpected(r.error().wrapped("process.cwd"));
  if (auto r = finalize_rootfs(spec); !r) return r;
  if (auto r = apply_rlimits(spec.process.rlimits); !r) return r;
  if (spec.process.no_new_privileges)
    if (auto r = set_no_new_privileges(); !r) return r;
  if (p.seccomp && !spec.process.no_new_privileges)
    if (auto r = load_seccomp(*p.seccomp); !r) return r;  // still holding CAP_SYS_ADMIN
  if (p.capabilities)
    if (auto r = keep_capabilities_across_setuid(); !r) return r;
  if (auto r = switch_user(spec.process.user); !r) return r;
  if (p.capabilities)
    if (auto r = apply_capabilities(*p.capabilities); !r) return r;
  if (auto r = enter_cwd(spec.process.cwd); !r) return r;
  auto found = find_executable(spec.process.args.front(), path_from_env(spec.process.env));
  if (!found) return std::unexpected(found.error());
  executable = *found;
  if (p.seccomp && spec.process.no_new_privileges)
    if (auto r = load_seccomp(*p.seccomp); !r) return r;
  return {};
}

[[noreturn]] void child_main(const ChildContext& c) {
  ::sigprocmask(SIG_SETMASK, c.old_mask, nullptr);
  for (int i = 0; i < 3; ++i)
    if (c.stdio[i] >= 0 && ::dup2(c.stdio[i], i) < 0) ::_exit(1);
  // Nothing the caller had open may reach the container; ours are close-on-exec already.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  UniqueFd proc_fd_dir;
  std::string executable;
  if (auto r = child_setup(c, proc_fd_dir, executable); !r) {
    (void)send_message(c.sync_fd, kError, r.error().to_string());
    ::_exit(1);
  }
  if (c.mode == Mode::Create) {
    if (!send_message(c.sync_fd, kReady)) ::_exit(1);
    // Blocks until `start` opens the fifo for reading.
    int fifo = ::openat(proc_fd_dir.get(), std::to_string(c.fifo_fd).c_str(), O_WRONLY | O_CLOEXEC);
    if (fifo < 0 || ::write(fifo, "0", 1) != 1) ::_exit(1);
    ::close(c.fifo_fd);
    proc_fd_dir.reset();
  }
  Error e = exec_process(executable, c.spec->process.args, c.spec->process.env);
  if (c.mode == Mode::Run) {
    (void)send_message(c.sync_fd, kError, e.message);
  } else {
    ::dprintf(2, "stack runtime: %s\n", e.message.c_str());
  }
  ::_exit(exit_code_for_start_error(e.message));
}

const int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// A container being made; its guards undo everything unless it is committed.
struct Launched {
  std::unique_ptr<Cgroup> cgroup;
  std::optional<ChildGuard> child;
  State state;
};

Result<void> launch(const CreateOptions& o, const Spec& spec, Mode mode, const sigset_t& old_mask, Launched& out) {
  auto prepared = prepare(o, spec);
  if (!prepared) return std::unexpected(prepared.error());
  UniqueFd fifo;
  if (mode == Mode::Create) {
    std::string fifo_path = exec_fifo_path(o.root, o.id);
    if (::mkfifo(fifo_path.c_str(), 0622) != 0) return fail_errno("create exec fifo " + fifo_path);
    fifo.reset(::open(fifo_path.c_str(), O_PATH | O_CLOEXEC));
    if (!fifo) return fail_errno("open exec fifo " + fifo_path);
  }
  auto cgroup = Cgroup::create(prepared->cgroups_path, prepared->resources);
  if (!cgroup) return std::unexpected(cgroup.error().wrapped("cgroup " + prepared->cgroups_path));
  out.cgroup = std::move(*cgroup);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return fail_errno("socketpair");
  UniqueFd parent_end(pair[0]), child_end(pair[1]);

  // setns(CLONE_NEWPID) only decides where our next child goes: enter, clone, come back.
  UniqueFd own_pidns;
  if (!prepared->plan.pid_path.empty()) {
    own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_pidns) return fail_errno("open /proc/self/ns/pid");
    if (auto r = sys::setns_path(prepared->plan.pid_path, CLONE_NEWPID); !r)
      return std::unexpected(r.error().wrapped("join pid namespace"));
  }
  std::vector<std::string> cgroup_dirs = out.cgroup->dirs();
  CgroupJoin join = CgroupJoin::ParentAddsPid;
  UniqueFd cgroup_fd;
  if (out.cgroup->mode() == CgroupMode::V2 && cgroup_dirs.size() == 1) {
    cgroup_fd.reset(::open(cgroup_dirs.front().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (cgroup_fd) join = CgroupJoin::CloneInto;
  } else if (out.cgroup->mode() != CgroupMode::V2 && !prepared->plan.new_user) {
    join = CgroupJoin::SelfTasks;  // a child in a new user namespace may not write the host's cgroupfs
  }
  auto cloned = sys::clone_into(prepared->plan.clone_flags, cgroup_fd.get());
  if (!cloned && join == CgroupJoin::CloneInto) {
    join = CgroupJoin::ParentAddsPid;  // a kernel without CLONE_INTO_CGROUP (< 5.7)
    cloned = sys::clone_into(prepared->plan.clone_flags);
  }
  if (cloned && cloned->pid == 0) {
    parent_end.reset();
    ChildContext c{&spec, &*prepared, join, &cgroup_dirs, mode, child_end.get(), fifo.get(), o.stdio, &old_mask};
    child_main(c);
  }
  if (own_pidns && ::setns(own_pidns.get(), CLONE_NEWPID) != 0) spdlog::warn("return to own pid namespace: {}", std::strerror(errno));
  if (!cloned) return std::unexpected(cloned.error());
  out.child.emplace(cloned->pid, std::move(cloned->pidfd));
  child_end.reset();
  fifo.reset();
  pid_t pid = cloned->pid;

  State& st = out.state;
  st.id = o.id;
  st.pid = pid;
  st.bundle = o.bundle;
  st.rootfs = prepared->rootfs;
  st.created = rfc3339_nano_now();
  st.annotations = spec.annotations;
  st.cgroups_path = prepared->cgroups_path;
  st.poststart = spec.hooks.poststart;
  st.poststop = spec.hooks.poststop;

  if (join == CgroupJoin::ParentAddsPid)
    if (auto r = out.cgroup->add_process(pid); !r) return std::unexpected(r.error().wrapped("cgroup " + prepared->cgroups_path));
  if (prepared->plan.new_user)
    if (auto r = write_id_maps(pid, spec.linux); !r) return std::unexpected(r.error().wrapped("user namespace"));
  if (auto r = run_hooks(spec.hooks.prestart, "prestart", st, Status::Creating); !r) return r;
  if (auto r = run_hooks(spec.hooks.create_runtime, "createRuntime", st, Status::Creating); !r) return r;
  if (auto r = send_message(parent_end.get(), kGo); !r) return r;

  // Recorded while the child builds its rootfs.
  st.start_time = process_start_time(pid);
  if (auto r = write_state(o.root, st); !r) return r;

  auto reply = receive_message(parent_end.get());
  if (!reply) return std::unexpected(reply.error());
  if (*reply && !(*reply)->empty() && (**reply)[0] == kError) return fail((*reply)->substr(1));
  if (mode == Mode::Create) {
    if (!*reply || (**reply)[0] != kReady) return fail("container init exited before it was ready");
  } else if (*reply) {
    return fail("unexpected message from the container's init");
  }
  if (!o.pid_file.empty()) {
    if (auto r = write_file_replace(o.pid_file, std::to_string(pid)); !r) return r;
  }
  return {};
}

}  // namespace

Result<void> create_container(const CreateOptions& options) {
  auto spec = load_spec(options.bundle);
  if (!spec) return std::unexpected(spec.error());
  return create_container(options, *spec);
}

Result<void> create_container(const CreateOptions& o, const Spec& spec) {
  if (auto r = create_state_dir(o.root, o.id); !r) return r;
  StateDirGuard dir_guard(o.root, o.id);
  sigset_t current;
  ::sigprocmask(SIG_SETMASK, nullptr, &current);
  Launched l;
  if (auto r = launch(o, spec, Mode::Create, current, l); !r) return r;
  // The container is recorded: from now on delete undoes it.
  l.child->release();
  l.cgroup->release();
  dir_guard.release();
  return {};
}

Result<int> run_container(const CreateOptions& options) {
  auto spec = load_spec(options.bundle);
  if (!spec) return std::unexpected(spec.error());
  return run_container(options, *spec);
}

Result<int> run_container(const CreateOptions& o, const Spec& spec) {
  if (auto r = create_state_dir(o.root, o.id); !r) return std::unexpected(r.error());
  StateDirGuard dir_guard(o.root, o.id);
  // Forwarded signals are blocked from before the clone, so none is lost; the child
  // restores the old mask.
  sigset_t forwarded, old_mask;
  sigemptyset(&forwarded);
  for (int s : kForwardedSignals) sigaddset(&forwarded, s);
  ::sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
  struct MaskRestore {
    sigset_t mask;
    ~MaskRestore() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};

  Launched l;
  if (auto r = launch(o, spec, Mode::Run, old_mask, l); !r) return std::unexpected(r.error());
  warn_hooks(spec.hooks.poststart, "poststart", l.state, Status::Running);

  UniqueFd sfd(::signalfd(-1, &forwarded, SFD_CLOEXEC));
  if (!sfd) return fail_errno("signalfd");
  pollfd fds[2] = {{l.child->pidfd(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("wait for the container process");
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sfd.get(), &info, sizeof info) == sizeof info)
        pidfd_send_signal(l.child->pidfd(), static_cast<int>(info.ssi_signo));
    }
  }
  int status = l.child->wait();
  // `run` deletes what it made, as runc run does without --detach.
  if (auto r = l.cgroup->destroy(); !r) spdlog::warn("{}", r.error().to_string());
  l.cgroup->release();
  warn_hooks(spec.hooks.poststop, "poststop", l.state, Status::Stopped);
  return status;
}

Result<void> start_container(const std::string& root, const std::string& id) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  Status status = observe_status(root, *st);
  if (status == Status::Stopped) return fail("cannot start a container that has stopped");
  if (status != Status::Created) return fail("cannot start an already running container");
  UniqueFd pidfd(pidfd_open(st->pid));
  if (!pidfd) return fail_errno("open container process " + std::to_string(st->pid));
  std::string fifo_path = exec_fifo_path(root, id);
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return fail_errno("open exec fifo " + fifo_path);
  pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("wait on exec fifo");
    break;
  }
  char byte = 0;
  if (!(fds[0].revents & POLLIN) || ::read(fifo.get(), &byte, 1) != 1)
    return fail("container process exited before it could be started");
  ::unlink(fifo_path.c_str());
  warn_hooks(st->poststart, "poststart", *st, Status::Running);
  return {};
}

Result<nlohmann::ordered_json> container_state(const std::string& root, const std::string& id) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  return oci_state_json(*st, observe_status(root, *st));
}

namespace {

// A pidfd for the container's init, checked against its recorded start time.
Result<UniqueFd> open_init(const State& st) {
  UniqueFd pidfd(pidfd_open(st.pid));
  if (!pidfd) return fail("container not running", ESRCH);
  if (process_start_time(st.pid) != st.start_time) return fail("container not running", ESRCH);
  return pidfd;
}

}  // namespace

Result<void> kill_container(const std::string& root, const std::string& id, int signal) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  if (observe_status(root, *st) == Status::Stopped) return fail("container not running");
  auto pidfd = open_init(*st);
  if (!pidfd) return std::unexpected(pidfd.error());
  if (pidfd_send_signal(pidfd->get(), signal) != 0) return fail_errno("kill container " + id);
  return {};
}

Result<void> delete_container(const std::string& root, const std::string& id, bool force) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  Status status = observe_status(root, *st);
  if ((status == Status::Running || status == Status::Paused) && !force)
    return fail("cannot delete container " + id + " that is not stopped: " + to_string(status));
  auto cgroup = Cgroup::open(st->cgroups_path);
  if (status != Status::Stopped) {
    if (status == Status::Paused && cgroup) (void)(*cgroup)->thaw();  // a frozen task cannot die
    if (auto pidfd = open_init(*st)) {
      pidfd_send_signal(pidfd->get(), SIGKILL);
      if (!wait_exit(pidfd->get(), 10000)) return fail("container " + id + " did not exit after SIGKILL");
    }
  }
  if (cgroup) {
    (void)(*cgroup)->kill_all(SIGKILL);  // strays, when the container shares a pid namespace
    if (auto r = (*cgroup)->destroy(); !r) return std::unexpected(r.error().wrapped("delete container " + id));
  }
  warn_hooks(st->poststop, "poststop", *st, Status::Stopped);
  return remove_state_dir(root, id);
}

Result<std::vector<ContainerInfo>> list_containers(const std::string& root) {
  auto ids = list_ids(root);
  if (!ids) return std::unexpected(ids.error());
  std::vector<ContainerInfo> out;
  for (const auto& id : *ids) {
    auto st = read_state(root, id);
    if (!st) continue;  // removed meanwhile
    Status status = observe_status(root, *st);
    out.push_back({std::move(*st), status});
  }
  return out;
}

Result<int> parse_signal(const std::string& name) {
  static const std::pair<const char*, int> table[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
      {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
      {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
      {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"XCPU", SIGXCPU},
      {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
      {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS},
  };
  if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    int n = std::atoi(name.c_str());
    if (n > 0 && n < SIGRTMAX + 1 && name.size() < 4) return n;
    return fail("invalid signal: " + name);
  }
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view bare = upper;
  if (bare.starts_with("SIG")) bare.remove_prefix(3);
  for (const auto& [n, sig] : table)
    if (bare == n) return sig;
  return fail("unknown signal \"" + name + "\"");
}

}  // namespace stack::runtime
