#include "engine/api/filters.h"

#include <gtest/gtest.h>

namespace stack::api {
namespace {

TEST(ApiFilters, BothForms) {
  auto f = parse_filters(R"({"label":{"a=b":true,"c":true},"status":{"running":true}})");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->at("label"), (std::vector<std::string>{"a=b", "c"}));
  EXPECT_EQ(f->at("status"), std::vector<std::string>{"running"});
  auto legacy = parse_filters(R"({"label":["a=b"],"name":["web","db"]})");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->at("label"), std::vector<std::string>{"a=b"});
  EXPECT_EQ(legacy->at("name"), (std::vector<std::string>{"web", "db"}));
  auto empty = parse_filters("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(parse_filters("{}")->empty());
}

TEST(ApiFilters, MalformedIsInvalid) {
  for (const char* bad : {"{", "[]", R"({"label":"a=b"})", R"({"label":[1]})", R"({"label":{"a":"yes"}})", "null"}) {
    auto f = parse_filters(bad);
    ASSERT_FALSE(f) << bad;
    EXPECT_EQ(f.error().errno_value, EINVAL) << bad;
  }
}

TEST(ApiFilters, ValidateAndExact) {
  auto f = *parse_filters(R"({"label":["a"],"bogus":["x"]})");
  auto v = validate_filters(f, {"label", "name"});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "invalid filter 'bogus'");
  EXPECT_TRUE(validate_filters(*parse_filters(R"({"name":["x"]})"), {"label", "name"}));
  auto g = *parse_filters(R"({"status":["running","paused"]})");
  EXPECT_TRUE(filter_exact(g, "status", "paused"));
  EXPECT_FALSE(filter_exact(g, "status", "exited"));
  EXPECT_TRUE(filter_exact(g, "name", "anything"));
}

}  // namespace
}  // namespace stack::api
