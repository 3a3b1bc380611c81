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
#include "engine/runtime/child_process.h"
#include "engine/runtime/console.h"
#include "engine/runtime/init.h"
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

// In the container's init: hooks run with a state JSON the parent prepared.
Result<void> run_hooks_with_state(const std::vector<Hook>& hooks, const std::string& kind, const std::string& state_json) {
  for (const auto& h : hooks)
    if (auto r = run_hook(h, state_json); !r) return std::unexpected(r.error().wrapped(kind + " hook"));
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
  bool init = false;
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
}  // namespace

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

namespace {

Result<Prepared> prepare(const CreateOptions& o, const Spec& spec) {
  if (auto r = validate_id(o.id); !r) return std::unexpected(r.error());
  if (spec.process.args.empty()) return fail("config.json: process.args: must not be empty");
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
  auto init = spec.annotations.find(kInitAnnotation);
  p.init = o.init || (init != spec.annotations.end() && init->second == "true");
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
  int console_fd;  // the console socket (connected, or our end of a pair) when process.terminal
};

// The container's init between clone and exec. Every step's error goes to the parent.
// `hook_state` receives the state JSON the parent sends along with "go" when there are
// createContainer or startContainer hooks.
Result<void> child_setup(const ChildContext& c, UniqueFd& proc_fd_dir, std::string& executable, std::string& hook_state) {
  const Spec& spec = *c.spec;
  const Prepared& p = *c.prepared;
  if (c.join == CgroupJoin::SelfTasks)
    for (const auto& dir : *c.cgroup_dirs)
      if (auto r = sys::write_existing(dir + "/tasks", "0"); !r) return std::unexpected(r.error().wrapped("join cgroup"));
  auto go = receive_message(c.sync_fd);
  if (!go) return std::unexpected(go.error());
  if (!*go || (*go)->empty() || (**go)[0] != kGo) ::_exit(1);  // the parent gave up
  hook_state = (*go)->substr(1);
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
  std::function<Result<void>()> before_pivot;
  if (!spec.hooks.create_container.empty())
    before_pivot = [&]() { return run_hooks_with_state(spec.hooks.create_container, "createContainer", hook_state); };
  if (auto r = prepare_rootfs(spec, p.rootfs, *c.cgroup_dirs, before_pivot); !r)
    return std::unexpected(r.error().wrapped("rootfs " + p.rootfs));
  // As runc: after the spec's mounts and pivot_root, before masked and read-only paths.
  if (c.console_fd >= 0) {
    if (auto r = setup_console(c.console_fd, spec.process.console_size); !r) return std::unexpected(r.error().wrapped("console"));
    ::close(c.console_fd);
  }
  if (auto r = set_hostnames(spec.hostname, spec.domainname); !r) return r;
  if (auto r = apply_sysctls(spec.linux.sysctl); !r) return r;
  // Before the root may turn read-only.
  if (auto r = ensure_cwd(spec.process.cwd); !r) return std::unexpected(r.error().wrapped("process.cwd"));
  if (auto r = finalize_rootfs(spec); !r) return r;
  auto found = finish_process_setup(spec.process, p.capabilities, p.seccomp ? &*p.seccomp : nullptr);
  if (!found) return std::unexpected(found.error());
  executable = std::move(*found);
  return {};
}

[[noreturn]] void child_main(const ChildContext& c) {
  ::sigprocmask(SIG_SETMASK, c.old_mask, nullptr);
  for (int i = 0; i < 3; ++i)
    if (c.stdio[i] >= 0 && ::dup2(c.stdio[i], i) < 0) ::_exit(1);
  // Nothing the caller had open may reach the container; ours are close-on-exec already.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  UniqueFd proc_fd_dir;
  std::string executable, hook_state;
  if (auto r = child_setup(c, proc_fd_dir, executable, hook_state); !r) {
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
  auto report = [&](const Error& e) {
    if (c.mode == Mode::Run) {
      (void)send_message(c.sync_fd, kError, e.to_string());
    } else {
      ::dprintf(2, "stack runtime: %s\n", e.to_string().c_str());
    }
  };
  if (!c.spec->hooks.start_container.empty())
    if (auto r = run_hooks_with_state(c.spec->hooks.start_container, "startContainer", hook_state); !r) {
      report(r.error());
      ::_exit(1);
    }
  if (c.prepared->init)
    if (auto r = fork_into_init(*c.old_mask); !r) {
      report(r.error());
      ::_exit(1);
    }
  Error e = exec_process(executable, c.spec->process.args, c.spec->process.env);
  report(e);
  ::_exit(exit_code_for_start_error(e.message));
}

// A container being made; its guards undo everything unless it is committed.
struct Launched {
  std::unique_ptr<Cgroup> cgroup;
  std::optional<ChildGuard> child;
  State state;
  UniqueFd console;  // run with a terminal and no console socket: our end, the master comes over it
};

// `config_text`: the bundle's config.json as read, kept in the state dir for exec (a
// copy costs less than serializing the process: ~0.3 ms on a 7 ms start).
Result<void> launch(const CreateOptions& o, const Spec& spec, Mode mode, const sigset_t& old_mask, Launched& out,
                    const std::string* config_text) {
  auto prepared = prepare(o, spec);
  if (!prepared) return std::unexpected(prepared.error());
  UniqueFd fifo;
  if (mode == Mode::Create) {
    std::string fifo_path = exec_fifo_path(o.root, o.id);
    if (::mkfifo(fifo_path.c_str(), 0622) != 0) return fail_errno("create exec fifo " + fifo_path);
    fifo.reset(::open(fifo_path.c_str(), O_PATH | O_CLOEXEC));
    if (!fifo) return fail_errno("open exec fifo " + fifo_path);
  }
  // Terminals as runc: a detached container's master goes to --console-socket; a
  // foreground `run` receives it itself and relays it to its own stdio.
  UniqueFd console_child_end;
  if (spec.process.terminal) {
    if (!o.console_socket.empty()) {
      auto sock = connect_console_socket(o.console_socket);
      if (!sock) return std::unexpected(sock.error());
      console_child_end = std::move(*sock);
    } else if (mode == Mode::Create) {
      return fail("cannot allocate tty if stack runtime will detach without setting console socket");
    } else {
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return fail_errno("socketpair for the console");
      out.console.reset(pair[0]);
      console_child_end.reset(pair[1]);
    }
  } else if (!o.console_socket.empty()) {
    return fail("cannot use console socket if stack runtime will not detach or allocate tty");
  }
  if (prepared->seccomp) {
    // exec loads the container's filter without the bundle: its flags, then the program.
    std::string blob(sizeof(unsigned), '\0');
    std::memcpy(blob.data(), &prepared->seccomp->flags, sizeof(unsigned));
    blob.append(reinterpret_cast<const char*>(prepared->seccomp->instructions.data()),
                prepared->seccomp->instructions.size() * sizeof(sock_filter));
    if (auto r = write_file_replace(seccomp_program_path(o.root, o.id), blob, 0600); !r) return r;
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
    out.console.reset();
    ChildContext c{&spec,           &*prepared, join,     &cgroup_dirs, mode, child_end.get(), fifo.get(),
                   o.stdio,         &old_mask,  console_child_end.get()};
    child_main(c);
  }
  if (own_pidns && ::setns(own_pidns.get(), CLONE_NEWPID) != 0) spdlog::warn("return to own pid namespace: {}", std::strerror(errno));
  if (!cloned) return std::unexpected(cloned.error());
  out.child.emplace(cloned->pid, std::move(cloned->pidfd));
  child_end.reset();
  fifo.reset();
  console_child_end.reset();
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
  if (config_text) {
    if (auto r = write_file_replace(state_dir(o.root, o.id) + "/config.json", *config_text, 0600); !r) return r;
  } else {
    st.process = spec.process;
    st.process->capabilities = prepared->capabilities;
  }

  if (join == CgroupJoin::ParentAddsPid)
    if (auto r = out.cgroup->add_process(pid); !r) return std::unexpected(r.error().wrapped("cgroup " + prepared->cgroups_path));
  if (prepared->plan.new_user)
    if (auto r = write_id_maps(pid, spec.linux); !r) return std::unexpected(r.error().wrapped("user namespace"));
  if (auto r = run_hooks(spec.hooks.prestart, "prestart", st, Status::Creating); !r) return r;
  if (auto r = run_hooks(spec.hooks.create_runtime, "createRuntime", st, Status::Creating); !r) return r;
  // The container-side hooks get the state from us: the init cannot see its own host pid.
  std::string hook_state;
  if (!spec.hooks.create_container.empty() || !spec.hooks.start_container.empty())
    hook_state = oci_state_json(st, Status::Creating).dump();
  if (auto r = send_message(parent_end.get(), kGo, hook_state); !r) return r;

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

namespace {

struct BundleConfig {
  std::string text;
  Spec spec;
};

Result<BundleConfig> load_bundle_config(const std::string& bundle) {
  auto text = read_file(bundle + "/config.json");
  if (!text) return std::unexpected(text.error());
  auto spec = parse_spec(*text, "config.json");
  if (!spec) return std::unexpected(spec.error());
  return BundleConfig{std::move(*text), std::move(*spec)};
}

Result<void> create_impl(const CreateOptions& o, const Spec& spec, const std::string* config_text) {
  if (auto r = create_state_dir(o.root, o.id); !r) return r;
  StateDirGuard dir_guard(o.root, o.id);
  sigset_t current;
  ::sigprocmask(SIG_SETMASK, nullptr, &current);
  Launched l;
  if (auto r = launch(o, spec, Mode::Create, current, l, config_text); !r) return r;
  // The container is recorded: from now on delete undoes it.
  l.child->release();
  l.cgroup->release();
  dir_guard.release();
  return {};
}

Result<int> run_impl(const CreateOptions& o, const Spec& spec, const std::string* config_text) {
  if (auto r = create_state_dir(o.root, o.id); !r) return std::unexpected(r.error());
  StateDirGuard dir_guard(o.root, o.id);
  // Forwarded signals are blocked from before the clone, so none is lost; the child
  // restores the old mask.
  sigset_t forwarded = forwarded_signals();
  SignalBlock block(forwarded);

  Launched l;
  if (auto r = launch(o, spec, Mode::Run, block.old_mask(), l, config_text); !r) return std::unexpected(r.error());
  warn_hooks(spec.hooks.poststart, "poststart", l.state, Status::Running);

  UniqueFd master;
  if (l.console) {
    auto fd = receive_fd(l.console.get());
    if (!fd) return std::unexpected(fd.error());
    master = std::move(*fd);
  }
  if (auto r = wait_forwarding(l.child->pidfd(), forwarded, master.get()); !r) return std::unexpected(r.error());
  int status = l.child->wait();
  // `run` deletes what it made, as runc run does without --detach.
  if (auto r = l.cgroup->destroy(); !r) spdlog::warn("{}", r.error().to_string());
  l.cgroup->release();
  warn_hooks(spec.hooks.poststop, "poststop", l.state, Status::Stopped);
  return status;
}

}  // namespace

Result<void> create_container(const CreateOptions& options) {
  auto config = load_bundle_config(options.bundle);
  if (!config) return std::unexpected(config.error());
  return create_impl(options, config->spec, &config->text);
}

Result<void> create_container(const CreateOptions& options, const Spec& spec) { return create_impl(options, spec, nullptr); }

Result<int> run_container(const CreateOptions& options) {
  auto config = load_bundle_config(options.bundle);
  if (!config) return std::unexpected(config.error());
  return run_impl(options, config->spec, &config->text);
}

Result<int> run_container(const CreateOptions& options, const Spec& spec) { return run_impl(options, spec, nullptr); }

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

Result<void> pause_container(const std::string& root, const std::string& id) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  if (observe_status(root, *st) != Status::Running) return fail("container not running");
  auto cgroup = Cgroup::open(st->cgroups_path);
  if (!cgroup) return std::unexpected(cgroup.error().wrapped("pause container " + id));
  if (auto r = (*cgroup)->freeze(); !r) {
    (void)(*cgroup)->thaw();
    return std::unexpected(r.error().wrapped("pause container " + id));
  }
  st->paused = true;
  return write_state(root, *st);
}

Result<void> resume_container(const std::string& root, const std::string& id) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  if (observe_status(root, *st) != Status::Paused) return fail("container not paused");
  auto cgroup = Cgroup::open(st->cgroups_path);
  if (!cgroup) return std::unexpected(cgroup.error().wrapped("resume container " + id));
  if (auto r = (*cgroup)->thaw(); !r) return std::unexpected(r.error().wrapped("resume container " + id));
  st->paused = false;
  return write_state(root, *st);
}

Result<std::vector<pid_t>> container_pids(const std::string& root, const std::string& id) {
  auto st = read_state(root, id);
  if (!st) return std::unexpected(st.error());
  auto cgroup = Cgroup::open(st->cgroups_path);
  if (!cgroup) return std::unexpected(cgroup.error().wrapped("container " + id));
  auto pids = (*cgroup)->pids();
  if (!pids) return std::unexpected(pids.error());
  std::sort(pids->begin(), pids->end());
  return pids;
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
