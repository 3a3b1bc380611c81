#include "compose/units.h"

#include <gtest/gtest.h>

namespace stack::compose {
namespace {

constexpr int64_t kMs = 1000'000;
constexpr int64_t kSec = 1000 * kMs;

TEST(Duration, ParsesGoSyntax) {
  struct Case {
    const char* text;
    int64_t ns;
  } cases[] = {
      {"0", 0},
      {"1s", kSec},
      {"1m30s", 90 * kSec},
      {"500ms", 500 * kMs},
      {"1.5h", 5400 * kSec},
      {"-2s", -2 * kSec},
      {"+3s", 3 * kSec},
      {"100ns", 100},
      {"10us", 10'000},
      {"10\xC2\xB5s", 10'000},
      {".5s", 500 * kMs},
      {"1h2m3s4ms", 3723 * kSec + 4 * kMs},
      {"2d", 48 * 3600 * kSec},
      {"1w", 7 * 24 * 3600 * kSec},
  };
  for (const auto& c : cases) {
    auto d = parse_duration(c.text);
    ASSERT_TRUE(d) << c.text << ": " << d.error().message;
    EXPECT_EQ(d->nanoseconds, c.ns) << c.text;
  }
}

TEST(Duration, RejectsBadSyntax) {
  for (const char* text : {"5x", "", "10", "s", "1.s5", "abc", "1m-3s", "."}) {
    auto d = parse_duration(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error().message, std::string("invalid duration \"") + text + "\"");
  }
}

TEST(Duration, FormatsAsGoString) {
  struct Case {
    int64_t ns;
    const char* text;
  } cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {1100, "1.1\xC2\xB5s"},
      {500 * kMs, "500ms"},
      {1500 * kMs, "1.5s"},
      {90 * kSec, "1m30s"},
      {3600 * kSec, "1h0m0s"},
      {3723 * kSec + 4 * kMs, "1h2m3.004s"},
      {-2 * kSec, "-2s"},
      {30 * kSec, "30s"},
      {48 * 3600 * kSec, "48h0m0s"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_duration(Duration{c.ns}), c.text) << c.ns;
}

TEST(UnitBytes, ParsesRamInBytes) {
  struct Case {
    const char* text;
    int64_t bytes;
  } cases[] = {
      {"1024", 1024},       {"-1", -1},           {"512m", 512LL << 20}, {"1gb", 1LL << 30},
      {"100k", 100 << 10},  {"100K", 100 << 10},  {"1.5g", 3LL << 29},   {"10b", 10},
      {"64 MiB", 64LL << 20}, {"2t", 2LL << 40},  {"1p", 1LL << 50},     {"0", 0},
  };
  for (const auto& c : cases) {
    auto b = parse_unit_bytes(c.text);
    ASSERT_TRUE(b) << c.text << ": " << b.error().message;
    EXPECT_EQ(b->bytes, c.bytes) << c.text;
  }
}

TEST(UnitBytes, RejectsBadSizes) {
  for (const char* text : {"12Q", "", "m", "1.2.3m", "1mm", "-5m", "12 Q", "1e3"}) {
    auto b = parse_unit_bytes(text);
    ASSERT_FALSE(b) << text;
    EXPECT_EQ(b.error().message, std::string("invalid size \"") + text + "\"");
  }
}

TEST(Float32, FormatsLikeGoG) {
  struct Case {
    float value;
    const char* text;
  } cases[] = {{0.5f, "0.5"},   {1.5f, "1.5"},  {2.0f, "2"},        {0.1f, "0.1"},     {100000.0f, "100000"},
               {1e6f, "1e+06"}, {0.0001f, "0.0001"}, {0.00001f, "1e-05"}, {-0.25f, "-0.25"}, {0.0f, "0"}};
  for (const auto& c : cases) EXPECT_EQ(format_float32(c.value), c.text) << c.value;
}

}  // namespace
}  // namespace stack::compose
