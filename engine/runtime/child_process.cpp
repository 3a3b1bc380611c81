#include "engine/runtime/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace stack::runtime {

Result<void> send_message(int fd, char tag, std::string_view body) {
  std::string msg(1, tag);
  msg.append(body);
  if (::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) < 0) return fail_errno("send to the container's init");
  return {};
}

Result<std::optional<std::string>> receive_message(int fd) {
  // Large enough for a state JSON with annotations (the "go" message may carry one);
  // left uninitialized: this is on every container start's path.
  char buf[65536];
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

ChildGuard::~ChildGuard() {
  if (pid_ <= 0) return;
  pidfd_send_signal(pidfd_.get(), SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

int ChildGuard::wait() {
  int wstatus = 0;
  while (::waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return exit_status(wstatus);
}

sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&set, s);
  return set;
}

SignalBlock::SignalBlock(const sigset_t& set) { ::sigprocmask(SIG_BLOCK, &set, &old_); }
SignalBlock::~SignalBlock() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }

namespace {

// Our stdin in raw mode while a container's terminal is relayed; restored after.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(0, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

void copy_window_size(int master) {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

// Copies what `from` has to `to`; false at EOF or error (EIO: the terminal's last holder left).
bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

Result<void> wait_forwarding(int pidfd, const sigset_t& forwarded, int master) {
  UniqueFd sfd(::signalfd(-1, &forwarded, SFD_CLOEXEC));
  if (!sfd) return fail_errno("signalfd");
  std::optional<RawTerminal> raw;
  if (master >= 0) {
    raw.emplace();
    copy_window_size(master);
  }
  pollfd fds[4] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}, {master, POLLIN, 0}, {master >= 0 ? 0 : -1, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 4, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("wait for the container process");
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sfd.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGWINCH && master >= 0) copy_window_size(master);
        pidfd_send_signal(pidfd, static_cast<int>(info.ssi_signo));
      }
    }
    if (fds[2].revents && !pump(master, 1)) fds[2].fd = -1;
    if (fds[3].revents && !pump(0, master)) fds[3].fd = -1;  // our stdin ended: stop reading it
    if (fds[0].revents) break;
  }
  if (master >= 0 && fds[2].fd >= 0) {
    // What the process wrote just before it exited is still in the terminal.
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    char buf[8192];
    for (;;) {
      ssize_t r = ::read(master, buf, sizeof buf);
      if (r <= 0) break;
      (void)!::write(1, buf, static_cast<size_t>(r));
    }
  }
  return {};
}

}  // namespace stack::runtime
