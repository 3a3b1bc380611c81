#include "compose/yaml_load.h"

#include <gtest/gtest.h>

namespace stack::compose {
namespace {

auto file = std::make_shared<const std::string>("compose.yml");

TEST(YamlLoad, KeepsPositionsAndQuoting) {
  auto n = parse_yaml("services:\n  web:\n    image: \"1\"\n    replicas: 2\n", file);
  ASSERT_TRUE(n) << n.error().to_string();
  const Node* image = n->find("services")->find("web")->find("image");
  ASSERT_TRUE(image);
  EXPECT_TRUE(image->quoted());
  EXPECT_EQ(image->mark().str(), "compose.yml:3:12");
  const Node* replicas = n->find("services")->find("web")->find("replicas");
  EXPECT_FALSE(replicas->quoted());
  EXPECT_TRUE(replicas->looks_like_int());
}

TEST(YamlLoad, ExpandsAnchorsAndMergeKeys) {
  auto n = parse_yaml(
      "x-base: &base\n  image: busybox\n  restart: always\n"
      "services:\n  a:\n    <<: *base\n    restart: 'no'\n  b: *base\n",
      file);
  ASSERT_TRUE(n) << n.error().to_string();
  const Node* a = n->find("services")->find("a");
  EXPECT_EQ(a->find("image")->value(), "busybox");
  EXPECT_EQ(a->find("restart")->value(), "no");
  EXPECT_EQ(n->find("services")->find("b")->find("restart")->value(), "always");
}

TEST(YamlLoad, RejectsDuplicateKeys) {
  auto n = parse_yaml("services:\n  a: {}\n  a: {}\n", file);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().to_string(), "compose.yml:3:3: mapping key \"a\" already defined at line 2");
}

TEST(YamlLoad, KeepsTags) {
  auto n = parse_yaml("ports: !reset []\ncommand: !override [a]\n", file);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->find("ports")->tag(), "!reset");
  EXPECT_EQ(n->find("command")->tag(), "!override");
}

TEST(YamlLoad, SyntaxErrorHasPosition) {
  auto n = parse_yaml("services:\n  web: [\n", file);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().to_string().find("compose.yml:"), std::string::npos);
  EXPECT_NE(n.error().to_string().find("yaml:"), std::string::npos);
}

TEST(YamlLoad, NullsAndEmpty) {
  auto n = parse_yaml("a: ~\nb:\nc: 'null'\n", file);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->find("a")->is_null());
  EXPECT_TRUE(n->find("b")->is_null());
  EXPECT_TRUE(n->find("c")->is_scalar());
  auto empty = parse_yaml("", file);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->is_null());
}

}  // namespace
}  // namespace stack::compose
