#include "engine/runtime/console.h"

#include "common/socket_path.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace stack::runtime {

Result<UniqueFd> connect_console_socket(const std::string& path) {
  auto usable = usable_socket_path(path);
  if (!usable) return std::unexpected(usable.error());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, usable->path.c_str(), usable->path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket for console socket " + path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail_errno("connect to console socket " + path);
  return fd;
}

Result<void> send_fd(int socket_fd, int fd, std::string_view name) {
  msghdr msg{};
  iovec iov{const_cast<char*>(name.data()), name.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  for (;;) {
    if (::sendmsg(socket_fd, &msg, MSG_NOSIGNAL) >= 0) return {};
    if (errno != EINTR) return fail_errno("send terminal master over the console socket");
  }
}

Result<UniqueFd> receive_fd(int socket_fd) {
  char name[4096];
  msghdr msg{};
  iovec iov{name, sizeof name};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return fail_errno("receive terminal master");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
    return fail("receive terminal master: no file descriptor in the message", EBADMSG);
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return UniqueFd(fd);
}

Result<void> setup_console(int socket_fd, const std::optional<ConsoleSize>& size) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return fail_errno("open /dev/ptmx in the container");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return fail_errno("unlock pty");
  unsigned index = 0;
  if (::ioctl(master.get(), TIOCGPTN, &index) != 0) return fail_errno("get pty number");
  std::string slave_path = "/dev/pts/" + std::to_string(index);
  UniqueFd slave(::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return fail_errno("open " + slave_path);
  if (size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(master.get(), TIOCSWINSZ, &ws) != 0) return fail_errno("set console size");
  }
  if (::setsid() < 0) return fail_errno("setsid");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave.get(), i) < 0) return fail_errno("dup " + slave_path + " to fd " + std::to_string(i));
  if (::ioctl(0, TIOCSCTTY, 0) != 0) return fail_errno("make " + slave_path + " the controlling terminal");
  return send_fd(socket_fd, master.get(), "/dev/ptmx");
}

}  // namespace stack::runtime
