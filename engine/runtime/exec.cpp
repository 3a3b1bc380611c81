// `stack runtime exec`: a new process in an existing container (see container.h).
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/files.h"
#include "common/unique_fd.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/cgroups.h"
#include "engine/runtime/child_process.h"
#include "engine/runtime/console.h"
#include "engine/runtime/container.h"
#include "engine/runtime/process_setup.h"
#include "engine/runtime/seccomp.h"
#include "engine/runtime/spec_json.h"
#include "engine/runtime/syscalls.h"

namespace stack::runtime {
namespace {

struct NsToJoin {
  int flag;
  const char* name;  // under /proc/<pid>/ns
};
// The user namespace first (it grants what the others need), the mount namespace last
// (once in it, /proc/<pid> paths of the host are gone). pid is joined by the parent.
constexpr NsToJoin kJoinOrder[] = {{CLONE_NEWUSER, "user"}, {CLONE_NEWIPC, "ipc"},       {CLONE_NEWUTS, "uts"},
                                   {CLONE_NEWNET, "net"},   {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWNS, "mnt"}};

struct OpenNs {
  int flag;
  UniqueFd fd;
};

// The namespace `name` of `pid` when it is not ours (joining our own is pointless, and
// fails for a user namespace).
Result<UniqueFd> differing_ns(pid_t pid, const char* name) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return UniqueFd();  // a kernel without this namespace type
    return fail_errno("open " + path);
  }
  struct stat theirs {}, ours {};
  if (::fstat(fd.get(), &theirs) != 0) return fail_errno("stat " + path);
  if (::stat((std::string("/proc/self/ns/") + name).c_str(), &ours) == 0 && ours.st_ino == theirs.st_ino &&
      ours.st_dev == theirs.st_dev)
    return UniqueFd();
  return fd;
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('=') + 1);
  auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.starts_with(key); });
  if (it != env.end()) {
    *it = kv;
  } else {
    env.push_back(kv);
  }
}

void add_cap(std::vector<std::string>& set, const std::string& cap) {
  if (std::find(set.begin(), set.end(), cap) == set.end()) set.push_back(cap);
}

Result<std::optional<SeccompProgram>> load_saved_seccomp(const std::string& root, const std::string& id) {
  auto blob = read_file(seccomp_program_path(root, id));
  if (!blob) {
    if (blob.error().errno_value == ENOENT) return std::optional<SeccompProgram>{};
    return std::unexpected(blob.error());
  }
  if (blob->size() < sizeof(unsigned) || (blob->size() - sizeof(unsigned)) % sizeof(sock_filter) != 0)
    return fail(seccomp_program_path(root, id) + ": not a seccomp program");
  SeccompProgram p;
  std::memcpy(&p.flags, blob->data(), sizeof(unsigned));
  p.instructions.resize((blob->size() - sizeof(unsigned)) / sizeof(sock_filter));
  std::memcpy(p.instructions.data(), blob->data() + sizeof(unsigned), blob->size() - sizeof(unsigned));
  return std::optional<SeccompProgram>(std::move(p));
}

