#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "engine/supervise/json_log.h"
#include "engine/supervise/json_log_reader.h"

namespace stack::supervise {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

LogTime at(std::int64_t sec, std::int64_t nanos = 0) {
  // 2026-11-25T15:40:00Z plus sec.
  return LogTime(sys_days(year(2026) / November / 25) + hours(15) + minutes(40) + seconds(sec) + nanoseconds(nanos));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class JsonLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/json-log-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "container-json.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  JsonLogWriter open(JsonLogOptions o = {}) {
    auto w = JsonLogWriter::open(path_, o);
    EXPECT_TRUE(w) << w.error().to_string();
    return std::move(*w);
  }

  fs::path dir_;
  std::string path_;
};

TEST(JsonLogFormat, RecordsAreByteExact) {
  EXPECT_EQ(encode_log_record("stdout", "hello\n", at(39, 123456789)),
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:39.123456789Z\"}\n");
  // Trailing zeros of the fraction trimmed, none at all on a whole second (RFC3339Nano).
  EXPECT_EQ(encode_log_record("stderr", "\n", at(1, 120000000)),
            "{\"log\":\"\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-25T15:40:01.12Z\"}\n");
  EXPECT_EQ(encode_log_record("stdout", "x", at(0)),
            "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:00Z\"}\n");
  // Empty log is omitted as Docker's omitempty.
  EXPECT_EQ(encode_log_record("stdout", "", at(0)), "{\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:00Z\"}\n");
}

TEST(JsonLogFormat, EscapesAsGo) {
  auto esc = [](std::string_view s) {
    std::string out;
    append_log_json_string(out, s);
    return out;
  };
  EXPECT_EQ(esc("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(esc("a\\b\r\n"), R"("a\\b\r\n")");
  EXPECT_EQ(esc(std::string("\t\b\f\x01\x1f\x7f", 6)), "\"\\u0009\\u0008\\u000c\\u0001\\u001f\x7f\"");
  EXPECT_EQ(esc(std::string("nul\0!", 5)), R"("nul\u0000!")");
  EXPECT_EQ(esc("héllo ✓ 😀"), "\"héllo ✓ 😀\"");
  EXPECT_EQ(esc("\xe2\x80\xa8|\xe2\x80\xa9"), R"("\u2028|\u2029")");
  // Invalid UTF-8: each bad byte becomes U+FFFD (overlong, surrogate, truncated, stray).
  EXPECT_EQ(esc("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(esc("\xc0\xaf"), R"("\ufffd\ufffd")");
  EXPECT_EQ(esc("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");
  EXPECT_EQ(esc("\xe2\x82"), R"("\ufffd\ufffd")");
  EXPECT_EQ(esc("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");
}

TEST_F(JsonLogTest, SplitsLinesAsDocker) {
  auto w = open();
  ASSERT_TRUE(w.write("stdout", "one\r\ntwo\n\nthr", at(1)));
  ASSERT_TRUE(w.write("stderr", "err\n", at(2)));
  ASSERT_TRUE(w.write("stdout", "ee\n", at(3)));
  ASSERT_TRUE(w.close_stream("stdout", at(4)));
  EXPECT_EQ(slurp(path_),
            "{\"log\":\"one\\r\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:01Z\"}\n"
            "{\"log\":\"two\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:01Z\"}\n"
            "{\"log\":\"\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:01Z\"}\n"
            "{\"log\":\"err\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-25T15:40:02Z\"}\n"
            "{\"log\":\"three\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T15:40:03Z\"}\n");
}

TEST_F(JsonLogTest, LongLinesBecomePartialRecords) {
  auto w = open();
  std::string big(kJsonLogPartialSize * 2 + 5, 'a');
  ASSERT_TRUE(w.write("stdout", big.substr(0, 100), at(1)));
  ASSERT_TRUE(w.write("stdout", big.substr(100) + "\nrest", at(2)));
  ASSERT_TRUE(w.close_stream("stdout", at(3)));
  auto r = read_json_log(path_, {});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->records[0].log, std::string(kJsonLogPartialSize, 'a'));
  EXPECT_EQ(r->records[1].log, std::string(kJsonLogPartialSize, 'a'));
  EXPECT_EQ(r->records[2].log, "aaaaa\n");
  // Every piece of a cut line carries the time of its first piece.
  EXPECT_EQ(r->records[0].time, at(2));
  EXPECT_EQ(r->records[2].time, at(2));
  // At end of stream the unfinished line goes out without "\n".
  EXPECT_EQ(r->records[3].log, "rest");
  EXPECT_EQ(r->records[3].time, at(3));
}

TEST_F(JsonLogTest, LineOfExactlyBufferSizeEndsWithLoneNewline) {
  auto w = open();
  ASSERT_TRUE(w.write("stdout", std::string(kJsonLogPartialSize, 'b') + "\n", at(1)));
  ASSERT_TRUE(w.write("stdout", std::string(kJsonLogPartialSize - 1, 'c') + "\n", at(2)));
  auto r = read_json_log(path_, {});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].log, std::string(kJsonLogPartialSize, 'b'));
  EXPECT_EQ(r->records[1].log, "\n");
  EXPECT_EQ(r->records[2].log, std::string(kJsonLogPartialSize - 1, 'c') + "\n");
}

TEST_F(JsonLogTest, RotatesLikeDocker) {
  // Each record for "NN\n" at a whole second is 63 bytes; max-size 100 holds two.
  auto w = open({.max_size = 100, .max_file = 3});
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(w.write("stdout", fmt::format("{:02}\n", i), at(i)));
  EXPECT_EQ(encode_log_record("stdout", "00\n", at(0)).size(), 63u);
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"container-json.log", "container-json.log.1", "container-json.log.2"}));
  // Rotation happens before a write once the file has reached max-size: 0,1 | 2,3 | 4,5 | 6.
  EXPECT_EQ(slurp(path_), encode_log_record("stdout", "06\n", at(6)));
  EXPECT_EQ(slurp(path_ + ".1"), encode_log_record("stdout", "04\n", at(4)) + encode_log_record("stdout", "05\n", at(5)));
  EXPECT_EQ(slurp(path_ + ".2"), encode_log_record("stdout", "02\n", at(2)) + encode_log_record("stdout", "03\n", at(3)));
  auto r = read_json_log(path_, {});
  ASSERT_TRUE(r) << r.error().to_string();
  std::string all;
  for (auto& rec : r->records) all += rec.log;
  EXPECT_EQ(all, "02\n03\n04\n05\n06\n");
}

