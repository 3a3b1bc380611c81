// Docker's multiplexed stream framing (moby pkg/stdcopy): an 8-byte header
// [stream, 0, 0, 0, size as u32 big-endian] before each payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stack::api {

inline constexpr int kStdin = 0, kStdout = 1, kStderr = 2;
// Docker writes system errors on stream 3 (stdcopy.Systemerr).
inline constexpr int kSystemErr = 3;

std::string frame(int stream, std::string_view data);

struct Frame {
  int stream = 0;
  std::string data;
};

// Reassembles frames from arbitrary pieces of a multiplexed stream.
class FrameDecoder {
 public:
  std::vector<Frame> feed(std::string_view bytes);
  // Bytes of an incomplete frame still held.
  std::size_t pending() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

}  // namespace stack::api
