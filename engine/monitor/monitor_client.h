// A synchronous client of a monitor's attach.sock (tests, simple callers; the daemon
// speaks the same protocol on its own event loop).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/unique_fd.h"
#include "engine/monitor/protocol.h"

namespace stack::monitor {

class MonitorClient {
 public:
  static Result<MonitorClient> connect(const std::string& attach_socket);

  Result<void> send_stdin(std::string_view bytes);
  Result<void> close_stdin();
  Result<void> resize(int height, int width);
  // The next frame; nullopt on a timeout (timeout_ms < 0: wait for ever). The monitor
  // closing the connection is an error (ECONNRESET) unless an exit frame came first,
  // after which it is nullopt as well.
  Result<std::optional<std::pair<FrameType, std::string>>> read_frame(int timeout_ms);

  int fd() const { return fd_.get(); }

 private:
  explicit MonitorClient(UniqueFd fd) : fd_(std::move(fd)) {}
  Result<void> send_frame(FrameType type, std::string_view payload);

  UniqueFd fd_;
  FrameReader reader_;
  bool saw_exit_ = false;
};

}  // namespace stack::monitor