TEST_F(JsonLogTest, MaxFileOneTruncates) {
  auto w = open({.max_size = 60, .max_file = 1});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.write("stdout", fmt::format("{:02}\n", i), at(i)));
  EXPECT_FALSE(fs::exists(path_ + ".1"));
  EXPECT_EQ(slurp(path_), encode_log_record("stdout", "02\n", at(2)));
}

TEST_F(JsonLogTest, ReopenAppendsAndCountsExistingSize) {
  {
    auto w = open({.max_size = 100, .max_file = 2});
    ASSERT_TRUE(w.write("stdout", "00\n01\n", at(0)));
  }
  auto w = open({.max_size = 100, .max_file = 2});
  EXPECT_EQ(w.current_size(), 126);
  ASSERT_TRUE(w.write("stdout", "02\n", at(2)));
  EXPECT_EQ(slurp(path_), encode_log_record("stdout", "02\n", at(2)));
  EXPECT_EQ(slurp(path_ + ".1").size(), 126u);
}

TEST_F(JsonLogTest, TailAcrossRotatedFiles) {
  auto w = open({.max_size = 100, .max_file = 4});
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(w.write(i % 2 ? "stderr" : "stdout", fmt::format("{:02}\n", i), at(i)));
  auto logs = [&](LogReadOptions o) {
    auto r = read_json_log(path_, o);
    EXPECT_TRUE(r) << r.error().to_string();
    std::string all;
    for (auto& rec : r->records) all += rec.stream.substr(3, 1) + rec.log;
    return all;
  };
  EXPECT_EQ(logs({.tail = 4}), "e03\no04\ne05\no06\n");
  EXPECT_EQ(logs({.tail = 1}), "o06\n");
  EXPECT_EQ(logs({.tail = 100}), "o00\ne01\no02\ne03\no04\ne05\no06\n");
  EXPECT_EQ(logs({.tail = 0}), "");
  // since / until by time; until stops at the first later record.
  EXPECT_EQ(logs({.since = at(3)}), "e03\no04\ne05\no06\n");
  EXPECT_EQ(logs({.since = at(2, 1)}), "e03\no04\ne05\no06\n");
  EXPECT_EQ(logs({.until = at(1)}), "o00\ne01\n");
  EXPECT_EQ(logs({.since = at(2), .until = at(4)}), "o02\ne03\no04\n");
  // As Docker: tail picks the last lines first, then since/until filter them.
  EXPECT_EQ(logs({.tail = 3, .until = at(4)}), "o04\n");
}

TEST_F(JsonLogTest, FollowResumesAcrossRotation) {
  auto w = open({.max_size = 100, .max_file = 3});
  ASSERT_TRUE(w.write("stdout", "00\n", at(0)));
  auto first = read_json_log(path_, {});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->records.size(), 1u);
  EXPECT_EQ(first->end.offset, 63);

  // Nothing new: nothing read, same position.
  auto none = read_json_log_from(path_, first->end, {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->records.empty());
  EXPECT_EQ(none->end.offset, 63);

  // A half-written record is not consumed.
  {
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << "{\"log\":\"01";
  }
  auto half = read_json_log_from(path_, first->end, {});
  ASSERT_TRUE(half) << half.error().to_string();
  EXPECT_TRUE(half->records.empty());
  EXPECT_EQ(half->end.offset, 63);
  ASSERT_EQ(::truncate(path_.c_str(), 63), 0);

  auto w2 = open({.max_size = 100, .max_file = 3});
  for (int i = 1; i < 5; ++i) ASSERT_TRUE(w2.write("stdout", fmt::format("{:02}\n", i), at(i)));
  // Files now: .2 = 00 01, .1 = 02 03, current = 04; the follower was in what is now .2.
  auto next = read_json_log_from(path_, first->end, {});
  ASSERT_TRUE(next) << next.error().to_string();
  std::string all;
  for (auto& rec : next->records) all += rec.log;
  EXPECT_EQ(all, "01\n02\n03\n04\n");
  struct stat st{};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(next->end.ino, st.st_ino);
  EXPECT_EQ(next->end.offset, 63);

  // Rotated away entirely: everything left is read.
  for (int i = 5; i < 11; ++i) ASSERT_TRUE(w2.write("stdout", fmt::format("{:02}\n", i), at(i)));
  auto lost = read_json_log_from(path_, first->end, {});
  ASSERT_TRUE(lost);
  all.clear();
  for (auto& rec : lost->records) all += rec.log;
  EXPECT_EQ(all, "06\n07\n08\n09\n10\n");
}

