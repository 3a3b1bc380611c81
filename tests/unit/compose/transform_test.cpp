#include "compose/transform.h"

#include <gtest/gtest.h>

#include "tests/unit/compose/transform_test_helpers.h"

namespace stack::compose {
namespace {

using transform_testing::canonical;
using transform_testing::service_key;

struct Case {
  std::string key;       // service key
  std::string value;     // YAML flow text
  std::string expected;  // rendered canonical node
};

class ServiceForms : public ::testing::TestWithParam<Case> {};

TEST_P(ServiceForms, Canonicalize) {
  EXPECT_EQ(service_key(GetParam().key, GetParam().value), GetParam().expected)
      << GetParam().key << ": " << GetParam().value;
}

INSTANTIATE_TEST_SUITE_P(
    Transform, ServiceForms,
    ::testing::Values(
        // build
        Case{"build", ".", "{context: .}"},
        Case{"build", "{context: ., args: [A=1, B], labels: [l=v], extra_hosts: ['h:1.2.3.4']}",
             "{context: ., args: {A: \"1\", B: null}, labels: {l: \"v\"}, extra_hosts: {h: [\"1.2.3.4\"]}}"},
        Case{"build", "{context: ., ssh: [default, 'key=/id_rsa'], additional_contexts: ['base=docker-image://x']}",
             "{context: ., ssh: {default: null, key: \"/id_rsa\"}, additional_contexts: {base: "
             "\"docker-image://x\"}}"},
        Case{"build", "{context: ., secrets: [s, {source: t, target: u}]}",
             "{context: ., secrets: [{source: s}, {source: t, target: u}]}"},
        // command, entrypoint
        Case{"command", "'echo \"hello world\"'", "[\"echo\", \"hello world\"]"},
        Case{"command", "\"\"", "[]"},
        Case{"command", "[]", "[]"},
        Case{"command", "null", "null"},
        Case{"command", "[echo, hi]", "[echo, hi]"},
        Case{"entrypoint", "/bin/sh -c", "[\"/bin/sh\", \"-c\"]"},
        Case{"command", "!override 'a b'", "!override [\"a\", \"b\"]"},
        Case{"command", "!reset null", "!reset null"},
        Case{"ports", "!reset null", "!reset null"},
        // healthcheck
        Case{"healthcheck", "{test: curl -f http://localhost, interval: 10s}",
             "{test: [\"CMD-SHELL\", \"curl -f http://localhost\"], interval: 10s}"},
        Case{"healthcheck", "{test: [CMD, curl]}", "{test: [CMD, curl]}"},
        // depends_on
        Case{"depends_on", "[db, cache]",
             "{db: {condition: \"service_started\", required: true}, cache: {condition: \"service_started\", required: "
             "true}}"},
        Case{"depends_on", "{db: {condition: service_healthy}}",
             "{db: {condition: service_healthy, required: true}}"},
        Case{"depends_on", "{db: {restart: true, required: false}}",
             "{db: {restart: true, required: false, condition: \"service_started\"}}"},
        // environment and KEY=VALUE lists
        Case{"environment", "[A=1, B, C=, D=x=y]", "{A: \"1\", B: null, C: \"\", D: \"x=y\"}"},
        Case{"environment", "{A: 1, B: null}", "{A: 1, B: null}"},
        Case{"environment", "!reset []", "!reset {}"},
        Case{"environment", "!override [A=1]", "!override {A: \"1\"}"},
        Case{"labels", "[a=1, b, c=]", "{a: \"1\", b: \"\", c: \"\"}"},
        Case{"labels", "{a: 1}", "{a: 1}"},
        Case{"annotations", "[com.example=x]", "{com.example: \"x\"}"},
        Case{"sysctls", "[net.core.somaxconn=1024]", "{net.core.somaxconn: \"1024\"}"},
        Case{"deploy", "{labels: [a=b], replicas: 2}", "{labels: {a: \"b\"}, replicas: 2}"},
        Case{"logging", "{driver: syslog, options: [tag=x]}", "{driver: syslog, options: {tag: \"x\"}}"},
        // extra_hosts
        Case{"extra_hosts",
             "['somehost:162.242.195.82', 'otherhost=50.31.209.229', 'v6=::1', 'zulu:ff02::1', 'b:[::1]', "
             "'somehost:1.2.3.4', 'multi=1.1.1.1,2.2.2.2']",
             "{somehost: [\"162.242.195.82\", \"1.2.3.4\"], otherhost: [\"50.31.209.229\"], v6: [\"::1\"], zulu: "
             "[\"ff02::1\"], b: [\"::1\"], multi: [\"1.1.1.1\", \"2.2.2.2\"]}"},
        Case{"extra_hosts", "{a: 1.2.3.4, b: [1.1.1.1, '[::1]'], c: null}",
             "{a: [1.2.3.4], b: [1.1.1.1, \"::1\"], c: [\"\"]}"},
        // env_file, label_file
        Case{"env_file", "a.env", "[{path: a.env, required: true}]"},
        Case{"env_file", "[a.env, {path: b.env, required: false}, {path: c.env, format: raw}]",
             "[{path: a.env, required: true}, {path: b.env, required: false}, {path: c.env, format: raw, required: "
             "true}]"},
        Case{"label_file", "labels.txt", "[labels.txt]"},
        Case{"label_file", "[a, b]", "[a, b]"},
        // string or list
        Case{"tmpfs", "/run", "[/run]"},
        Case{"dns", "8.8.8.8", "[8.8.8.8]"},
        Case{"dns_search", "example.com", "[example.com]"},
        Case{"dns", "[1.1.1.1]", "[1.1.1.1]"},
        Case{"expose", "[80, '90', 100-110]", "[\"80\", \"90\", \"100-110\"]"},
        // secrets, configs
        Case{"secrets", "[a, {source: b, target: /x, mode: 0400}]", "[{source: a}, {source: b, target: /x, mode: 0400}]"},
        Case{"configs", "[c]", "[{source: c}]"},
        // networks, models
        Case{"networks", "[front, back]", "{front: null, back: null}"},
        Case{"networks", "{front: {aliases: [a], driver_opts: [k=v]}, back: null}",
             "{front: {aliases: [a], driver_opts: {k: \"v\"}}, back: null}"},
        Case{"models", "[llm]", "{llm: null}"},
        Case{"gpus", "all", "[{count: \"all\"}]"},
        Case{"gpus", "[{driver: nvidia, count: 1}]", "[{driver: nvidia, count: 1}]"},
        // unchanged forms
        Case{"ulimits", "{nproc: 65535, nofile: {soft: 20000, hard: 40000}}",
             "{nproc: 65535, nofile: {soft: 20000, hard: 40000}}"},
        Case{"blkio_config", "{device_read_bps: [{path: /dev/sda, rate: 1mb}]}",
             "{device_read_bps: [{path: /dev/sda, rate: 1mb}]}"},
        Case{"x-ports", "['80', a=b]", "[\"80\", a=b]"},
        // extends
        Case{"extends", "base", "{service: base}"},
        Case{"extends", "{service: base, file: common.yml}", "{service: base, file: common.yml}"},
        // lifecycle hooks and develop
        Case{"post_start", "[{command: 'echo hi', environment: [A=1]}]",
             "[{command: [\"echo\", \"hi\"], environment: {A: \"1\"}}]"},
        Case{"pre_stop", "[{command: [a]}]", "[{command: [a]}]"},
        Case{"develop", "{watch: [{path: ., action: sync, ignore: node_modules/, include: '*.js'}]}",
             "{watch: [{path: ., action: sync, ignore: [node_modules/], include: [\"*.js\"]}]}"}));

struct ErrorCase {
  std::string key;
  std::string value;
  std::string message;  // after "compose.yml:1:"
};

class ServiceErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ServiceErrors, AreLocated) {
  EXPECT_EQ(service_key(GetParam().key, GetParam().value), "error: compose.yml:1:" + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Transform, ServiceErrors,
    ::testing::Values(
        ErrorCase{"command", "'echo \"x'", "27: services.web.command: invalid command line string"},
        ErrorCase{"entrypoint", "'a b\\'", "30: services.web.entrypoint: invalid command line string"},
        ErrorCase{"environment", "[A=1, 'B =2']",
                  "37: services.web.environment[1]: environment variable B  is declared with a trailing space"},
        ErrorCase{"environment", "[[A]]", "32: services.web.environment[0]: expected a string, got sequence"},
        ErrorCase{"extra_hosts", "[nohost]", "32: services.web.extra_hosts[0]: invalid additional host, missing IP: nohost"},
        ErrorCase{"extra_hosts", "['=1.2.3.4']", "32: services.web.extra_hosts[0]: bad host name ''"},
        ErrorCase{"extra_hosts", "{'a:b': 1.2.3.4}", "32: services.web.extra_hosts.a:b: bad host name 'a:b'"},
        ErrorCase{"depends_on", "{db: null}", "35: services.web.depends_on.db: unsupported value null, expected a mapping"},
        ErrorCase{"depends_on", "[{db: x}]", "31: services.web.depends_on[0]: expected a service name, got mapping"},
        ErrorCase{"build", "{ssh: [mykey]}", "32: services.web.build.ssh[0]: invalid ssh key \"mykey\""},
        ErrorCase{"build", "{additional_contexts: [base]}",
                  "48: services.web.build.additional_contexts[0]: invalid value base, expected key=value"},
        ErrorCase{"post_start", "[{command: '\"x'}]", "41: services.web.post_start[0].command: invalid command line string"}));

TEST(Transform, TopLevelResources) {
  const char* yaml =
      "networks: {front: null, back: {labels: [a=1], driver_opts: [mtu=1400]}, x-net: null}\n"
      "volumes: {data: !reset null, old: {external: {name: real}}}\n"
      "secrets: {s: {file: ./s.txt, labels: [k]}}\n"
      "configs: {c: {external: {}}}\n";
  EXPECT_EQ(canonical(yaml, "networks"),
            "{front: {}, back: {labels: {a: \"1\"}, driver_opts: {mtu: \"1400\"}}, x-net: null}");
  EXPECT_EQ(canonical(yaml, "volumes"), "{data: !reset {}, old: {external: true, name: real}}");
  EXPECT_EQ(canonical(yaml, "secrets"), "{s: {file: ./s.txt, labels: {k: \"\"}}}");
  EXPECT_EQ(canonical(yaml, "configs"), "{c: {external: true}}");
}

TEST(Transform, ExternalNameMatchingNameIsAccepted) {
  EXPECT_EQ(canonical("networks: {n: {name: x, external: {name: x}}}\n", "networks"),
            "{n: {name: x, external: true}}");
}

TEST(Transform, ExternalNameConflict) {
  EXPECT_EQ(canonical("networks: {n: {name: x, external: {name: y}}}\n", "networks"),
            "error: compose.yml:1:35: networks.n: name and external.name conflict; only use name");
}

TEST(Transform, Include) {
  EXPECT_EQ(canonical("include: [a.yml, {path: b.yml, env_file: b.env, project_directory: ..}, {path: [c.yml, "
                      "d.yml], env_file: [e.env]}]\n",
                      "include"),
            "[{path: [a.yml]}, {path: [b.yml], env_file: [b.env], project_directory: ..}, {path: [c.yml, d.yml], "
            "env_file: [e.env]}]");
}

TEST(Transform, ExtensionsAreUntouched) {
  const char* yaml =
      "x-common: {ports: ['80'], environment: [A=1]}\n"
      "services: {web: {image: nginx, x-env: [A=1]}}\n";
  EXPECT_EQ(canonical(yaml, "x-common"), "{ports: [\"80\"], environment: [A=1]}");
  EXPECT_EQ(canonical(yaml, "services.web"), "{image: nginx, x-env: [A=1]}");
}

TEST(Transform, CanonicalizeServiceUsesTheGivenPath) {
  auto doc = parse_yaml("image: x\nports: ['80:abc']\n", transform_testing::test_file());
  ASSERT_TRUE(doc);
  auto ok = canonicalize_service(*doc, "services.base");
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().to_string(), "compose.yml:2:9: services.base.ports[0]: invalid containerPort: abc");
}

TEST(Transform, IsIdempotent) {
  const char* yaml =
      "services:\n  web:\n    build: .\n    command: echo hi\n    ports: ['8000-8001:80-81', '127.0.0.1::9']\n"
      "    volumes: ['./a:/a:ro', 'v:/v:nocopy', '/anon']\n    environment: [A=1, B]\n    depends_on: [db]\n"
      "    extra_hosts: ['h:1.1.1.1']\n    env_file: .env\n    devices: ['/dev/fuse']\n  db:\n    image: x\n"
      "volumes: {v: }\n";
  auto once = parse_yaml(yaml, transform_testing::test_file());
  ASSERT_TRUE(once);
  ASSERT_TRUE(canonicalize_project(*once));
  Node twice = *once;
  ASSERT_TRUE(canonicalize_project(twice));
  EXPECT_EQ(transform_testing::render(twice), transform_testing::render(*once));
}

TEST(Transform, EntriesBuiltFromListItemsCarryTheItemMark) {
  auto doc = parse_yaml("services:\n  web:\n    environment:\n      - A=1\n      - B\n", transform_testing::test_file());
  ASSERT_TRUE(doc);
  ASSERT_TRUE(canonicalize_project(*doc));
  const Node& env = *transform_testing::at_path(*doc, "services.web.environment");
  EXPECT_EQ(env.mark().str(), "compose.yml:4:7");
  ASSERT_EQ(env.entries().size(), 2u);
  EXPECT_EQ(env.entries()[0].key_mark.str(), "compose.yml:4:9");
  EXPECT_EQ(env.entries()[0].value.mark().str(), "compose.yml:4:9");
  EXPECT_EQ(env.entries()[1].value.mark().str(), "compose.yml:5:9");
}

TEST(Transform, NonMappingDocumentIsLeftToTheLoader) {
  Node doc = Node::scalar("x");
  EXPECT_TRUE(canonicalize_project(doc));
  EXPECT_EQ(doc, Node::scalar("x"));
}

}  // namespace
}  // namespace stack::compose
