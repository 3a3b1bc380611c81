#include "compose/encode.h"
#include "compose/yaml_emit.h"

#include <gtest/gtest.h>

#include "compose/decode.h"
#include "compose/normalize.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

const auto kFile = std::make_shared<const std::string>("compose.yml");

// Compact rendering that shows what the emitters see: "quoted" strings versus
// plain scalars (numbers, booleans), null, and key order.
std::string dump(const Node& n) {
  switch (n.kind()) {
    case Node::Kind::Null: return "null";
    case Node::Kind::Scalar: return n.quoted() ? "\"" + n.value() + "\"" : n.value();
    case Node::Kind::Sequence: {
      std::string out = "[";
      for (size_t i = 0; i < n.items().size(); ++i) out += (i ? ", " : "") + dump(n.items()[i]);
      return out + "]";
    }
    case Node::Kind::Mapping: {
      std::string out = "{";
      for (size_t i = 0; i < n.entries().size(); ++i)
        out += (i ? ", " : "") + n.entries()[i].key + ": " + dump(n.entries()[i].value);
      return out + "}";
    }
  }
  return "?";
}

Project decode_ok(std::string_view yaml) {
  auto node = parse_yaml(yaml, kFile);
  EXPECT_TRUE(node) << node.error().to_string();
  auto project = decode_project(*node, "demo");
  EXPECT_TRUE(project) << project.error().to_string();
  return project ? std::move(*project) : Project{};
}

std::string encode_service_of(std::string_view yaml, OutputFormat format = OutputFormat::Yaml) {
  Project p = decode_ok(yaml);
  return dump(encode_service(p.services.begin()->second, format));
}

TEST(Encode, FieldsInComposeGoOrderWithOmitEmpty) {
  EXPECT_EQ(encode_service_of(R"(
services:
  web:
    x-z: 1
    restart: always
    image: nginx
    privileged: false
    read_only: true
    command: [a, b]
    environment: {B: "2", A: null}
    cpus: 1.5
    stop_grace_period: 90s
    shm_size: 64m
    profiles: [debug]
    x-a: "s"
)"),
            "{profiles: [\"debug\"], cpus: 1.5, command: [\"a\", \"b\"], environment: {A: null, B: \"2\"}, "
            "image: \"nginx\", read_only: true, restart: \"always\", shm_size: \"67108864\", "
            "stop_grace_period: \"1m30s\", x-a: \"s\", x-z: 1}");
}

TEST(Encode, PortsDependsOnNetworksVolumes) {
  EXPECT_EQ(encode_service_of(R"(
services:
  web:
    ports: [{mode: ingress, target: 80, published: "8080", protocol: tcp}]
    depends_on: {db: {condition: service_started, required: true}}
    networks: {default: null, back: {aliases: [x]}}
    volumes:
      - {type: bind, source: /src, target: /dst, bind: {create_host_path: true}}
      - {type: bind, source: /a, target: /b, bind: {create_host_path: false}}
    entrypoint: []
)"),
            "{depends_on: {db: {condition: \"service_started\", required: true}}, entrypoint: [], "
            "networks: {back: {aliases: [\"x\"]}, default: null}, "
            "ports: [{mode: \"ingress\", target: 80, published: \"8080\", protocol: \"tcp\"}], "
            "volumes: [{type: \"bind\", source: \"/src\", target: \"/dst\", bind: {}}, "
            "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {create_host_path: false}}]}");
}

TEST(Encode, SpecialShapes) {
  EXPECT_EQ(encode_service_of(R"(
services:
  web:
    ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}
    extra_hosts: {b: ["2.2.2.2"], a: ["1.1.1.1", "::1"]}
    secrets: [{source: s, target: /run/secrets/s, mode: 0440}]
    env_file: [{path: a.env, required: true}, {path: b.env, required: false}]
    healthcheck: {test: [CMD, "true"], interval: 500ms, retries: 0}
    deploy: {resources: {limits: {cpus: "0.25"}}, replicas: 0}
)"),
            "{deploy: {replicas: 0, resources: {limits: {cpus: 0.25}}}, "
            "env_file: [{path: \"a.env\"}, {path: \"b.env\", required: false}], "
            "extra_hosts: [\"a=1.1.1.1\", \"a=::1\", \"b=2.2.2.2\"], "
            "healthcheck: {test: [\"CMD\", \"true\"], interval: \"500ms\", retries: 0}, "
            "secrets: [{source: \"s\", target: \"/run/secrets/s\", mode: \"0440\"}], "
            "ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}}");
}