// The process exec runs: the container's (or --process), with the flags on top.
Result<Process> exec_process_spec(const ExecOptions& o, const State& st) {
  Process p;
  if (o.process) {
    p = *o.process;
  } else {
    if (st.process) {
      p = *st.process;
    } else {
      auto text = read_file(state_dir(o.root, st.id) + "/config.json");
      if (!text) return std::unexpected(text.error().wrapped("container " + st.id));
      auto spec = parse_spec(*text, state_dir(o.root, st.id) + "/config.json");
      if (!spec) return std::unexpected(spec.error());
      p = std::move(spec->process);
      if (p.capabilities) p.capabilities = raisable_ambient(*p.capabilities);
    }
    p.args = o.args;
    p.terminal = o.tty;
    p.console_size = o.console_size;
  }
  if (p.args.empty()) return fail("exec: no command given");
  if (!o.cwd.empty()) p.cwd = o.cwd;
  for (const auto& e : o.env) {
    if (e.find('=') == std::string::npos || e.front() == '=') return fail("invalid --env \"" + e + "\": must be KEY=VALUE");
    set_env(p.env, e);
  }
  if (o.uid) p.user.uid = *o.uid;
  if (o.gid) p.user.gid = *o.gid;
  if (o.additional_gids) p.user.additional_gids = *o.additional_gids;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = Capabilities{};
    for (const auto& c : o.caps) {
      std::string name = c;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
      if (!name.starts_with("CAP_")) name = "CAP_" + name;
      add_cap(p.capabilities->bounding, name);
      add_cap(p.capabilities->effective, name);
      add_cap(p.capabilities->permitted, name);
    }
  }
  if (o.no_new_privileges) p.no_new_privileges = true;
  if (p.capabilities)
    if (auto r = validate_capabilities(*p.capabilities); !r) return std::unexpected(r.error().wrapped("exec"));
  return p;
}

struct ExecChild {
  const Process* process;
  const std::optional<SeccompProgram>* seccomp;
  const std::vector<OpenNs>* namespaces;
  const std::vector<std::string>* cgroup_files;  // our own entry in each hierarchy ("tasks" / "cgroup.procs")
  const int* stdio;
  const sigset_t* old_mask;
  int sync_fd;
  int console_fd;
};

Result<void> exec_child_setup(const ExecChild& c, std::string& executable) {
  for (const auto& file : *c.cgroup_files)
    if (auto r = sys::write_existing(file, "0"); !r) return std::unexpected(r.error().wrapped("join the container's cgroup"));
  for (const auto& ns : *c.namespaces)
    if (::setns(ns.fd.get(), ns.flag) != 0) {
      auto it = std::find_if(std::begin(kJoinOrder), std::end(kJoinOrder), [&](const NsToJoin& j) { return j.flag == ns.flag; });
      return fail_errno(std::string("join the container's ") + it->name + " namespace");
    }
  if (c.console_fd >= 0) {
    if (auto r = setup_console(c.console_fd, c.process->console_size); !r) return std::unexpected(r.error().wrapped("console"));
    ::close(c.console_fd);
  }
  auto found = finish_process_setup(*c.process, c.process->capabilities, *c.seccomp ? &**c.seccomp : nullptr);
  if (!found) return std::unexpected(found.error());
  executable = std::move(*found);
  return {};
}

[[noreturn]] void exec_child_main(const ExecChild& c) {
  ::sigprocmask(SIG_SETMASK, c.old_mask, nullptr);
  for (int i = 0; i < 3; ++i)
    if (c.stdio[i] >= 0 && ::dup2(c.stdio[i], i) < 0) ::_exit(1);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  std::string executable;
  if (auto r = exec_child_setup(c, executable); !r) {
    (void)send_message(c.sync_fd, kError, r.error().to_string());
    ::_exit(1);
  }
  Error e = exec_process(executable, c.process->args, c.process->env);
  (void)send_message(c.sync_fd, kError, e.message);
  ::_exit(exit_code_for_start_error(e.message));
}

}  // namespace

