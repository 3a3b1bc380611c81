#include "compose/decode.h"

#include <gtest/gtest.h>

#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

const auto kFile = std::make_shared<const std::string>("compose.yml");

Result<Project> decode(std::string_view yaml) {
  auto node = parse_yaml(yaml, kFile);
  if (!node) return std::unexpected(node.error());
  return decode_project(*node, "demo");
}

Project decode_ok(std::string_view yaml) {
  auto project = decode(yaml);
  EXPECT_TRUE(project) << project.error().to_string();
  return project ? std::move(*project) : Project{};
}

TEST(Decode, ScalarsOfEveryType) {
  Project p = decode_ok(R"(
services:
  web:
    image: nginx:1.25
    read_only: true
    privileged: "yes"
    tty: off
    init: false
    cpus: 0.5
    cpu_shares: "512"
    scale: 3
    mem_limit: 512m
    shm_size: 1073741824
    memswap_limit: -1
    stop_grace_period: 1m30s
    oom_score_adj: -500
    pids_limit: 100
    user: "1000"
    x-custom: {a: 1}
)");
  const ServiceConfig& web = p.services.at("web");
  EXPECT_EQ(p.name, "demo");
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.image, "nginx:1.25");
  EXPECT_TRUE(web.read_only);
  EXPECT_TRUE(web.privileged);
  EXPECT_FALSE(web.tty);
  ASSERT_TRUE(web.init);
  EXPECT_FALSE(*web.init);
  EXPECT_FLOAT_EQ(web.cpus, 0.5f);
  EXPECT_EQ(web.cpu_shares, 512);
  EXPECT_EQ(web.scale, 3);
  EXPECT_EQ(web.mem_limit.bytes, 512LL << 20);
  EXPECT_EQ(web.shm_size.bytes, 1LL << 30);
  EXPECT_EQ(web.memswap_limit.bytes, -1);
  ASSERT_TRUE(web.stop_grace_period);
  EXPECT_EQ(web.stop_grace_period->nanoseconds, 90'000'000'000LL);
  EXPECT_EQ(web.oom_score_adj, -500);
  EXPECT_EQ(web.pids_limit, 100);
  EXPECT_EQ(web.user, "1000");
  ASSERT_EQ(web.extensions.entries.size(), 1u);
  EXPECT_EQ(web.extensions.entries[0].key, "x-custom");
  EXPECT_FALSE(web.attach);
  EXPECT_FALSE(web.command);
}

