#include "compose/config_hash.h"

#include <gtest/gtest.h>

#include <functional>

#include "compose/json_emit.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

Node service(std::string_view yaml) {
  auto doc = parse_yaml(yaml, std::make_shared<const std::string>("compose.yml"));
  EXPECT_TRUE(doc) << doc.error().to_string();
  return doc ? *doc : Node::mapping();
}

const char* kBase =
    "image: nginx:1.25\n"
    "command: [nginx, -g, daemon off;]\n"
    "environment:\n  A: \"1\"\n  B: two\n"
    "labels:\n  com.example.team: web\n"
    "networks:\n  front:\n    aliases: [www]\n    priority: 10\n"
    "ports:\n  - mode: ingress\n    target: 80\n    published: \"8080\"\n    protocol: tcp\n"
    "deploy:\n  resources:\n    limits:\n      memory: \"268435456\"\n";

TEST(ConfigHash, IsSha256OfCompactJson) {
  Node s = service("image: nginx\n");
  EXPECT_EQ(service_hash_document(s), "{\"image\":\"nginx\"}");
  // printf '%s' '{"image":"nginx"}' | sha256sum
  EXPECT_EQ(service_config_hash(s), "87132e95dfbdfe0f3b4b5fc5d97e77562f531773bb439b3b9624ef0863f7fcbb");
}

TEST(ConfigHash, DocumentDropsIgnoredFieldsAndSortsKeys) {
  Node s = service(
      "x-meta: 1\n"
      "image: nginx\n"
      "build: {context: .}\n"
      "pull_policy: always\n"
      "scale: 2\n"
      "profiles: [debug]\n"
      "depends_on: {db: {condition: service_started, required: true}}\n"
      "deploy: {replicas: 3, x-note: a}\n"
      "labels: {z: \"1\", x-team: a}\n");
  EXPECT_EQ(service_hash_document(s), "{\"deploy\":{},\"image\":\"nginx\",\"labels\":{\"x-team\":\"a\",\"z\":\"1\"}}");
}

struct Change {
  std::string name;
  std::function<void(Node&)> apply;
};

class ConfigHashIgnores : public testing::TestWithParam<Change> {};

// Changes docker compose does not recreate a container for.
TEST_P(ConfigHashIgnores, Change) {
  Node before = service(kBase);
  Node after = before;
  GetParam().apply(after);
  ASSERT_FALSE(after == before) << "the change must change the document";
  EXPECT_EQ(service_config_hash(after), service_config_hash(before));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigHashIgnores,
    testing::Values(
        Change{"build", [](Node& s) { s.set("build", service("context: ./web\ndockerfile: Dockerfile\n")); }},
        Change{"pull_policy", [](Node& s) { s.set("pull_policy", Node::string("always")); }},
        Change{"scale", [](Node& s) { s.set("scale", Node::scalar("3")); }},
        Change{"deploy_replicas", [](Node& s) { s.find("deploy")->set("replicas", Node::scalar("5")); }},
        Change{"depends_on", [](Node& s) { s.set("depends_on", service("db:\n  condition: service_healthy\n")); }},
        Change{"profiles", [](Node& s) { s.set("profiles", service("[debug]\n")); }},
        Change{"name", [](Node& s) { s.set("name", Node::string("web")); }},
        Change{"service_extension", [](Node& s) { s.set("x-owner", Node::string("me")); }},
        Change{"nested_extension", [](Node& s) { s.find("ports")->items()[0].set("x-note", Node::string("n")); }},
        Change{"network_extension", [](Node& s) { s.find("networks")->find("front")->set("x-a", Node::scalar("1")); }},
        Change{"key_order", [](Node& s) {
                 auto& env = s.find("environment")->entries();
                 std::swap(env[0], env[1]);
                 std::swap(s.entries()[0], s.entries()[1]);
               }}),
    [](const testing::TestParamInfo<Change>& info) { return info.param.name; });

class ConfigHashDetects : public testing::TestWithParam<Change> {};

// Changes docker compose recreates a container for.
TEST_P(ConfigHashDetects, Change) {
  Node before = service(kBase);
  Node after = before;
  GetParam().apply(after);
  EXPECT_NE(service_config_hash(after), service_config_hash(before));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigHashDetects,
    testing::Values(
        Change{"image", [](Node& s) { s.set("image", Node::string("nginx:1.26")); }},
        Change{"command", [](Node& s) { s.find("command")->items()[2] = Node::string("daemon on;"); }},
        Change{"command_cleared", [](Node& s) { s.set("command", Node::sequence()); }},
        Change{"environment_value", [](Node& s) { s.find("environment")->set("A", Node::string("2")); }},
        Change{"environment_unset", [](Node& s) { s.find("environment")->set("A", Node::null()); }},
        Change{"label_named_like_extension", [](Node& s) { s.find("labels")->set("x-team", Node::string("a")); }},
        Change{"env_named_like_extension", [](Node& s) { s.find("environment")->set("x-y", Node::string("a")); }},
        Change{"network_priority", [](Node& s) { s.find("networks")->find("front")->set("priority", Node::scalar("5")); }},
        Change{"network_named_like_extension", [](Node& s) { s.find("networks")->set("x-net", Node::null()); }},
        Change{"published_port", [](Node& s) { s.find("ports")->items()[0].set("published", Node::string("9090")); }},
        Change{"port_order", [](Node& s) {
                 s.find("ports")->push_back(service("mode: ingress\ntarget: 443\nprotocol: tcp\n"));
               }},
        Change{"deploy_resources", [](Node& s) {
                 s.find("deploy")->find("resources")->find("limits")->set("memory", Node::string("1"));
               }},
        Change{"deploy_removed", [](Node& s) { s.erase("deploy"); }},
        Change{"restart", [](Node& s) { s.set("restart", Node::string("always")); }}),
    [](const testing::TestParamInfo<Change>& info) { return info.param.name; });

TEST(ConfigHash, DeployWithOnlyReplicasStillDiffersFromNoDeploy) {
  // ServiceHash resets Replicas but keeps the (now empty) deploy section.
  Node with = service("image: nginx\ndeploy: {replicas: 2}\n");
  Node without = service("image: nginx\n");
  EXPECT_EQ(service_hash_document(with), "{\"deploy\":{},\"image\":\"nginx\"}");
  EXPECT_NE(service_config_hash(with), service_config_hash(without));
}

TEST(ConfigHash, WithoutExtensionsKeepsUserMapEntries) {
  Node s = service(
      "x-a: 1\n"
      "labels: {x-l: v}\n"
      "annotations: {x-an: v}\n"
      "sysctls: {x-s: v}\n"
      "logging: {driver: json-file, x-d: 1, options: {x-o: v}}\n"
      "ulimits: {x-u: {soft: 1, hard: 2, x-n: 3}}\n"
      "volumes: [{type: volume, source: d, target: /d, x-v: 1, volume: {labels: {x-vl: v}}}]\n");
  EXPECT_EQ(emit_json_compact(without_extensions(s)),
            "{\"labels\":{\"x-l\":\"v\"},\"annotations\":{\"x-an\":\"v\"},\"sysctls\":{\"x-s\":\"v\"},"
            "\"logging\":{\"driver\":\"json-file\",\"options\":{\"x-o\":\"v\"}},"
            "\"ulimits\":{\"x-u\":{\"soft\":1,\"hard\":2}},"
            "\"volumes\":[{\"type\":\"volume\",\"source\":\"d\",\"target\":\"/d\",\"volume\":{\"labels\":{\"x-vl\":\"v\"}}}]}");
}

}  // namespace
}  // namespace stack::compose