TEST_F(JsonLogTest, TimestampsFormat) {
  LogRecord rec{"stdout", at(39, 120000000), "hi\n"};
  EXPECT_EQ(format_with_timestamp(rec), "2026-11-25T15:40:39.120000000Z hi\n");
  auto t = parse_log_time("2026-11-25T17:40:39.12+02:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, at(39, 120000000));
  EXPECT_FALSE(parse_log_time("2026-11-25 15:40:39Z"));
  EXPECT_FALSE(parse_log_time("2026-13-25T15:40:39Z"));
}

TEST_F(JsonLogTest, MalformedRecordNamesFile) {
  std::ofstream(path_) << "not json\n";
  auto r = read_json_log(path_, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path_), std::string::npos) << r.error().message;
}

TEST(JsonLogOptions, ParsesSizesAsDocker) {
  EXPECT_EQ(parse_max_size("100").value(), 100);
  EXPECT_EQ(parse_max_size("1k").value(), 1000);
  EXPECT_EQ(parse_max_size("10m").value(), 10000000);
  EXPECT_EQ(parse_max_size("10M").value(), 10000000);
  EXPECT_EQ(parse_max_size("1.5g").value(), 1500000000);
  EXPECT_EQ(parse_max_size("2kb").value(), 2000);
  EXPECT_EQ(parse_max_size("2KiB").value(), 2000);
  EXPECT_EQ(parse_max_size("3 mb").value(), 3000000);
  EXPECT_EQ(parse_max_size("7b").value(), 7);
  EXPECT_EQ(parse_max_size("abc").error().message, "invalid size: 'abc'");
  EXPECT_EQ(parse_max_size("").error().message, "invalid size: ''");
  EXPECT_EQ(parse_max_size("10x").error().message, "invalid suffix: 'x'");
  EXPECT_EQ(parse_max_size("10mbb").error().message, "invalid suffix: 'mbb'");
  EXPECT_EQ(parse_max_size("1.2.3").error().message, "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
  EXPECT_EQ(parse_max_size("0").error().message, "max-size must be a positive number");
  EXPECT_EQ(parse_max_size("-1").error().message, "invalid size: '-1'");
}

TEST(JsonLogOptions, ParsesMaxFileAndCompressAsDocker) {
  EXPECT_EQ(parse_max_file("3").value(), 3);
  EXPECT_EQ(parse_max_file("+2").value(), 2);
  EXPECT_EQ(parse_max_file("0").error().message, "max-file cannot be less than 1");
  EXPECT_EQ(parse_max_file("-4").error().message, "max-file cannot be less than 1");
  EXPECT_EQ(parse_max_file("x").error().message, "strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(parse_max_file("1.5").error().message, "strconv.Atoi: parsing \"1.5\": invalid syntax");
  EXPECT_EQ(parse_max_file("99999999999").error().message,
            "strconv.Atoi: parsing \"99999999999\": value out of range");

  auto o = parse_json_log_options({{"max-size", "10m"}, {"max-file", "3"}, {"tag", "x"}});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->max_size, 10000000);
  EXPECT_EQ(o->max_file, 3);
  EXPECT_EQ(parse_json_log_options({{"max-sise", "1"}}).error().message,
            "unknown log opt 'max-sise' for json-file log driver");
  EXPECT_EQ(parse_json_log_options({{"compress", "yes"}}).error().message,
            "strconv.ParseBool: parsing \"yes\": invalid syntax");
  EXPECT_EQ(parse_json_log_options({{"compress", "true"}, {"max-size", "1m"}}).error().message,
            "compress cannot be true when max-file is less than 2 or max-size is not set");
  EXPECT_FALSE(parse_json_log_options({{"compress", "false"}})->compress);
}

TEST_F(JsonLogTest, BadWriterArguments) {
  EXPECT_EQ(JsonLogWriter::open(path_, {.max_file = 0}).error().message, "max-file cannot be less than 1");
  auto w = open();
  EXPECT_FALSE(w.write("stdin", "x\n", at(0)));
  EXPECT_FALSE(JsonLogWriter::open((dir_ / "missing" / "x.log").string(), {}));
}

}  // namespace
}  // namespace stack::supervise
