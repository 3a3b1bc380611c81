#include <gtest/gtest.h>

#include "engine/monitor/protocol.h"

namespace stack::monitor {
namespace {

TEST(MonitorFrames, EncodeIsTypeThenBigEndianLengthThenPayload) {
  EXPECT_EQ(encode_frame(FrameType::stdout_data, "hi"), std::string("\x01\x00\x00\x00\x02hi", 7));
  EXPECT_EQ(encode_frame(FrameType::close_stdin, ""), std::string("\x04\x00\x00\x00\x00", 5));
  std::string big(0x010203, 'x');
  std::string f = encode_frame(FrameType::stderr_data, big);
  EXPECT_EQ(f.substr(0, 5), std::string("\x02\x00\x01\x02\x03", 5));
  EXPECT_EQ(f.size(), 5 + big.size());
}

TEST(MonitorFrames, ReaderReassemblesFramesFedByteByByte) {
  std::string stream = encode_frame(FrameType::stdin_data, "hello") + encode_frame(FrameType::resize, "{}") +
                       encode_frame(FrameType::exit, "") + encode_frame(FrameType::stdout_data, std::string(70000, 'a'));
  FrameReader r;
  std::vector<std::pair<FrameType, std::string>> got;
  for (char c : stream) {
    r.feed(std::string_view(&c, 1));
    while (auto f = r.next()) got.push_back(std::move(*f));
  }
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], std::pair(FrameType::stdin_data, std::string("hello")));
  EXPECT_EQ(got[1], std::pair(FrameType::resize, std::string("{}")));
  EXPECT_EQ(got[2], std::pair(FrameType::exit, std::string()));
  EXPECT_EQ(got[3].second, std::string(70000, 'a'));
  EXPECT_FALSE(r.error());
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(MonitorFrames, ReaderWaitsForIncompleteFrames) {
  std::string f = encode_frame(FrameType::stdout_data, "abcdef");
  FrameReader r;
  r.feed(f.substr(0, 3));
  EXPECT_FALSE(r.next());
  r.feed(f.substr(3, 4));
  EXPECT_FALSE(r.next());
  r.feed(f.substr(7) + f);
  auto a = r.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->second, "abcdef");
  auto b = r.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->second, "abcdef");
  EXPECT_FALSE(r.next());
}

TEST(MonitorFrames, ReaderRefusesOversizedAndUnknownFrames) {
  FrameReader big;
  // 1 MiB is allowed, one byte more is not; refused from the header alone.
  big.feed(std::string("\x01\x00\x10\x00\x01", 5));
  EXPECT_FALSE(big.next());
  ASSERT_TRUE(big.error());
  EXPECT_EQ(big.error()->errno_value, EMSGSIZE);
  big.feed(encode_frame(FrameType::stdout_data, "x"));
  EXPECT_FALSE(big.next());  // stays failed

  FrameReader max;
  max.feed(encode_frame(FrameType::stdin_data, std::string(kMaxFramePayload, 'y')));
  auto m = max.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->second.size(), kMaxFramePayload);

  FrameReader unknown;
  unknown.feed(std::string("\x09\x00\x00\x00\x00", 5));
  EXPECT_FALSE(unknown.next());
  ASSERT_TRUE(unknown.error());
  EXPECT_EQ(unknown.error()->errno_value, EPROTO);
}

TEST(MonitorExit, JsonRoundTrip) {
  ExitInfo info{137, "2026-11-25T15:40:39.123456789Z", 4242};
  std::string json = exit_json(info);
  EXPECT_EQ(json, R"({"ExitCode":137,"FinishedAt":"2026-11-25T15:40:39.123456789Z","Pid":4242})");
  auto back = parse_exit_json(json);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->finished_at, info.finished_at);
  EXPECT_EQ(back->pid, 4242);
}

TEST(MonitorExit, ParseToleratesOrderWhitespaceAndUnknownFields) {
  auto e = parse_exit_json(" {\n \"Pid\" : 7 , \"Extra\": true, \"Note\": \"a\\\"b\\u00e9\", \"FinishedAt\":\"x\", \"ExitCode\": -1 }\n");
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(e->exit_code, -1);
  EXPECT_EQ(e->pid, 7);
  EXPECT_EQ(e->finished_at, "x");
}

TEST(MonitorExit, ParseRejectsBrokenJson) {
  for (std::string_view bad : {"", "{", "[]", R"({"ExitCode":1)", R"({"ExitCode":1}x)", R"({"Pid":1})",
                               R"({"ExitCode":"1"})", R"({"ExitCode":99999999999})", R"({"ExitCode":1,})"}) {
    auto e = parse_exit_json(bad);
    EXPECT_FALSE(e) << bad;
    if (!e) {
      EXPECT_EQ(e.error().errno_value, EINVAL) << bad;
    }
  }
}

TEST(MonitorResize, JsonRoundTripAndLimits) {
  EXPECT_EQ(resize_json(40, 120), R"({"Height":40,"Width":120})");
  auto s = parse_resize_json(R"({"Width":120,"Height":40})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->height, 40);
  EXPECT_EQ(s->width, 120);
  EXPECT_FALSE(parse_resize_json(R"({"Height":40})"));
  EXPECT_FALSE(parse_resize_json(R"({"Height":-1,"Width":3})"));
  EXPECT_FALSE(parse_resize_json(R"({"Height":70000,"Width":3})"));
  EXPECT_FALSE(parse_resize_json("nope"));
}

}  // namespace
}  // namespace stack::monitor
