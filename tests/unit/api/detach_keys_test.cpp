#include "engine/api/detach_keys.h"

#include <gtest/gtest.h>

namespace stack::api {
namespace {

TEST(DetachKeys, ParsesDockersKeyLists) {
  EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q").value(), std::string("\x10\x11"));
  EXPECT_EQ(parse_detach_keys("a").value(), "a");
  EXPECT_EQ(parse_detach_keys("ctrl-a,a").value(), std::string("\x01" "a"));
  EXPECT_EQ(parse_detach_keys("ctrl-@").value(), std::string(1, '\0'));
  EXPECT_EQ(parse_detach_keys("ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").value(), std::string("\x1b\x1c\x1d\x1e\x1f"));
}

TEST(DetachKeys, RejectsWhatDockerRejects) {
  for (const char* bad : {"", "ab", "ctrl-", "ctrl-1", "ctrl-ab", "ctrl-p,", ",a", "ctrl-P"}) {
    auto r = parse_detach_keys(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().errno_value, EINVAL);
    EXPECT_EQ(r.error().message, std::string("Invalid detach keys (") + bad + ") provided");
  }
}

TEST(DetachFilter, PassesInputAndDetachesOnTheSequence) {
  DetachFilter f("\x10\x11");
  std::string out;
  EXPECT_FALSE(f.feed("ls\r", out));
  EXPECT_EQ(out, "ls\r");
  out.clear();
  EXPECT_TRUE(f.feed("x\x10\x11" "after", out));
  EXPECT_EQ(out, "x");  // bytes after the sequence are dropped
}

TEST(DetachFilter, SequenceSplitAcrossReads) {
  DetachFilter f("\x10\x11");
  std::string out;
  EXPECT_FALSE(f.feed("a\x10", out));
  EXPECT_EQ(out, "a");  // ctrl-p held back: it may begin the sequence
  EXPECT_TRUE(f.feed("\x11", out));
}

TEST(DetachFilter, HeldBytesGoOnWhenTheSequenceBreaks) {
  DetachFilter f("\x10\x11");
  std::string out;
  EXPECT_FALSE(f.feed("\x10" "b", out));
  EXPECT_EQ(out, std::string("\x10" "b"));
  out.clear();
  EXPECT_FALSE(f.feed("\x10\x10", out));  // the second ctrl-p may start it again
  EXPECT_EQ(out, std::string("\x10"));
  EXPECT_TRUE(f.feed("\x11", out));
}

TEST(DetachFilter, EmptySequenceNeverDetaches) {
  DetachFilter f("");
  std::string out;
  EXPECT_FALSE(f.feed("\x10\x11", out));
  EXPECT_EQ(out, std::string("\x10\x11"));
}

}  // namespace
}  // namespace stack::api
