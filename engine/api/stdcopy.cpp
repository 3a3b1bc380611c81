#include "engine/api/stdcopy.h"

namespace stack::api {

std::string frame(int stream, std::string_view data) {
  std::string out;
  out.reserve(8 + data.size());
  auto size = static_cast<uint32_t>(data.size());
  out.push_back(static_cast<char>(stream));
  out.append(3, '\0');
  out.push_back(static_cast<char>((size >> 24) & 0xff));
  out.push_back(static_cast<char>((size >> 16) & 0xff));
  out.push_back(static_cast<char>((size >> 8) & 0xff));
  out.push_back(static_cast<char>(size & 0xff));
  out.append(data);
  return out;
}

std::vector<Frame> FrameDecoder::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::vector<Frame> frames;
  size_t pos = 0;
  while (buffer_.size() - pos >= 8) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(buffer_[pos + i])); };
    uint32_t size = (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7);
    if (buffer_.size() - pos - 8 < size) break;
    frames.push_back(Frame{static_cast<int>(b(0)), buffer_.substr(pos + 8, size)});
    pos += 8 + size;
  }
  buffer_.erase(0, pos);
  return frames;
}

}  // namespace stack::api