Result<int> exec_container(const ExecOptions& o) {
  auto st = read_state(o.root, o.id);
  if (!st) return std::unexpected(st.error());
  Status status = observe_status(o.root, *st);
  if (status == Status::Stopped) return fail("cannot exec in a stopped container");
  if (status == Status::Paused) return fail("cannot exec in a paused container");
  auto process = exec_process_spec(o, *st);
  if (!process) return std::unexpected(process.error());
  if (process->terminal && o.detach && o.console_socket.empty())
    return fail("cannot allocate tty if stack runtime will detach without setting console socket");
  if (!o.console_socket.empty() && (!process->terminal || !o.detach))
    return fail("cannot use console socket if stack runtime will not detach or allocate tty");
  auto seccomp = load_saved_seccomp(o.root, o.id);
  if (!seccomp) return std::unexpected(seccomp.error());

  // The init's namespaces, opened before its start time is checked: if the pid was reused
  // in between, the check fails and nothing is joined.
  UniqueFd init_pidfd(pidfd_open(st->pid));
  if (!init_pidfd) return fail("cannot exec in a stopped container");
  std::vector<OpenNs> namespaces;
  for (const auto& j : kJoinOrder) {
    auto fd = differing_ns(st->pid, j.name);
    if (!fd) return std::unexpected(fd.error());
    if (*fd) namespaces.push_back({j.flag, std::move(*fd)});
  }
  auto pid_ns = differing_ns(st->pid, "pid");
  if (!pid_ns) return std::unexpected(pid_ns.error());
  if (process_start_time(st->pid) != st->start_time) return fail("cannot exec in a stopped container");

  auto cgroup = Cgroup::open(st->cgroups_path);
  if (!cgroup) return std::unexpected(cgroup.error().wrapped("container " + o.id));
  std::vector<std::string> cgroup_files;
  for (const auto& dir : (*cgroup)->dirs())
    cgroup_files.push_back(dir + ((*cgroup)->mode() == CgroupMode::V2 ? "/cgroup.procs" : "/tasks"));

  UniqueFd console_ours, console_child;
  if (process->terminal) {
    if (o.detach) {
      auto sock = connect_console_socket(o.console_socket);
      if (!sock) return std::unexpected(sock.error());
      console_child = std::move(*sock);
    } else {
      int pair[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return fail_errno("socketpair for the console");
      console_ours.reset(pair[0]);
      console_child.reset(pair[1]);
    }
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return fail_errno("socketpair");
  UniqueFd parent_end(pair[0]), child_end(pair[1]);

  sigset_t forwarded = forwarded_signals();
  SignalBlock block(forwarded);
  // setns(CLONE_NEWPID) only places our next child: enter, fork, come back.
  UniqueFd own_pidns;
  if (*pid_ns) {
    own_pidns.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_pidns) return fail_errno("open /proc/self/ns/pid");
    if (::setns(pid_ns->get(), CLONE_NEWPID) != 0) return fail_errno("join the container's pid namespace");
  }
  auto cloned = sys::clone_into(0);
  if (cloned && cloned->pid == 0) {
    parent_end.reset();
    console_ours.reset();
    ExecChild c{&*process, &*seccomp, &namespaces, &cgroup_files, o.stdio, &block.old_mask(), child_end.get(), console_child.get()};
    exec_child_main(c);
  }
  if (own_pidns && ::setns(own_pidns.get(), CLONE_NEWPID) != 0) spdlog::warn("return to own pid namespace: {}", std::strerror(errno));
  if (!cloned) return std::unexpected(cloned.error().wrapped("exec in container " + o.id));
  ChildGuard child(cloned->pid, std::move(cloned->pidfd));
  child_end.reset();
  console_child.reset();

  // EOF: the command was exec'd (the socket is close-on-exec); a message: it was not.
  auto reply = receive_message(parent_end.get());
  if (!reply) return std::unexpected(reply.error());
  if (*reply) {
    std::string message = (**reply).empty() ? std::string("exec failed") : (**reply).substr(1);
    child.wait();
    return fail(message);
  }
  if (!o.pid_file.empty())
    if (auto r = write_file_replace(o.pid_file, std::to_string(child.pid())); !r) return std::unexpected(r.error());
  if (o.detach) {
    child.release();
    return 0;
  }
  UniqueFd master;
  if (console_ours) {
    auto fd = receive_fd(console_ours.get());
    if (!fd) return std::unexpected(fd.error());
    master = std::move(*fd);
    if (o.on_console) o.on_console(std::move(master));
  }
  if (auto r = wait_forwarding(child.pidfd(), forwarded, master.get()); !r) return std::unexpected(r.error());
  return child.wait();
}

}  // namespace stack::runtime
