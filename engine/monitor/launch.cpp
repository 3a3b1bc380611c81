#include "engine/monitor/launch.h"

#include "common/socket_path.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/files.h"
#include "common/unique_fd.h"
#include "engine/runtime/console.h"
#include "engine/runtime/container.h"
#include "engine/runtime/state.h"
#include "engine/supervise/json_log.h"

namespace stack::monitor {

std::string attach_socket_path(const std::string& run_dir) { return run_dir + "/attach.sock"; }
std::string exit_file_path(const std::string& run_dir) { return run_dir + "/exit.json"; }

std::string monitor_binary_path(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = ::getenv("STACK_MONITOR"); env && *env) return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "stack-monitor";
  return (self.parent_path() / "stack-monitor").string();
}

namespace {

// State char and start time (field 22) of /proc/<pid>/stat.
bool read_stat(pid_t pid, char& state, uint64_t& start_time) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return false;
  auto close = text->rfind(')');
  if (close == std::string::npos || close + 2 >= text->size()) return false;
  state = (*text)[close + 2];
  // Fields after the command: 3 (state) ... 22 (starttime) -> 19 separators after the state.
  std::size_t pos = close + 2;
  for (int field = 3; field < 22; ++field) {
    pos = text->find(' ', pos);
    if (pos == std::string::npos) return false;
    ++pos;
  }
  auto [p, ec] = std::from_chars(text->data() + pos, text->data() + text->size(), start_time);
  return ec == std::errc{};
}

// A listening unix socket at `path` (a stale one is unlinked first); close-on-exec.
Result<UniqueFd> listen_unix(const std::string& path, int backlog) {
  auto usable = usable_socket_path(path);
  if (!usable) return std::unexpected(usable.error());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, usable->path.data(), usable->path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket for " + path);
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail_errno("bind " + path);
  if (::listen(fd.get(), backlog) != 0) {
    int saved = errno;
    ::unlink(path.c_str());
    return std::unexpected(Error{"listen on " + path, saved});
  }
  return fd;
}

// Everything the grandchild needs, computed before the fork.
struct Plan {
  runtime::CreateOptions create;
  runtime::Spec spec;
  std::string binary;
  std::string attach_path;
  std::string console_path;
  bool tty = false, open_stdin = false;
  std::vector<std::string> args;  // fixed arguments of stack-monitor (fds are appended)
};

