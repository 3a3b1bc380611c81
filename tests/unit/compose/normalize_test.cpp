#include "compose/normalize.h"
#include "compose/paths.h"

#include <gtest/gtest.h>

#include "compose/decode.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

const auto kFile = std::make_shared<const std::string>("compose.yml");

Project normalized(std::string_view yaml, std::map<std::string, std::string> environment = {}) {
  auto node = parse_yaml(yaml, kFile);
  EXPECT_TRUE(node) << node.error().to_string();
  auto project = decode_project(*node, "demo");
  EXPECT_TRUE(project) << project.error().to_string();
  if (!project) return {};
  project->environment = std::move(environment);
  auto status = normalize_project(*project);
  EXPECT_TRUE(status) << status.error().to_string();
  return std::move(*project);
}

TEST(Normalize, DefaultNetworkOnlyWhenUsed) {
  Project p = normalized(R"(
services:
  a: {image: x}
  b: {image: x, network_mode: host}
  c: {image: x, networks: {front: null}}
networks:
  front: {}
)");
  EXPECT_TRUE(p.services.at("a").networks.contains("default"));
  EXPECT_FALSE(p.services.at("a").networks.at("default"));
  EXPECT_TRUE(p.services.at("b").networks.empty());
  EXPECT_FALSE(p.services.at("c").networks.contains("default"));
  ASSERT_TRUE(p.networks.contains("default"));
  EXPECT_EQ(p.networks.at("default").name, "demo_default");

  Project q = normalized("services:\n  c: {image: x, networks: {front: null}}\nnetworks:\n  front: {}\n");
  EXPECT_FALSE(q.networks.contains("default"));
}

TEST(Normalize, ResourceNames) {
  Project p = normalized(R"(
services: {}
networks:
  ext: {external: true}
  named: {name: custom}
  plain: {}
volumes:
  data: {}
  old: {external: true}
secrets:
  s: {file: ./s}
configs:
  c: {file: ./c}
)");
  EXPECT_EQ(p.networks.at("ext").name, "ext");
  EXPECT_EQ(p.networks.at("named").name, "custom");
  EXPECT_EQ(p.networks.at("plain").name, "demo_plain");
  EXPECT_EQ(p.volumes.at("data").name, "demo_data");
  EXPECT_EQ(p.volumes.at("old").name, "old");
  EXPECT_EQ(p.secrets.at("s").name, "demo_s");
  EXPECT_EQ(p.configs.at("c").name, "demo_c");
}

TEST(Normalize, BuildAndEnvironment) {
  Project p = normalized(R"(
services:
  a:
    build: {args: {SET: "1", FROM_ENV: null, MISSING: null}}
    environment: {HOME_DIR: null, UNSET: null, X: "y"}
    pull_policy: if_not_present
  b:
    build: {context: ./b, dockerfile_inline: "FROM scratch"}
)",
                         {{"FROM_ENV", "e"}, {"HOME_DIR", "/home"}});
  const ServiceConfig& a = p.services.at("a");
  EXPECT_EQ(a.build->context, ".");
  EXPECT_EQ(a.build->dockerfile, "Dockerfile");
  EXPECT_EQ(a.build->args.at("FROM_ENV"), "e");
  EXPECT_FALSE(a.build->args.contains("MISSING"));
  EXPECT_EQ(a.environment.at("HOME_DIR"), "/home");
  ASSERT_TRUE(a.environment.contains("UNSET"));
  EXPECT_FALSE(a.environment.at("UNSET"));
  EXPECT_EQ(a.pull_policy, "missing");
  EXPECT_EQ(p.services.at("b").build->dockerfile, "");
}

TEST(Normalize, ImplicitDependencies) {
  Project p = normalized(R"(
services:
  app:
    image: x
    links: [db, "cache:c"]
    network_mode: "service:vpn"
    pid: "service:init"
    volumes_from: ["data:ro", "container:other"]
    depends_on: {db: {condition: service_healthy, required: true}}
)");
  const auto& deps = p.services.at("app").depends_on;
  EXPECT_EQ(deps.size(), 5u);
  EXPECT_EQ(deps.at("db").condition, "service_healthy");  // explicit entry wins
  EXPECT_TRUE(deps.at("cache").restart);
  EXPECT_TRUE(deps.at("vpn").restart);
  EXPECT_TRUE(deps.at("init").restart);
  EXPECT_FALSE(deps.at("data").restart);
  EXPECT_EQ(deps.at("data").condition, "service_started");
  EXPECT_TRUE(deps.at("data").required);
  EXPECT_FALSE(deps.contains("other"));
}

TEST(Normalize, ServiceDefaults) {
  Project p = normalized(R"(
services:
  app:
    image: img
    ports: [{target: 80}]
    secrets: [{source: token}]
    volumes: [{type: volume, source: v, target: /data/}]
    gpus: [{driver: nvidia}]
    scale: 2
    deploy: {mode: replicated}
    pre_start: [{command: [init]}]
)");
  const ServiceConfig& app = p.services.at("app");
  EXPECT_EQ(app.ports[0].protocol, "tcp");
  EXPECT_EQ(app.ports[0].mode, "ingress");
  EXPECT_EQ(app.secrets[0].target, "/run/secrets/token");
  EXPECT_EQ(app.volumes[0].target, "/data");
  EXPECT_EQ(app.gpus[0].count, -1);
  EXPECT_EQ(app.deploy->replicas, 2);
  EXPECT_EQ(app.pre_start[0].image, "img");
}

TEST(Normalize, CleanPathLikeGo) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {{"", "."},       {"/", "/"},         {"/data/", "/data"}, {"a/../b", "b"}, {"/../x", "/x"},
               {"../a", "../a"}, {"a//b/./c", "a/b/c"}, {"a/..", "."},      {"/a/b/../..", "/"}};
  for (const auto& c : cases) EXPECT_EQ(clean_path(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace stack::compose
