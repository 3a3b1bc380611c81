#include "engine/monitor/monitor_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>

#include "common/socket_path.h"

namespace stack::monitor {

Result<MonitorClient> MonitorClient::connect(const std::string& attach_socket) {
  auto usable = usable_socket_path(attach_socket);
  if (!usable) return std::unexpected(usable.error());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, usable->path.data(), usable->path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket for monitor " + attach_socket);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("connect to monitor " + attach_socket);
  return MonitorClient(std::move(fd));
}

Result<void> MonitorClient::send_frame(FrameType type, std::string_view payload) {
  std::string frame = encode_frame(type, payload);
  std::size_t off = 0;
  while (off < frame.size()) {
    ssize_t n = ::send(fd_.get(), frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("send to monitor");
    }
    off += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> MonitorClient::send_stdin(std::string_view bytes) {
  // Large writes go as several frames, each under the reader's limit.
  do {
    std::string_view piece = bytes.substr(0, 64 * 1024);
    if (auto r = send_frame(FrameType::stdin_data, piece); !r) return r;
    bytes.remove_prefix(piece.size());
  } while (!bytes.empty());
  return {};
}

Result<void> MonitorClient::close_stdin() { return send_frame(FrameType::close_stdin, {}); }

Result<void> MonitorClient::resize(int height, int width) { return send_frame(FrameType::resize, resize_json(height, width)); }

Result<std::optional<std::pair<FrameType, std::string>>> MonitorClient::read_frame(int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    if (auto f = reader_.next()) {
      if (f->first == FrameType::exit) saw_exit_ = true;
      return std::optional{std::move(*f)};
    }
    if (reader_.error()) return std::unexpected(*reader_.error());
    int wait = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      wait = left > 0 ? static_cast<int>(left) : 0;
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, wait);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll monitor socket");
    }
    if (rc == 0) return std::optional<std::pair<FrameType, std::string>>{};
    char buf[16 * 1024];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail_errno("read from monitor");
    }
    if (n == 0) {
      if (saw_exit_ && reader_.buffered() == 0) return std::optional<std::pair<FrameType, std::string>>{};
      return fail("read from monitor: connection closed", ECONNRESET);
    }
    reader_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

}  // namespace stack::monitor