TEST(Decode, CanonicalCollections) {
  Project p = decode_ok(R"(
services:
  web:
    command: [npm, start]
    entrypoint: []
    environment: {A: "1", B: null}
    labels: {com.example: "x", n: 5}
    env_file: [{path: .env, required: false, format: raw}]
    extra_hosts: {db: ["10.0.0.1", "::1"]}
    ports:
      - {mode: ingress, target: 80, published: "8080", protocol: tcp}
      - {mode: host, host_ip: 127.0.0.1, target: 53, protocol: udp}
    expose: ["3000"]
    depends_on:
      db: {condition: service_healthy, required: true, restart: true}
    networks:
      front: null
      back: {aliases: [api], ipv4_address: 10.1.0.5, priority: 10}
    volumes:
      - {type: bind, source: ./data, target: /data, read_only: true, bind: {create_host_path: true, propagation: rshared}}
      - {type: volume, source: cache, target: /cache, volume: {nocopy: true}}
      - {type: tmpfs, target: /tmp, tmpfs: {size: 64m, mode: 1777}}
    secrets: [{source: token, target: /run/secrets/t, mode: 0440}]
    configs: [{source: conf, mode: "0644"}]
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}
    devices: [{source: /dev/fuse, target: /dev/fuse, permissions: rwm}]
    healthcheck: {test: [CMD, curl, -f, localhost], interval: 10s, retries: 3, start_period: 1s}
    logging: {driver: json-file, options: {max-size: 10m}}
    tmpfs: [/run]
    dns: [8.8.8.8]
    build:
      context: .
      args: {VERSION: "1", EMPTY: null}
      ssh: [default, "key=/id_rsa"]
      ulimits: {nofile: 10}
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 1g, pids: 10}
        reservations:
          devices: [{capabilities: [gpu], count: all, driver: nvidia}]
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3}
      update_config: {parallelism: 2, delay: 10s, order: start-first}
      placement: {constraints: ["node.role==manager"], max_replicas_per_node: 1}
    gpus: all
)");
  const ServiceConfig& web = p.services.at("web");
  EXPECT_EQ(web.command, (std::vector<std::string>{"npm", "start"}));
  ASSERT_TRUE(web.entrypoint);
  EXPECT_TRUE(web.entrypoint->empty());
  EXPECT_EQ(web.environment.at("A"), "1");
  EXPECT_FALSE(web.environment.at("B"));
  EXPECT_EQ(web.labels.at("n"), "5");
  ASSERT_EQ(web.env_file.size(), 1u);
  EXPECT_FALSE(web.env_file[0].required);
  EXPECT_EQ(web.env_file[0].format, "raw");
  EXPECT_EQ(web.extra_hosts.at("db"), (std::vector<std::string>{"10.0.0.1", "::1"}));
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[0].target, 80u);
  EXPECT_EQ(web.ports[0].published, "8080");
  EXPECT_EQ(web.ports[1].host_ip, "127.0.0.1");
  EXPECT_EQ(web.depends_on.at("db").condition, "service_healthy");
  EXPECT_TRUE(web.depends_on.at("db").restart);
  EXPECT_FALSE(web.networks.at("front"));
  ASSERT_TRUE(web.networks.at("back"));
  EXPECT_EQ(web.networks.at("back")->aliases, (std::vector<std::string>{"api"}));
  EXPECT_EQ(web.networks.at("back")->priority, 10);
  ASSERT_EQ(web.volumes.size(), 3u);
  ASSERT_TRUE(web.volumes[0].bind);
  EXPECT_EQ(web.volumes[0].bind->propagation, "rshared");
  EXPECT_TRUE(web.volumes[0].read_only);
  EXPECT_TRUE(web.volumes[1].volume->nocopy);
  EXPECT_EQ(web.volumes[2].tmpfs->size.bytes, 64LL << 20);
  EXPECT_EQ(web.volumes[2].tmpfs->mode, 1777u);
  EXPECT_EQ(web.secrets[0].mode, 0440);
  EXPECT_EQ(web.configs[0].mode, 0644);
  EXPECT_EQ(web.configs[0].source, "conf");
  EXPECT_EQ(web.ulimits.at("nofile").soft, 1024);
  EXPECT_EQ(web.ulimits.at("nofile").hard, 2048);
  EXPECT_EQ(web.ulimits.at("nproc").single, 65535);
  EXPECT_EQ(web.devices[0].permissions, "rwm");
  ASSERT_TRUE(web.healthcheck);
  EXPECT_EQ(web.healthcheck->test.size(), 4u);
  EXPECT_EQ(web.healthcheck->interval->nanoseconds, 10'000'000'000LL);
  EXPECT_EQ(web.healthcheck->retries, 3u);
  EXPECT_EQ(web.logging->options.at("max-size"), "10m");
  EXPECT_EQ(web.tmpfs, (std::vector<std::string>{"/run"}));
  ASSERT_TRUE(web.build);
  EXPECT_EQ(web.build->args.at("VERSION"), "1");
  EXPECT_FALSE(web.build->args.at("EMPTY"));
  ASSERT_EQ(web.build->ssh.size(), 2u);
  EXPECT_EQ(web.build->ssh[0].id, "default");
  EXPECT_EQ(web.build->ssh[1].path, "/id_rsa");
  EXPECT_EQ(web.build->ulimits.at("nofile").single, 10);
  ASSERT_TRUE(web.deploy);
  EXPECT_EQ(web.deploy->replicas, 2);
  EXPECT_FLOAT_EQ(web.deploy->resources.limits->cpus, 0.5f);
  EXPECT_EQ(web.deploy->resources.limits->memory.bytes, 1LL << 30);
  EXPECT_EQ(web.deploy->resources.reservations->devices[0].count, -1);
  EXPECT_EQ(web.deploy->restart_policy->delay->nanoseconds, 5'000'000'000LL);
  EXPECT_EQ(web.deploy->update_config->parallelism, 2u);
  EXPECT_EQ(web.deploy->placement.max_replicas_per_node, 1u);
  ASSERT_EQ(web.gpus.size(), 1u);
  EXPECT_EQ(web.gpus[0].count, -1);
}

TEST(Decode, TopLevelResources) {
  Project p = decode_ok(R"(
name: ignored
version: "3.8"
services: {}
networks:
  front: {driver: bridge, ipam: {config: [{subnet: 10.1.0.0/16}]}, enable_ipv6: true}
  outside: {external: {name: real-outside}}
  plain:
volumes:
  data: {driver_opts: {type: nfs, o: "addr=1"}, labels: [a=b]}
secrets:
  token: {file: ./token.txt}
configs:
  conf: {content: "hello"}
x-top: 1
)");
  EXPECT_EQ(p.name, "demo");
  EXPECT_EQ(p.networks.at("front").driver, "bridge");
  EXPECT_EQ(p.networks.at("front").ipam.config[0].subnet, "10.1.0.0/16");
  EXPECT_EQ(p.networks.at("front").enable_ipv6, true);
  EXPECT_TRUE(p.networks.at("outside").external);
  EXPECT_EQ(p.networks.at("outside").name, "real-outside");
  EXPECT_TRUE(p.networks.contains("plain"));
  EXPECT_EQ(p.volumes.at("data").driver_opts.at("o"), "addr=1");
  EXPECT_EQ(p.volumes.at("data").labels.at("a"), "b");
  EXPECT_EQ(p.secrets.at("token").file, "./token.txt");
  EXPECT_EQ(p.configs.at("conf").content, "hello");
  ASSERT_EQ(p.extensions.entries.size(), 1u);
}

TEST(Decode, ErrorsCarryPositionAndPath) {
  struct Case {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"services:\n  web:\n    imagee: x\n", "compose.yml:3:5: services.web: additional properties 'imagee' not allowed"},
      {"services:\n  web:\n    foo: 1\n    image: x\n    bar: 2\n",
       "compose.yml:3:5: services.web: additional properties 'foo', 'bar' not allowed"},
      {"servics: {}\n", "compose.yml:1:1: additional properties 'servics' not allowed"},
      {"services:\n  web:\n    read_only: maybe\n", "compose.yml:3:16: services.web.read_only: must be a boolean"},
      {"services:\n  web:\n    scale: lots\n", "compose.yml:3:12: services.web.scale: must be an integer"},
      {"services:\n  web:\n    ports:\n      - {target: abc}\n",
       "compose.yml:4:18: services.web.ports[0].target: must be an integer"},
      {"services:\n  web:\n    ports:\n      - {target: -1}\n",
       "compose.yml:4:18: services.web.ports[0].target: must be greater than or equal to 0"},
      {"services:\n  web:\n    cpus: many\n", "compose.yml:3:11: services.web.cpus: must be a number"},
      {"services:\n  web:\n    stop_grace_period: 5x\n",
       "compose.yml:3:24: services.web.stop_grace_period: invalid duration \"5x\""},
      {"services:\n  web:\n    healthcheck:\n      interval: 10\n",
       "compose.yml:4:17: services.web.healthcheck.interval: invalid duration \"10\""},
      {"services:\n  web:\n    mem_limit: 12Q\n", "compose.yml:3:16: services.web.mem_limit: invalid size \"12Q\""},
      {"services:\n  web:\n    image: [a]\n", "compose.yml:3:12: services.web.image: must be a string"},
      {"services:\n  web:\n    deploy: 3\n", "compose.yml:3:13: services.web.deploy: must be a mapping"},
      {"services:\n  web:\n    cap_add: ALL\n", "compose.yml:3:14: services.web.cap_add: must be an array"},
      {"services:\n  web: 1\n", "compose.yml:2:8: services.web: must be a mapping"},
      {"services:\n  web:\n    deploy:\n      resources: {limits: {cpu: 1}}\n",
       "compose.yml:4:28: services.web.deploy.resources.limits: additional properties 'cpu' not allowed"},
      {"services:\n  web:\n    ulimits:\n      nofile: {soft: 1, max: 2}\n",
       "compose.yml:4:25: services.web.ulimits.nofile: additional properties 'max' not allowed"},
      {"networks:\n  front: {driver: bridge, drivr: x}\n",
       "compose.yml:2:27: networks.front: additional properties 'drivr' not allowed"},
  };
  for (const auto& c : cases) {
    auto p = decode(c.yaml);
    ASSERT_FALSE(p) << c.yaml;
    EXPECT_EQ(p.error().to_string(), c.message) << c.yaml;
  }
}