TEST(Encode, JsonDiffersWhereComposeGoDoes) {
  const char* yaml = R"(
services:
  web:
    image: x
    x-ext: 1
    deploy: {replicas: 1}
)";
  EXPECT_EQ(encode_service_of(yaml, OutputFormat::Json),
            "{command: null, deploy: {replicas: 1, resources: {}, placement: {}}, entrypoint: null, image: \"x\"}");
  EXPECT_EQ(encode_service_of(yaml), "{deploy: {replicas: 1}, image: \"x\", x-ext: 1}");
}

TEST(Encode, ProjectShape) {
  Project p = decode_ok(R"(
services:
  web10: {image: a}
  web2: {image: b}
networks:
  front: {}
secrets:
  s: {content: hidden}
configs:
  c: {environment: VAR, content: value}
  d: {content: shown}
x-b: 2
x-a: 1
)");
  ASSERT_TRUE(normalize_project(p));
  EXPECT_EQ(dump(encode_project(p)),
            "{name: \"demo\", services: {"
            "web2: {image: \"b\", networks: {default: null}}, web10: {image: \"a\", networks: {default: null}}}, "
            "networks: {default: {name: \"demo_default\"}, front: {name: \"demo_front\"}}, "
            "secrets: {s: {name: \"demo_s\"}}, "
            "configs: {c: {name: \"demo_c\", environment: \"VAR\"}, d: {name: \"demo_d\", content: \"shown\"}}, "
            "x-a: 1, x-b: 2}");
  std::string json = dump(encode_project(p, OutputFormat::Json));
  EXPECT_TRUE(json.starts_with("{configs: ")) << json;
  EXPECT_NE(json.find("networks: {default: {name: \"demo_default\", ipam: {}}"), std::string::npos) << json;
  EXPECT_NE(json.find("services: {web10: "), std::string::npos) << json;
  EXPECT_TRUE(json.ends_with("x-a: 1, x-b: 2}")) << json;
}

TEST(Encode, RoundTripsThroughDecode) {
  Project p = decode_ok(R"(
services:
  web:
    image: nginx
    build: {context: ., args: {A: "1"}, ssh: [default]}
    ports: [{mode: host, target: 80, published: "8000-8001", protocol: udp, host_ip: 127.0.0.1}]
    volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1k}}]
    ulimits: {nofile: {soft: 1, hard: 2}}
    healthcheck: {test: [NONE], timeout: 1h}
    deploy: {resources: {reservations: {devices: [{count: all, capabilities: [gpu]}]}}}
    depends_on: {db: {condition: service_healthy, restart: true, required: false}}
    x-k: [1, 2]
)");
  Node encoded = encode_project(p);
  auto again = decode_project(encoded, "demo");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->services.at("web"), p.services.at("web"));
  EXPECT_EQ(dump(encode_project(*again)), dump(encoded));
}

TEST(Encode, GoYamlKeyOrder) {
  struct Case {
    const char* a;
    const char* b;
  } less[] = {{"a", "b"}, {"web2", "web10"}, {"a", "aa"}, {"B", "a"}, {"a1", "ab"}, {"a_b", "ab"}, {"x9", "x10"},
              {"1", "2"}, {"2", "10"},    {"a-b", "a_b"}};
  for (const auto& c : less) {
    EXPECT_TRUE(yaml_key_less(c.a, c.b)) << c.a << " < " << c.b;
    EXPECT_FALSE(yaml_key_less(c.b, c.a)) << c.b << " !< " << c.a;
  }
}

}  // namespace
}  // namespace stack::compose
