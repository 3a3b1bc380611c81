#include "cli/daemon_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/files.h"
#include "common/unique_fd.h"

namespace stack::cli {
namespace {

std::string cannot_connect(const std::string& path) {
  return "Cannot connect to the stack daemon at unix://" + path + ". Is the stack daemon running?";
}

// The last lines of the daemon's log, for an error that says why it did not come up.
std::string log_tail(const std::string& path) {
  auto text = read_file(path);
  if (!text) return "";
  std::string_view t = *text;
  while (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  size_t start = t.size();
  for (int lines = 0; lines < 5 && start != 0; ++lines) {
    size_t nl = t.rfind('\n', start - 1);
    start = nl == std::string_view::npos ? 0 : nl;
  }
  std::string_view tail = t.substr(start);
  if (tail.starts_with('\n')) tail.remove_prefix(1);
  return std::string(tail);
}

// Starts the daemon detached: fork, setsid, fork again (the middle process exits at once,
// so the daemon is not our child and outlives us), stdio to the log. Returns its pid.
Result<pid_t> spawn_daemon(const LaunchOptions& o, const StateFlags& state, const std::string& log_path) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail_errno("create a pipe to start the stack daemon");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  std::string root = state.state_root(), run = state.run_dir();
  std::vector<std::string> args = {o.executable, "--root", root, "--run-root", run, "daemon"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t middle = ::fork();
  if (middle < 0) return fail_errno("fork to start the stack daemon");
  if (middle == 0) {
    ::setsid();
    pid_t daemon = ::fork();
    if (daemon == 0) {
      int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (null >= 0) ::dup2(null, 0);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ssize_t ignored = ::write(wr.get(), &daemon, sizeof daemon);
    (void)ignored;
    ::_exit(daemon < 0 ? 1 : 0);
  }
  wr.reset();
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  pid_t daemon = -1;
  ssize_t n;
  do n = ::read(rd.get(), &daemon, sizeof daemon);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof daemon) || daemon <= 0) return fail("fork to start the stack daemon", EAGAIN);
  return daemon;
}

}  // namespace

std::string daemon_socket_path(const StateFlags& state) {
  if (const char* host = std::getenv("STACK_HOST"); host && *host) {
    std::string_view h = host;
    if (h.starts_with("unix://")) h.remove_prefix(7);
    return std::string(h);
  }
  return state.run_dir() + "/stack.sock";
}

bool daemon_listening(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  int rc;
  do rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  while (rc != 0 && errno == EINTR);
  return rc == 0;
}

Result<client::Client> connect_daemon(const StateFlags& state, const LaunchOptions& o) {
  std::string path = daemon_socket_path(state);
  if (daemon_listening(path)) return client::Client(path);
  const char* host = std::getenv("STACK_HOST");
  // Nothing listens. Start our own daemon unless the user pointed us at another one.
  if (!o.autostart || (host && *host)) return fail(cannot_connect(path), ECONNREFUSED);

  std::string root = state.state_root();
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return fail("create the state root " + root + " to start the stack daemon", ec.value());
  std::string log_path = root + "/daemon.log";
  auto pid = spawn_daemon(o, state, log_path);
  if (!pid) return std::unexpected(pid.error());

  // Wait for the socket to accept, or for the daemon to die (its pidfd turns readable).
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (daemon_listening(path)) return client::Client(path);
    if (exited) break;  // one more look after it died: another daemon may have won the race
    if (pidfd) {
      pollfd p{pidfd.get(), POLLIN, 0};
      if (::poll(&p, 1, 5) > 0) exited = true;
    } else {
      ::usleep(5000);
      if (::kill(*pid, 0) != 0 && errno == ESRCH) exited = true;
    }
  }
  std::string why = exited ? "the stack daemon exited during start-up" : "the stack daemon did not answer within " +
                                                                             std::to_string(o.timeout.count()) + " ms";
  std::string tail = log_tail(log_path);
  return fail(cannot_connect(path) + " (" + why + "; see " + log_path + ")" + (tail.empty() ? "" : ":\n" + tail),
              ECONNREFUSED);
}

}  // namespace stack::cli
