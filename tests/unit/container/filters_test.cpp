// GET /containers/json filters.
#include <gtest/gtest.h>

#include <cerrno>

#include "engine/container/filters.h"
#include "engine/container/time_util.h"

namespace stack::container {
namespace {

Record make(const std::string& id, const std::string& name) {
  Record r;
  r.id = id;
  r.name = name;
  r.config.image = "busybox:latest";
  r.image_id = "sha256:1234567890abcdef";
  r.config.labels = {{"app", "web"}, {"tier", "front"}};
  r.created = "2024-01-01T00:00:00Z";
  return r;
}

bool m(const Record& r, const Filters& f) {
  auto res = matches_filters(r, f);
  EXPECT_TRUE(res) << res.error().message;
  return res && *res;
}

TEST(ContainerFilters, ParsesBothJsonForms) {
  auto a = parse_filters(R"({"status":["running","exited"],"label":["a=b"]})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->at("status"), (std::vector<std::string>{"running", "exited"}));
  auto b = parse_filters(R"({"status":{"running":true,"exited":false}})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->at("status"), std::vector<std::string>{"running"});
  EXPECT_TRUE(parse_filters("")->empty());
  auto bad = parse_filters("{not json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errno_value, EINVAL);
  EXPECT_EQ(bad.error().message, "invalid filter");
}

TEST(ContainerFilters, Errors) {
  Record r = make(std::string(64, 'a'), "/web");
  auto unknown = matches_filters(r, {{"colour", {"red"}}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().errno_value, EINVAL);
  EXPECT_EQ(unknown.error().message, "invalid filter 'colour'");
  EXPECT_EQ(matches_filters(r, {{"status", {"sleeping"}}}).error().message, "invalid filter 'status=sleeping'");
  EXPECT_EQ(matches_filters(r, {{"health", {"meh"}}}).error().message, "Unrecognised filter value for health: meh");
  EXPECT_EQ(matches_filters(r, {{"exited", {"x"}}}).error().message,
            "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax");
}

TEST(ContainerFilters, IdNameLabel) {
  Record r = make("abcdef" + std::string(58, '0'), "/web-1");
  EXPECT_TRUE(m(r, {}));
  EXPECT_TRUE(m(r, {{"id", {"abcdef"}}}));
  EXPECT_TRUE(m(r, {{"id", {"^abc"}}}));
  EXPECT_FALSE(m(r, {{"id", {"^bcd"}}}));
  EXPECT_TRUE(m(r, {{"name", {"web"}}}));
  EXPECT_TRUE(m(r, {{"name", {"^web-1$"}}}));
  EXPECT_TRUE(m(r, {{"name", {"/web-1"}}}));
  EXPECT_FALSE(m(r, {{"name", {"db"}}}));
  EXPECT_TRUE(m(r, {{"name", {"db", "web"}}}));  // any value of one filter
  EXPECT_TRUE(m(r, {{"label", {"app"}}}));
  EXPECT_TRUE(m(r, {{"label", {"app=web", "tier=front"}}}));  // all labels must hold
  EXPECT_FALSE(m(r, {{"label", {"app=web", "tier=back"}}}));
  EXPECT_FALSE(m(r, {{"label", {"missing"}}}));
  EXPECT_FALSE(m(r, {{"label", {"app=we"}}}));
  EXPECT_FALSE(m(r, {{"name", {"web"}}, {"label", {"missing"}}}));  // every filter must hold
}

TEST(ContainerFilters, StatusExitedHealthAncestor) {
  Record r = make(std::string(64, 'a'), "/web");
  EXPECT_TRUE(m(r, {{"status", {"created"}}}));
  EXPECT_FALSE(m(r, {{"exited", {"0"}}}));  // never started
  set_running(r.state, 10, "2024-01-01T00:00:01Z");
  EXPECT_TRUE(m(r, {{"status", {"running"}}}));
  EXPECT_FALSE(m(r, {{"status", {"exited"}}}));
  EXPECT_TRUE(m(r, {{"health", {"none"}}}));
  r.state.health = HealthState{"healthy", 0, {}};
  EXPECT_TRUE(m(r, {{"health", {"healthy"}}}));
  EXPECT_FALSE(m(r, {{"health", {"starting"}}}));
  set_stopped(r.state, 3, "2024-01-01T00:00:02Z");
  EXPECT_TRUE(m(r, {{"status", {"exited"}}}));
  EXPECT_TRUE(m(r, {{"exited", {"3"}}}));
  EXPECT_TRUE(m(r, {{"exited", {"0", "3"}}}));
  EXPECT_FALSE(m(r, {{"exited", {"0"}}}));
  EXPECT_TRUE(m(r, {{"ancestor", {"busybox"}}}));
  EXPECT_TRUE(m(r, {{"ancestor", {"busybox:latest"}}}));
  EXPECT_TRUE(m(r, {{"ancestor", {"1234567890ab"}}}));
  EXPECT_TRUE(m(r, {{"ancestor", {"sha256:1234567890abcdef"}}}));
  EXPECT_FALSE(m(r, {{"ancestor", {"alpine"}}}));
  EXPECT_TRUE(m(r, {{"network", {"bridge"}}}));
  EXPECT_FALSE(m(r, {{"publish", {"80"}}}));
}

TEST(ContainerFilters, CreatedBefore) {
  Record a = make(std::string(64, 'a'), "/a"), b = make(std::string(64, 'b'), "/b");
  a.created = "2024-01-01T00:00:00.5Z";
  b.created = "2024-01-01T00:00:00.25Z";
  EXPECT_TRUE(created_before(b, a));
  EXPECT_FALSE(created_before(a, b));
}

}  // namespace
}  // namespace stack::container
