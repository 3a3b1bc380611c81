#include "engine/api/request.h"

#include <gtest/gtest.h>

#include "engine/api/version.h"

namespace stack::api {
namespace {

Request parsed(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  parse_target(r);
  return r;
}

TEST(ApiRequest, VersionPrefixIsStrippedAndRecorded) {
  auto r = parsed("/v1.41/containers/json?all=1");
  EXPECT_EQ(r.path, "/containers/json");
  EXPECT_EQ(r.api_version, "1.41");
  auto u = parsed("/containers/json");
  EXPECT_EQ(u.path, "/containers/json");
  EXPECT_EQ(u.api_version, kDefaultApiVersion);
  // Not a version: "/volumes" starts with /v.
  auto v = parsed("/volumes/x");
  EXPECT_EQ(v.path, "/volumes/x");
  EXPECT_EQ(v.api_version, kDefaultApiVersion);
  EXPECT_EQ(parsed("/v1.43").path, "/");
}

TEST(ApiRequest, PathAndQueryAreDecoded) {
  auto r = parsed("/images/conformance%2Fbusybox%3A1/json?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&x=a+b&x=c&flag");
  EXPECT_EQ(r.path, "/images/conformance/busybox:1/json");
  EXPECT_EQ(r.query_value("filters"), R"({"label":["a=b"]})");
  EXPECT_EQ(r.query_values("x"), (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(r.query_value("flag"), "");
  EXPECT_FALSE(r.query_value("missing"));
  // A stray % stays as it is.
  EXPECT_EQ(url_decode("100%", false), "100%");
  EXPECT_EQ(url_decode("%zz+", false), "%zz+");
  EXPECT_EQ(url_encode("a b/c=d"), "a%20b%2Fc%3Dd");
}

TEST(ApiRequest, BoolsFollowDockersBoolValue) {
  auto r = parsed("/x?a=1&b=true&c=True&d=yes&e=0&f=false&g=False&h=no&i=none&j=&k=%20FALSE%20&l=anything");
  for (const char* k : {"a", "b", "c", "d", "l"}) EXPECT_TRUE(r.query_bool(k)) << k;
  for (const char* k : {"e", "f", "g", "h", "i", "j", "k"}) EXPECT_FALSE(r.query_bool(k, true)) << k;
  EXPECT_TRUE(r.query_bool("absent", true));
  EXPECT_FALSE(r.query_bool("absent"));
}

TEST(ApiRequest, IntsFollowDockersInt64Value) {
  auto r = parsed("/x?t=10&neg=-3&empty=&bad=1x&huge=99999999999999999999");
  EXPECT_EQ(*r.query_int("t", 5), 10);
  EXPECT_EQ(*r.query_int("neg", 5), -3);
  EXPECT_EQ(*r.query_int("empty", 5), 5);
  EXPECT_EQ(*r.query_int("absent", 7), 7);
  auto bad = r.query_int("bad", 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errno_value, EINVAL);
  EXPECT_EQ(bad.error().message, R"(strconv.ParseInt: parsing "1x": invalid syntax)");
  EXPECT_FALSE(r.query_int("huge", 0));
}

TEST(ApiRequest, HeadersAreCaseInsensitive) {
  Request r;
  r.headers = {{"Content-Type", "application/json"}, {"X-Registry-Auth", "e30="}};
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("X-REGISTRY-AUTH"), "e30=");
  EXPECT_EQ(r.header("Upgrade"), "");
}

TEST(ApiVersion, ComparesNumerically) {
  EXPECT_LT(compare_versions("1.9", "1.10"), 0);
  EXPECT_GT(compare_versions("1.43", "1.24"), 0);
  EXPECT_EQ(compare_versions("1.40", "1.40.0"), 0);
  EXPECT_GT(compare_versions("2", "1.99"), 0);
}

}  // namespace
}  // namespace stack::api
