#include "cli/attach.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/unique_fd.h"
#include "engine/api/detach_keys.h"

namespace stack::cli {
namespace {

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // our stdout went away (a closed pipe): drop the rest, as docker does
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// SIGWINCH arrives on a self-pipe so the poll loop sees it.
int g_winch_fd = -1;
void on_winch(int) {
  int saved = errno;
  char c = 1;
  ssize_t ignored = ::write(g_winch_fd, &c, 1);
  (void)ignored;
  errno = saved;
}

class WinchWatch {
 public:
  WinchWatch() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    g_winch_fd = write_.get();
    struct sigaction sa{};
    sa.sa_handler = on_winch;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    installed_ = ::sigaction(SIGWINCH, &sa, &old_) == 0;
  }
  ~WinchWatch() {
    if (installed_) ::sigaction(SIGWINCH, &old_, nullptr);
    g_winch_fd = -1;
  }
  int fd() const { return read_.get(); }
  void drain() {
    char buf[64];
    while (::read(read_.get(), buf, sizeof buf) > 0) {
    }
  }

 private:
  UniqueFd read_, write_;
  struct sigaction old_{};
  bool installed_ = false;
};

}  // namespace

void Demuxer::feed(std::string_view bytes) {
  // Fast path: whole frames straight from the input, no copy.
  if (buffer_.empty()) {
    while (bytes.size() >= 8) {
      auto size = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[4])) << 24) |
                  (static_cast<uint32_t>(static_cast<unsigned char>(bytes[5])) << 16) |
                  (static_cast<uint32_t>(static_cast<unsigned char>(bytes[6])) << 8) |
                  static_cast<uint32_t>(static_cast<unsigned char>(bytes[7]));
      if (bytes.size() < 8 + static_cast<size_t>(size)) break;
      sink_(static_cast<unsigned char>(bytes[0]), bytes.substr(8, size));
      bytes.remove_prefix(8 + static_cast<size_t>(size));
    }
    buffer_.append(bytes);
    return;
  }
  buffer_.append(bytes);
  std::string rest;
  rest.swap(buffer_);
  feed(rest);
}

struct RawTerminal::Saved {
  termios state;
};

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  termios t{};
  if (!::isatty(fd) || ::tcgetattr(fd, &t) != 0) return;
  saved_ = new Saved{t};
  t.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
  t.c_cflag |= CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  active_ = ::tcsetattr(fd, TCSANOW, &t) == 0;
}

RawTerminal::~RawTerminal() {
  if (saved_ && active_) ::tcsetattr(fd_, TCSANOW, &saved_->state);
  delete saved_;
}

bool terminal_size(int fd, int& height, int& width) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return false;
  height = ws.ws_row;
  width = ws.ws_col;
  return true;
}

Result<void> pump_stream(client::RawConnection& conn, const PumpOptions& o) {
  Demuxer demux([&](int stream, std::string_view data) { write_all(stream == 1 || stream == 0 ? o.out_fd : o.err_fd, data); });
  std::optional<WinchWatch> winch;
  if (o.tty && o.resize) {
    winch.emplace();
    int h = 0, w = 0;
    if (terminal_size(o.out_fd, h, w) || terminal_size(o.in_fd, h, w)) o.resize(h, w);
  }
  bool stdin_open = o.send_stdin;
  api::DetachFilter detach(o.tty && o.send_stdin ? o.detach_keys : std::string());
  std::array<char, 32 * 1024> buf;
  for (;;) {
    if (!conn.has_pending()) {
      std::array<pollfd, 3> fds{};
      nfds_t n = 0;
      fds[n++] = {conn.fd(), POLLIN, 0};
      int stdin_index = -1, winch_index = -1;
      if (stdin_open) {
        stdin_index = static_cast<int>(n);
        fds[n++] = {o.in_fd, POLLIN, 0};
      }
      if (winch && winch->fd() >= 0) {
        winch_index = static_cast<int>(n);
        fds[n++] = {winch->fd(), POLLIN, 0};
      }
      if (::poll(fds.data(), n, -1) < 0) {
        if (errno == EINTR) continue;
        return fail_errno("poll the attached stream");
      }
      if (winch_index >= 0 && fds[winch_index].revents) {
        winch->drain();
        int h = 0, w = 0;
        if (terminal_size(o.out_fd, h, w) || terminal_size(o.in_fd, h, w)) o.resize(h, w);
      }
      if (stdin_index >= 0 && fds[stdin_index].revents) {
        ssize_t r = ::read(o.in_fd, buf.data(), buf.size());
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) {
          std::string input;
          const bool detached = detach.feed(std::string_view(buf.data(), static_cast<size_t>(r)), input);
          if (!input.empty())
            if (auto w = conn.write(input); !w) stdin_open = false;
          if (detached) return fail(kDetachedMessage, kDetachedErrno);
        } else {
          // EOF (or an error) on our stdin: the container's stdin ends too.
          stdin_open = false;
          (void)conn.shutdown_write();
        }
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    }
    auto r = conn.read(std::span<char>(buf.data(), buf.size()));
    if (!r) {
      if (r.error().errno_value == ECONNRESET) return {};
      return std::unexpected(r.error());
    }
    if (*r == 0) return {};
    std::string_view data(buf.data(), *r);
    if (o.tty) {
      write_all(o.out_fd, data);
    } else {
      demux.feed(data);
    }
  }
}

}  // namespace stack::cli

#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <thread>

namespace stack::cli {

struct SignalForwarder::State {
  sigset_t set{}, old{};
  UniqueFd sigfd, stop;
  std::thread thread;
};

SignalForwarder::SignalForwarder(std::function<void(int)> forward) : state_(new State) {
  sigemptyset(&state_->set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&state_->set, s);
  ::pthread_sigmask(SIG_BLOCK, &state_->set, &state_->old);
  state_->sigfd.reset(::signalfd(-1, &state_->set, SFD_CLOEXEC));
  state_->stop.reset(::eventfd(0, EFD_CLOEXEC));
  if (!state_->sigfd || !state_->stop) return;
  state_->thread = std::thread([st = state_, forward = std::move(forward)] {
    for (;;) {
      pollfd fds[2] = {{st->sigfd.get(), POLLIN, 0}, {st->stop.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      signalfd_siginfo info{};
      if (::read(st->sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info))
        forward(static_cast<int>(info.ssi_signo));
    }
  });
}

SignalForwarder::~SignalForwarder() {
  if (state_->thread.joinable()) {
    uint64_t one = 1;
    ssize_t ignored = ::write(state_->stop.get(), &one, sizeof one);
    (void)ignored;
    state_->thread.join();
  }
  ::pthread_sigmask(SIG_SETMASK, &state_->old, nullptr);
  delete state_;
}

}  // namespace stack::cli
