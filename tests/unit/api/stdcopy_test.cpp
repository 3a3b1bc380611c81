#include "engine/api/stdcopy.h"

#include <gtest/gtest.h>

namespace stack::api {
namespace {

TEST(ApiStdcopy, HeaderIsDockers) {
  std::string f = frame(kStderr, "hi\n");
  ASSERT_EQ(f.size(), 11u);
  EXPECT_EQ(f.substr(0, 8), std::string("\x02\x00\x00\x00\x00\x00\x00\x03", 8));
  EXPECT_EQ(f.substr(8), "hi\n");
  std::string big(70000, 'x');
  std::string g = frame(kStdout, big);
  EXPECT_EQ(g.substr(0, 8), std::string("\x01\x00\x00\x00\x00\x01\x11\x70", 8));
}

TEST(ApiStdcopy, DecoderReassemblesAcrossPieces) {
  std::string stream = frame(kStdout, "hello") + frame(kStderr, "") + frame(kStderr, "oops") + frame(kStdout, "!");
  FrameDecoder d;
  std::vector<Frame> out;
  // One byte at a time.
  for (char c : stream) {
    auto frames = d.feed(std::string_view(&c, 1));
    out.insert(out.end(), frames.begin(), frames.end());
  }
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].stream, kStdout);
  EXPECT_EQ(out[0].data, "hello");
  EXPECT_EQ(out[1].stream, kStderr);
  EXPECT_EQ(out[1].data, "");
  EXPECT_EQ(out[2].data, "oops");
  EXPECT_EQ(out[3].data, "!");
  EXPECT_EQ(d.pending(), 0u);
  // A partial frame is held.
  auto none = d.feed(frame(kStdout, "abcdef").substr(0, 10));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(d.pending(), 10u);
  auto rest = d.feed("cdef");
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].data, "abcdef");
}

}  // namespace
}  // namespace stack::api