TEST(Decode, SourceMapFindsKeyOrNearestAncestor) {
  Project p = decode_ok("services:\n  web:\n    image: x\n    depends_on:\n      db: {condition: service_started}\n"
                        "    networks:\n      front: null\n");
  ASSERT_TRUE(p.sources);
  EXPECT_EQ(p.sources->find("services.web").str(), "compose.yml:2:3");
  EXPECT_EQ(p.sources->find("services.web.depends_on.db").str(), "compose.yml:5:7");
  EXPECT_EQ(p.sources->find("services.web.networks.front").str(), "compose.yml:7:7");
  EXPECT_EQ(p.sources->find("services.web.networks.back").str(), "compose.yml:6:5");
  EXPECT_EQ(p.sources->find("services.web.ports[0].target").str(), "compose.yml:2:3");
  EXPECT_FALSE(p.sources->find("volumes.data").known());
}

TEST(Decode, BareServiceDecoder) {
  auto node = parse_yaml("image: redis\nrestart: always\n", kFile);
  ASSERT_TRUE(node);
  SourceMap sources;
  auto s = decode_service(*node, "cache", &sources);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->name, "cache");
  EXPECT_EQ(s->restart, "always");
  EXPECT_EQ(sources.find("services.cache.restart").str(), "compose.yml:2:1");
}

}  // namespace
}  // namespace stack::compose

namespace stack::compose {
namespace {

TEST(Decode, DisabledServices) {
  auto project = decode("services:\n  web: {image: a}\n");
  ASSERT_TRUE(project);
  auto disabled = parse_yaml("debug:\n  image: busybox\n  profiles: [debug]\n", kFile);
  ASSERT_TRUE(disabled);
  ASSERT_TRUE(decode_disabled_services(*project, *disabled));
  ASSERT_TRUE(project->disabled_services.contains("debug"));
  EXPECT_EQ(project->disabled_services.at("debug").name, "debug");
  EXPECT_EQ(project->disabled_services.at("debug").profiles, (std::vector<std::string>{"debug"}));
  EXPECT_FALSE(project->services.contains("debug"));

  auto bad = parse_yaml("debug:\n  imag: busybox\n", kFile);
  auto status = decode_disabled_services(*project, *bad);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().to_string(), "compose.yml:2:3: services.debug: additional properties 'imag' not allowed");
}

}  // namespace
}  // namespace stack::compose
