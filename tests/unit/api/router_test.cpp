#include "engine/api/router.h"

#include <gtest/gtest.h>

namespace stack::api {
namespace {

Handler tagged(std::string* hit, std::string name) {
  return [hit, name](Request&, Responder&) -> net::awaitable<void> {
    *hit = name;
    co_return;
  };
}

TEST(ApiRouter, LiteralsParamsAndMethods) {
  Router r;
  r.add("GET", "/containers/json", {});
  r.add("GET", "/containers/{id}/json", {});
  r.add("POST", "/containers/{id}/start", {});
  r.add("HEAD", "/_ping", {});
  r.add("GET", "/_ping", {});

  EXPECT_TRUE(r.match("GET", "/containers/json").handler);
  auto m = r.match("GET", "/containers/abc/json");
  ASSERT_TRUE(m.handler);
  EXPECT_EQ(m.params.at("id"), "abc");
  EXPECT_FALSE(r.match("GET", "/containers/abc/start").handler);  // wrong method: no route
  EXPECT_TRUE(r.match("POST", "/containers/abc/start").handler);
  EXPECT_TRUE(r.match("HEAD", "/_ping").handler);
  EXPECT_FALSE(r.match("GET", "/containers/a/b/json").handler);  // {id} is one segment
  EXPECT_FALSE(r.match("GET", "/containers//json").handler);     // and never empty
  EXPECT_FALSE(r.match("GET", "/containers/json/").handler);
  EXPECT_FALSE(r.match("GET", "/nope").handler);
}

TEST(ApiRouter, GreedyParamsTakeSlashes) {
  Router r;
  r.add("GET", "/images/json", {});
  r.add("GET", "/images/get", {});
  r.add("GET", "/images/{name:.*}/json", {});
  r.add("GET", "/images/{name:.*}/get", {});
  r.add("DELETE", "/images/{name:.*}", {});

  auto m = r.match("GET", "/images/conformance/busybox:1/json");
  ASSERT_TRUE(m.handler);
  EXPECT_EQ(m.params.at("name"), "conformance/busybox:1");
  EXPECT_EQ(r.match("GET", "/images/localhost:5000/a/b/c/get").params.at("name"), "localhost:5000/a/b/c");
  EXPECT_EQ(r.match("DELETE", "/images/a/b").params.at("name"), "a/b");
  // The literal routes are still found, and a name ending in /json keeps it.
  EXPECT_TRUE(r.match("GET", "/images/json").handler);
  EXPECT_TRUE(r.match("GET", "/images/json").params.empty());
  EXPECT_EQ(r.match("GET", "/images/x/json/json").params.at("name"), "x/json");
  EXPECT_FALSE(r.match("GET", "/images//json").handler);
}

TEST(ApiRouter, FirstRegisteredWins) {
  Router r;
  std::string hit;
  r.add("GET", "/containers/json", tagged(&hit, "list"));
  r.add("GET", "/containers/{id}", tagged(&hit, "param"));
  auto m = r.match("GET", "/containers/json");
  ASSERT_TRUE(m.handler);
  EXPECT_TRUE(m.params.empty());
  auto p = r.match("GET", "/containers/web");
  ASSERT_TRUE(p.handler);
  EXPECT_EQ(p.params.at("id"), "web");
}

}  // namespace
}  // namespace stack::api