void report(int fd, char kind, std::string_view text) {
  std::string msg(1, kind);
  msg.append(text);
  msg.push_back('\n');
  std::size_t off = 0;
  while (off < msg.size()) {
    ssize_t n = ::write(fd, msg.data() + off, msg.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// Undoes a created container (the grandchild failed after create_container).
void undo_container(const Plan& p, pid_t container_pid) {
  if (container_pid > 0) {
    ::kill(container_pid, SIGKILL);
    ::waitpid(container_pid, nullptr, 0);
  }
  (void)runtime::delete_container(p.create.root, p.create.id, true);
}

[[noreturn]] void fail_child(int report_fd, const Plan& p, const std::string& message) {
  ::unlink(p.attach_path.c_str());
  if (!p.console_path.empty()) ::unlink(p.console_path.c_str());
  report(report_fd, 'E', message);
  ::_exit(1);
}

Result<void> set_nonblock(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return fail_errno("set O_NONBLOCK");
  return {};
}

// The grandchild: makes the container and becomes its monitor.
[[noreturn]] void grandchild(Plan& p, int report_fd) {
  // A clean process for the container and the monitor: default signals, nothing
  // blocked, /dev/null stdio, none of the daemon's fds.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) fail_child(report_fd, p, std::string("open /dev/null: ") + std::strerror(errno));
  for (int i = 0; i < 3; ++i) ::dup2(null_fd, i);
  if (null_fd > 2) ::close(null_fd);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  // Orphans of the container come to us (and are reaped) rather than to init.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  pid_t self = ::getpid();
  char state = 0;
  uint64_t start = 0;
  read_stat(self, state, start);
  report(report_fd, 'M', std::to_string(self) + " " + std::to_string(start));

  auto listener = listen_unix(p.attach_path, 64);
  if (!listener) fail_child(report_fd, p, listener.error().to_string());

  UniqueFd console;
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  if (p.tty) {
    auto c = listen_unix(p.console_path, 1);
    if (!c) fail_child(report_fd, p, c.error().to_string());
    console = std::move(*c);
    p.create.console_socket = p.console_path;
  } else {
    for (int i = 0; i < 3; ++i) {
      if (i == 0 && !p.open_stdin) continue;
      if (::pipe2(pipes[i], O_CLOEXEC) != 0) fail_child(report_fd, p, std::string("pipe: ") + std::strerror(errno));
    }
    p.create.stdio[0] = pipes[0][0];  // -1 without stdin: ours, /dev/null
    p.create.stdio[1] = pipes[1][1];
    p.create.stdio[2] = pipes[2][1];
  }

  if (auto r = runtime::create_container(p.create, p.spec); !r) fail_child(report_fd, p, r.error().to_string());
  auto st = runtime::read_state(p.create.root, p.create.id);
  if (!st) {
    undo_container(p, 0);
    fail_child(report_fd, p, st.error().wrapped("read state of the created container").to_string());
  }
  pid_t container_pid = st->pid;

  UniqueFd master;
  if (p.tty) {
    // The init sent the master before it reported "ready": it waits in our socket.
    pollfd pfd{console.get(), POLLIN, 0};
    int rc = ::poll(&pfd, 1, 10000);
    UniqueFd conn(rc > 0 ? ::accept4(console.get(), nullptr, nullptr, SOCK_CLOEXEC) : -1);
    std::string error;
    if (!conn) {
      error = rc == 0 ? std::string("no terminal from the container within 10 s") : std::string("accept on ") + p.console_path + ": " + std::strerror(errno);
    } else if (auto fd = runtime::receive_fd(conn.get()); !fd) {
      error = fd.error().wrapped("receive the container's terminal").to_string();
    } else {
      master = std::move(*fd);
    }
    console.reset();
    ::unlink(p.console_path.c_str());
    if (!master) {
      undo_container(p, container_pid);
      fail_child(report_fd, p, error);
    }
  }
  for (int i = 0; i < 3; ++i) {
    // The container's ends are its own now.
    int theirs = i == 0 ? pipes[i][0] : pipes[i][1];
    if (theirs >= 0) ::close(theirs);
  }

  std::vector<std::string> args = p.args;
  auto pass = [&](const char* flag, int fd) {
    if (fd < 0) return;
    ::fcntl(fd, F_SETFD, 0);  // survives the exec
    (void)set_nonblock(fd);
    args.push_back(flag);
    args.push_back(std::to_string(fd));
  };
  args.push_back("--pid");
  args.push_back(std::to_string(container_pid));
  pass("--listen-fd", listener->get());
  ::fcntl(report_fd, F_SETFD, 0);  // the monitor says 'R' on it once it runs
  args.push_back("--report-fd");
  args.push_back(std::to_string(report_fd));
  if (p.tty) {
    pass("--pty-fd", master.get());
  } else {
    pass("--stdin-fd", pipes[0][1]);
    pass("--stdout-fd", pipes[1][0]);
    pass("--stderr-fd", pipes[2][0]);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  report(report_fd, 'P', std::to_string(container_pid));
  ::execve(p.binary.c_str(), argv.data(), envp);
  std::string error = "exec " + p.binary + ": " + std::strerror(errno);
  undo_container(p, container_pid);
  fail_child(report_fd, p, error);
}

}  // namespace

bool monitor_alive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  char state = 0;
  uint64_t start = 0;
  if (!read_stat(pid, state, start)) return false;
  if (state == 'Z' || state == 'X') return false;
  return start_time == 0 || start == start_time;
}

Result<Launched> launch(const LaunchOptions& o) {
  if (o.id.empty()) return fail("launch: empty container id", EINVAL);
  auto log_options = supervise::parse_json_log_options(o.log_options);
  if (!log_options) return std::unexpected(log_options.error());

  Plan p;
  p.binary = monitor_binary_path(o.monitor_binary);
  if (::access(p.binary.c_str(), X_OK) != 0) return fail_errno("stack-monitor " + p.binary);
  std::error_code ec;
  std::filesystem::create_directories(o.run_dir, ec);
  if (ec) return fail("create " + o.run_dir + ": " + ec.message(), ec.value());
  p.create.root = o.runtime_root;
  p.create.id = o.id;
  p.create.bundle = o.bundle;
  p.create.init = o.init;
  p.spec = o.spec;
  p.spec.process.terminal = o.tty;
  p.tty = o.tty;
  p.open_stdin = o.open_stdin;
  p.attach_path = attach_socket_path(o.run_dir);
  if (o.tty) p.console_path = o.run_dir + "/console.sock";
  p.args = {p.binary, "--id", o.id, "--run-dir", o.run_dir};
  if (!o.log_path.empty()) {
    p.args.insert(p.args.end(), {"--log", o.log_path, "--log-max-size", std::to_string(log_options->max_size),
                                 "--log-max-file", std::to_string(log_options->max_file)});
  }
  if (o.stdin_once) p.args.push_back("--stdin-once");
  if (o.tty) p.args.push_back("--tty");

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe for the monitor's report");
  UniqueFd read_end(fds[0]), write_end(fds[1]);

  pid_t child = ::fork();
  if (child < 0) return fail_errno("fork the monitor");
  if (child == 0) {
    read_end.reset();
    // A new session, then a grandchild: the monitor is not the daemon's child and is
    // not in its process group or session.
    if (::setsid() < 0) ::_exit(1);
    pid_t gc = ::fork();
    if (gc < 0) {
      report(write_end.get(), 'E', std::string("fork the monitor: ") + std::strerror(errno));
      ::_exit(1);
    }
    if (gc > 0) ::_exit(0);
    grandchild(p, write_end.get());
  }
  write_end.reset();
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }

  // The container's init holds a copy of the pipe until it execs (its fds are only
  // close-on-exec), so EOF cannot mean "done": the monitor says 'R' once it runs, and
  // while waiting the grandchild's liveness is checked.
  Launched out;
  bool created = false, ready = false;
  std::string error, text;
  std::size_t pos = 0;
  char buf[4096];
  while (!ready && error.empty()) {
    pollfd pfd{read_end.get(), POLLIN, 0};
    int rc = ::poll(&pfd, 1, 100);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      if (out.monitor_pid > 0 && !monitor_alive(out.monitor_pid, out.monitor_start_time)) break;
      continue;
    }
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
      std::string_view line(text.data() + pos, nl - pos);
      if (line.empty()) continue;
      std::string_view body = line.substr(1);
      if (line[0] == 'M') {
        auto sp = body.find(' ');
        std::from_chars(body.data(), body.data() + body.size(), out.monitor_pid);
        if (sp != std::string_view::npos)
          std::from_chars(body.data() + sp + 1, body.data() + body.size(), out.monitor_start_time);
      } else if (line[0] == 'P') {
        std::from_chars(body.data(), body.data() + body.size(), out.container_pid);
        created = true;
      } else if (line[0] == 'R') {
        ready = true;
      } else if (line[0] == 'E') {
        error.assign(body);
      }
    }
  }
  if (!error.empty()) return fail(error);
  if (!ready || !created || out.container_pid <= 0) {
    // The grandchild or the monitor died without a word (killed?): leave nothing.
    if (out.monitor_pid > 0 && monitor_alive(out.monitor_pid, out.monitor_start_time)) ::kill(out.monitor_pid, SIGKILL);
    if (out.container_pid > 0) ::kill(out.container_pid, SIGKILL);
    (void)runtime::delete_container(o.runtime_root, o.id, true);
    ::unlink(p.attach_path.c_str());
    return fail("monitor for " + o.id + " exited before it was ready", ECHILD);
  }
  return out;
}

}  // namespace stack::monitor
