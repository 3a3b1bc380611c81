// The wire protocol between a container's monitor (stack-monitor) and its clients on
// <run>/containers/<id>/attach.sock (SOCK_STREAM unix): frames
//   [u8 type][u32 big-endian payload length][payload]
// monitor -> client: stdout_data, stderr_data (with a TTY everything is stdout), exit
//   (payload exit_json(), then the monitor closes the connection).
// client -> monitor: stdin_data (an empty one only marks the client as a stdin client,
//   which matters with stdin_once), close_stdin (EOF to the container), resize (payload
//   {"Height":H,"Width":W}).
// Pure code: no syscalls, no JSON library (the monitor is a tiny static binary).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

namespace stack::monitor {

enum class FrameType : uint8_t { stdin_data = 0, stdout_data = 1, stderr_data = 2, exit = 3, close_stdin = 4, resize = 5 };

inline constexpr std::size_t kFrameHeaderSize = 5;
// A frame longer than this is a protocol error (the reader refuses it).
inline constexpr std::size_t kMaxFramePayload = 1024 * 1024;

// "[type][len BE][payload]".
std::string encode_frame(FrameType type, std::string_view payload);
// The 5-byte header alone (for writev with the payload beside it).
void encode_frame_header(FrameType type, std::size_t payload_size, char out[kFrameHeaderSize]);

// Reassembles frames from a byte stream fed in arbitrary pieces.
class FrameReader {
 public:
  void feed(std::string_view bytes);
  // The next complete frame, nullopt while incomplete. After an error (an unknown type,
  // a payload over kMaxFramePayload) error() is set and next() returns nullopt for good.
  std::optional<std::pair<FrameType, std::string>> next();
  const std::optional<Error>& error() const { return error_; }
  std::size_t buffered() const { return buffer_.size() - pos_; }

 private:
  std::string buffer_;
  std::size_t pos_ = 0;
  std::optional<Error> error_;
};

// How a container ended. JSON {"ExitCode":N,"FinishedAt":"<RFC3339Nano UTC>","Pid":P},
// the payload of the exit frame and the content of exit.json.
struct ExitInfo {
  int exit_code = 0;
  std::string finished_at;
  int pid = 0;
};
std::string exit_json(const ExitInfo& info);
Result<ExitInfo> parse_exit_json(std::string_view json);

// Terminal size of a resize frame: {"Height":H,"Width":W}.
struct WindowSize {
  int height = 0;
  int width = 0;
};
std::string resize_json(int height, int width);
Result<WindowSize> parse_resize_json(std::string_view json);

}  // namespace stack::monitor
