#include "monitor/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/monitor/protocol.h"
#include "engine/supervise/json_log.h"

namespace stack::monitor {

namespace {

using Clock = std::chrono::steady_clock;

// After the init exits, output still in the pipes is read for at most this long (a
// process that escaped the pid namespace may hold them open for ever).
constexpr auto kDrainLimit = std::chrono::milliseconds(200);
// After the exit frame, clients get this long to close their end.
constexpr auto kLingerLimit = std::chrono::milliseconds(1000);
// Stdin bytes buffered for the container before clients stop being read.
constexpr std::size_t kStdinHighWater = 64 * 1024;
// Send buffer of a client socket; a client further behind than this is dropped.
constexpr int kClientSendBuffer = 1024 * 1024;
// How long a client may take nothing before it is dropped (the container waits meanwhile).
constexpr auto kStuckClientLimit = std::chrono::seconds(2);

// exit.json, atomically: temp file, fsync, rename (common/files.cpp's version would pull
// std::filesystem into this small binary).
void write_exit_file(const std::string& run_dir, std::string_view json) {
  std::string path = run_dir + "/exit.json";
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  bool ok = ::write(fd, json.data(), json.size()) == static_cast<ssize_t>(json.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

supervise::LogTime log_now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

struct Client {
  int fd = -1;
  FrameReader reader;
  bool closed = false;
};

class Monitor {
 public:
  Monitor(const MonitorOptions& o, void (*on_ready)()) : o_(o), on_ready_(on_ready) {}

  int run();

 private:
  void accept_clients();
  void reap();
  // Reads one chunk from an output fd; false at its end.
  bool pump_output(int& fd, FrameType type, std::string_view stream);
  void broadcast(FrameType type, std::string_view payload);
  bool send_all(Client& c, FrameType type, std::string_view payload);
  void read_client(Client& c);
  void handle_frame(Client& c, FrameType type, const std::string& payload);
  void drop(Client& c);
  void flush_stdin();
  void close_stdin_now();
  void finish();
  int ms_until(Clock::time_point t) const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
  }

  const MonitorOptions& o_;
  void (*on_ready_)();
  int sig_fd_ = -1;
  int out_fd_ = -1, err_fd_ = -1, in_fd_ = -1;  // with a tty, out_fd_ == in_fd_ == the master
  std::optional<supervise::JsonLogWriter> log_;
  std::vector<Client> clients_;
  std::string stdin_pending_;
  bool stdin_close_requested_ = false;
  int stdin_owner_ = -1;  // fd of the first client that sent stdin frames (stdin_once)
  bool stdin_owner_chosen_ = false;
  bool exited_ = false;
  int exit_code_ = 0;
  Clock::time_point drain_deadline_{};
};

int Monitor::run() {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  sig_fd_ = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (o_.tty) {
    out_fd_ = in_fd_ = o_.pty_fd;
  } else {
    out_fd_ = o_.stdout_fd;
    err_fd_ = o_.stderr_fd;
    in_fd_ = o_.stdin_fd;
  }
  for (int fd : {o_.listen_fd, out_fd_, err_fd_, in_fd_})
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (!o_.log_path.empty()) {
    supervise::JsonLogOptions lo;
    lo.max_size = o_.log_max_size;
    lo.max_file = o_.log_max_file;
    if (auto w = supervise::JsonLogWriter::open(o_.log_path, lo)) log_.emplace(std::move(*w));
  }
  // The init may have exited before the signalfd existed.
  reap();
  if (o_.report_fd >= 0) {
    // launch() returns now: attach.sock accepts, the container may be started.
    (void)::write(o_.report_fd, "R\n", 2);
    ::close(o_.report_fd);
  }
  if (on_ready_) on_ready_();

  std::vector<pollfd> fds;
  for (;;) {
    if (exited_ && ((out_fd_ < 0 && err_fd_ < 0) || Clock::now() >= drain_deadline_)) break;
    fds.clear();
    fds.push_back({o_.listen_fd, POLLIN, 0});
    fds.push_back({sig_fd_, POLLIN, 0});
    bool want_stdin = !stdin_pending_.empty() && in_fd_ >= 0;
    std::size_t out_i = fds.size();
    fds.push_back({out_fd_, static_cast<short>(POLLIN | (want_stdin && in_fd_ == out_fd_ ? POLLOUT : 0)), 0});
    std::size_t err_i = fds.size();
    fds.push_back({err_fd_, POLLIN, 0});
    std::size_t in_i = fds.size();
    fds.push_back({in_fd_ != out_fd_ ? in_fd_ : -1, POLLOUT, 0});
    if (!want_stdin) fds.back().fd = -1;
    std::size_t first_client = fds.size();
    // Backpressure: while the container does not take its stdin, clients are not read.
    bool read_clients = stdin_pending_.size() < kStdinHighWater;
    for (auto& c : clients_) fds.push_back({c.fd, static_cast<short>(read_clients ? POLLIN : 0), 0});

    int rc = ::poll(fds.data(), fds.size(), exited_ ? ms_until(drain_deadline_) : -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      break;
    }
    // New clients first: one that connected before output was produced sees all of it.
    if (fds[0].revents) accept_clients();
    if (fds[1].revents) reap();
    if (fds[out_i].fd >= 0 && (fds[out_i].revents & POLLOUT)) flush_stdin();
    if (fds[in_i].fd >= 0 && fds[in_i].revents) flush_stdin();
    if (fds[out_i].fd >= 0 && (fds[out_i].revents & (POLLIN | POLLHUP | POLLERR))) {
      bool tty_master = o_.tty;
      if (!pump_output(out_fd_, FrameType::stdout_data, "stdout") && tty_master) in_fd_ = -1;
    }
    if (fds[err_i].fd >= 0 && fds[err_i].revents) pump_output(err_fd_, FrameType::stderr_data, "stderr");
    for (std::size_t i = first_client; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      for (auto& c : clients_)
        if (c.fd == fds[i].fd && !c.closed) read_client(c);
    }
    std::erase_if(clients_, [](const Client& c) { return c.closed; });
    if (stdin_close_requested_ && stdin_pending_.empty()) close_stdin_now();
  }
  finish();
  return 0;
}

void Monitor::accept_clients() {
  for (;;) {
    int fd = ::accept4(o_.listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    // Room for bursts (a client reading steadily must not be dropped for lagging a few
    // chunks); memory is only used while data is queued. FORCE needs CAP_NET_ADMIN.
    int size = kClientSendBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    Client c;
    c.fd = fd;
    clients_.push_back(std::move(c));
  }
}

void Monitor::reap() {
  signalfd_siginfo info;
  while (::read(sig_fd_, &info, sizeof info) > 0) {
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    // Other reaped orphans (we are a subreaper) are ignored.
    if (pid != o_.container_pid || exited_) continue;
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
    drain_deadline_ = Clock::now() + kDrainLimit;
  }
}

bool Monitor::pump_output(int& fd, FrameType type, std::string_view stream) {
  static char buf[32 * 1024];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) {
    // EOF, or EIO from a pty master whose slave side is gone.
    ::close(fd);
    fd = -1;
    if (log_) (void)log_->close_stream(stream, log_now());
    return false;
  }
  std::string_view bytes(buf, static_cast<std::size_t>(n));
  if (log_) (void)log_->write(stream, bytes, log_now());
  broadcast(type, bytes);
  return true;
}

bool Monitor::send_all(Client& c, FrameType type, std::string_view payload) {
  char header[kFrameHeaderSize];
  encode_frame_header(type, payload.size(), header);
  iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(payload.data()), payload.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = payload.empty() ? 1 : 2;
  std::size_t left = sizeof header + payload.size();
  // A client that falls behind slows the container down for a while (backpressure, as
  // Docker's attach does), but one that takes nothing for kStuckClientLimit is dropped:
  // a stuck reader never holds the container's output up for long.
  const auto deadline = Clock::now() + kStuckClientLimit;
  while (left > 0) {
    ssize_t n = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      drop(c);
      return false;
    }
    if (n > 0) {
      left -= static_cast<std::size_t>(n);
      std::size_t skip = static_cast<std::size_t>(n);
      while (skip > 0 && msg.msg_iovlen > 0) {
        if (skip >= msg.msg_iov[0].iov_len) {
          skip -= msg.msg_iov[0].iov_len;
          ++msg.msg_iov;
          --msg.msg_iovlen;
        } else {
          msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + skip;
          msg.msg_iov[0].iov_len -= skip;
          skip = 0;
        }
      }
      continue;
    }
    int wait_ms = ms_until(deadline);
    pollfd pfd{c.fd, POLLOUT, 0};
    if (wait_ms <= 0 || ::poll(&pfd, 1, wait_ms) <= 0 || (pfd.revents & (POLLERR | POLLHUP))) {
      drop(c);
      return false;
    }
  }
  return true;
}

void Monitor::broadcast(FrameType type, std::string_view payload) {
  for (auto& c : clients_)
    if (!c.closed) send_all(c, type, payload);
}

void Monitor::drop(Client& c) {
  if (c.closed) return;
  ::close(c.fd);
  c.closed = true;
  if (c.fd == stdin_owner_) {
    stdin_owner_ = -1;
    // Docker's StdinOnce: the attached client went away. Not with a TTY: there the client
    // leaving (its detach keys, a closed terminal) keeps the container's input open.
    if (o_.stdin_once && !o_.tty) stdin_close_requested_ = true;
  }
}

void Monitor::read_client(Client& c) {
  char buf[16 * 1024];
  ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    drop(c);
    return;
  }
  c.reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  while (auto f = c.reader.next()) handle_frame(c, f->first, f->second);
  if (c.reader.error()) drop(c);
}

void Monitor::handle_frame(Client& c, FrameType type, const std::string& payload) {
  if (type == FrameType::stdin_data || type == FrameType::close_stdin) {
    if (!stdin_owner_chosen_) {
      stdin_owner_chosen_ = true;
      stdin_owner_ = c.fd;
    }
  }
  switch (type) {
    case FrameType::stdin_data:
      if (in_fd_ >= 0 && !stdin_close_requested_ && !payload.empty()) {
        stdin_pending_ += payload;
        flush_stdin();
      }
      break;
    case FrameType::close_stdin:
      stdin_close_requested_ = true;
      break;
    case FrameType::resize:
      if (o_.tty && out_fd_ >= 0) {
        if (auto size = parse_resize_json(payload)) {
          winsize ws{};
          ws.ws_row = static_cast<unsigned short>(size->height);
          ws.ws_col = static_cast<unsigned short>(size->width);
          ::ioctl(out_fd_, TIOCSWINSZ, &ws);
        }
      }
      break;
    default:
      break;  // output and exit frames are ours to send, not to receive
  }
}

void Monitor::flush_stdin() {
  while (!stdin_pending_.empty() && in_fd_ >= 0) {
    ssize_t n = ::write(in_fd_, stdin_pending_.data(), stdin_pending_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // The container closed its stdin (EPIPE): nothing more can be delivered.
      stdin_pending_.clear();
      if (!o_.tty) {
        ::close(in_fd_);
        in_fd_ = -1;
      }
      return;
    }
    stdin_pending_.erase(0, static_cast<std::size_t>(n));
  }
  if (stdin_pending_.empty() && stdin_pending_.capacity() > kStdinHighWater) stdin_pending_.shrink_to_fit();
}

void Monitor::close_stdin_now() {
  if (in_fd_ < 0) return;
  if (o_.tty) {
    // A terminal has no half-close: EOF is the line discipline's VEOF (^D), once.
    static const char eof = 4;
    (void)::write(in_fd_, &eof, 1);
    stdin_close_requested_ = false;
    stdin_owner_chosen_ = true;
    return;
  }
  ::close(in_fd_);
  in_fd_ = -1;
}

void Monitor::finish() {
  auto now = log_now();
  for (int* fd : {&out_fd_, &err_fd_}) {
    if (*fd < 0) continue;
    if (log_) (void)log_->close_stream(fd == &out_fd_ ? "stdout" : "stderr", now);
    ::close(*fd);
    *fd = -1;
  }
  if (in_fd_ >= 0 && !o_.tty) ::close(in_fd_);
  in_fd_ = -1;
  log_.reset();

  ExitInfo info;
  info.exit_code = exit_code_;
  info.finished_at = supervise::format_log_time(now);
  info.pid = o_.container_pid;
  std::string json = exit_json(info);
  write_exit_file(o_.run_dir, json);

  // Everyone attached, and whoever connects in the next second, gets the exit frame.
  accept_clients();
  auto deadline = Clock::now() + kLingerLimit;
  std::vector<pollfd> fds;
  std::size_t notified = 0;
  for (;;) {
    for (; notified < clients_.size(); ++notified) {
      Client& c = clients_[notified];
      if (!c.closed && send_all(c, FrameType::exit, json)) ::shutdown(c.fd, SHUT_WR);
    }
    std::erase_if(clients_, [](const Client& c) { return c.closed; });
    notified = clients_.size();
    int left = ms_until(deadline);
    if (clients_.empty() || left == 0) break;
    fds.clear();
    fds.push_back({o_.listen_fd, POLLIN, 0});
    for (auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), left) < 0 && errno != EINTR) break;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      char buf[4096];
      ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        for (auto& c : clients_)
          if (c.fd == fds[i].fd) drop(c);
    }
    std::erase_if(clients_, [](const Client& c) { return c.closed; });
    notified = clients_.size();
    if (fds[0].revents) accept_clients();
  }
  for (auto& c : clients_) drop(c);
  clients_.clear();
  // exit.json says the rest; a late connect fails instead of hanging.
  ::unlink((o_.run_dir + "/attach.sock").c_str());
  ::close(o_.listen_fd);
}

}  // namespace

int run_monitor(const MonitorOptions& options, void (*on_ready)()) {
  Monitor m(options, on_ready);
  return m.run();
}

}  // namespace stack::monitor
