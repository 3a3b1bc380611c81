#include <gtest/gtest.h>

#include "tests/unit/compose/transform_test_helpers.h"

namespace stack::compose {
namespace {

using transform_testing::canonical;
using transform_testing::render;
using transform_testing::service_key;

struct Case {
  std::string spec;      // YAML text of one ports item
  std::string expected;  // rendered canonical items
};

class PortShortForms : public ::testing::TestWithParam<Case> {};

TEST_P(PortShortForms, Expand) {
  EXPECT_EQ(service_key("ports", "[" + GetParam().spec + "]"), "[" + GetParam().expected + "]");
}

INSTANTIATE_TEST_SUITE_P(
    Transform, PortShortForms,
    ::testing::Values(
        Case{"'3000'", "{mode: \"ingress\", target: 3000, protocol: \"tcp\"}"},
        Case{"3000", "{mode: \"ingress\", target: 3000, protocol: \"tcp\"}"},
        Case{"'3000-3002'",
             "{mode: \"ingress\", target: 3000, protocol: \"tcp\"}, {mode: \"ingress\", target: 3001, protocol: \"tcp\"}, "
             "{mode: \"ingress\", target: 3002, protocol: \"tcp\"}"},
        Case{"'8000:8000'", "{mode: \"ingress\", target: 8000, published: \"8000\", protocol: \"tcp\"}"},
        Case{"'49100:22'", "{mode: \"ingress\", target: 22, published: \"49100\", protocol: \"tcp\"}"},
        Case{"'9090-9091:8080-8081'",
             "{mode: \"ingress\", target: 8080, published: \"9090\", protocol: \"tcp\"}, "
             "{mode: \"ingress\", target: 8081, published: \"9091\", protocol: \"tcp\"}"},
        // A host range with one container port: the host port is picked from the range.
        Case{"'8000-9000:80'", "{mode: \"ingress\", target: 80, published: \"8000-9000\", protocol: \"tcp\"}"},
        Case{"'12400-12500:1240'", "{mode: \"ingress\", target: 1240, published: \"12400-12500\", protocol: \"tcp\"}"},
        Case{"'127.0.0.1:8001:8001'",
             "{mode: \"ingress\", host_ip: \"127.0.0.1\", target: 8001, published: \"8001\", protocol: \"tcp\"}"},
        Case{"'127.0.0.1:5000-5001:5000-5001'",
             "{mode: \"ingress\", host_ip: \"127.0.0.1\", target: 5000, published: \"5000\", protocol: \"tcp\"}, "
             "{mode: \"ingress\", host_ip: \"127.0.0.1\", target: 5001, published: \"5001\", protocol: \"tcp\"}"},
        Case{"'127.0.0.1::80'", "{mode: \"ingress\", host_ip: \"127.0.0.1\", target: 80, protocol: \"tcp\"}"},
        Case{"'::1:6000:6000'", "{mode: \"ingress\", host_ip: \"::1\", target: 6000, published: \"6000\", protocol: \"tcp\"}"},
        Case{"'[::1]:6001:6001'",
             "{mode: \"ingress\", host_ip: \"::1\", target: 6001, published: \"6001\", protocol: \"tcp\"}"},
        Case{"'[2001:db8::1]::80'", "{mode: \"ingress\", host_ip: \"2001:db8::1\", target: 80, protocol: \"tcp\"}"},
        Case{"'6060:6060/udp'", "{mode: \"ingress\", target: 6060, published: \"6060\", protocol: \"udp\"}"},
        Case{"'5000/SCTP'", "{mode: \"ingress\", target: 5000, protocol: \"sctp\"}"},
        Case{"'80/'", "{mode: \"ingress\", target: 80, protocol: \"tcp\"}"},
        // compose-go sorts a range by the text of "port/proto".
        Case{"'9999-10000:9999-10000'",
             "{mode: \"ingress\", target: 10000, published: \"10000\", protocol: \"tcp\"}, "
             "{mode: \"ingress\", target: 9999, published: \"9999\", protocol: \"tcp\"}"},
        // Long form: only the defaults are added.
        Case{"{target: 80, published: 8080}",
             "{target: 80, published: 8080, mode: \"ingress\", protocol: \"tcp\"}"},
        Case{"{target: 80, mode: host, protocol: udp, name: web, app_protocol: http}",
             "{target: 80, mode: host, protocol: udp, name: web, app_protocol: http}"}));

TEST(TransformPorts, RangeGivesOneItemPerPort) {
  std::string out = service_key("ports", "['127.0.0.1:5000-5010:5000-5010']");
  size_t items = 0;
  for (size_t pos = out.find("mode:"); pos != std::string::npos; pos = out.find("mode:", pos + 1)) ++items;
  EXPECT_EQ(items, 11u);
  EXPECT_NE(out.find("target: 5010, published: \"5010\""), std::string::npos);
}

TEST(TransformPorts, MixedListKeepsOrder) {
  EXPECT_EQ(service_key("ports", "['80', {target: 81}, 82]"),
            "[{mode: \"ingress\", target: 80, protocol: \"tcp\"}, {target: 81, mode: \"ingress\", protocol: \"tcp\"}, "
            "{mode: \"ingress\", target: 82, protocol: \"tcp\"}]");
}

TEST(TransformPorts, KeepsTagsOnList) {
  EXPECT_EQ(service_key("ports", "!override ['80']"), "!override [{mode: \"ingress\", target: 80, protocol: \"tcp\"}]");
  EXPECT_EQ(service_key("ports", "!reset []"), "!reset []");
}

TEST(TransformPorts, NewNodesCarryTheSpecMark) {
  auto doc = parse_yaml("services:\n  web:\n    ports:\n      - \"8000-8001:80-81\"\n", transform_testing::test_file());
  ASSERT_TRUE(doc);
  ASSERT_TRUE(canonicalize_project(*doc));
  const Node& ports = *transform_testing::at_path(*doc, "services.web.ports");
  ASSERT_EQ(ports.size(), 2u);
  for (const Node& port : ports.items()) {
    EXPECT_EQ(port.mark().str(), "compose.yml:4:9");
    for (const Entry& e : port.entries()) {
      EXPECT_EQ(e.value.mark().str(), "compose.yml:4:9") << e.key;
      EXPECT_EQ(e.key_mark.str(), "compose.yml:4:9") << e.key;
    }
  }
}

struct ErrorCase {
  std::string spec;
  std::string message;
};

class PortErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PortErrors, AreLocated) {
  // "services: {web: {ports: [" is 25 characters: the item starts at column 26.
  EXPECT_EQ(service_key("ports", "[" + GetParam().spec + "]"),
            "error: compose.yml:1:26: services.web.ports[0]: " + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Transform, PortErrors,
    ::testing::Values(ErrorCase{"'80:abc'", "invalid containerPort: abc"},
                      ErrorCase{"'abc:80'", "invalid hostPort: abc"},
                      ErrorCase{"'70000'", "invalid containerPort: 70000"},
                      ErrorCase{"'81-80'", "invalid containerPort: 81-80"},
                      ErrorCase{"'80-81-82'", "invalid containerPort: 80-81-82"},
                      ErrorCase{"'8000-8001:80-82'",
                                "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"},
                      ErrorCase{"'127.0.1:8080:80'", "invalid IP address: 127.0.1"},
                      ErrorCase{"'localhost:8080:80'", "invalid IP address: localhost"},
                      ErrorCase{"'[::1:80:80'", "invalid IP address [::1: address [::1:: missing ']' in address"},
                      ErrorCase{"'80/xyz'", "invalid proto: xyz"},
                      ErrorCase{"'80:'", "no port specified: 80:<empty>"},
                      ErrorCase{"'/udp'", "no port specified: /udp<empty>"},
                      ErrorCase{"''", "no port specified: <empty>"}));

TEST(TransformPorts, ErrorInLaterItemNamesItsIndex) {
  auto doc = parse_yaml("services:\n  web:\n    ports:\n      - 80\n      - \"80:abc\"\n", transform_testing::test_file());
  ASSERT_TRUE(doc);
  auto ok = canonicalize_project(*doc);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().to_string(), "compose.yml:5:9: services.web.ports[1]: invalid containerPort: abc");
}

TEST(TransformPorts, KeepUnparsableLeavesTheSpec) {
  TransformOptions lenient{.keep_unparsable = true};
  EXPECT_EQ(service_key("ports", "['${HOST}:80', '81']", lenient),
            "[\"${HOST}:80\", {mode: \"ingress\", target: 81, protocol: \"tcp\"}]");
}

TEST(TransformPorts, ParsePortSpecDirectly) {
  Node spec = Node::string("127.0.0.1:8080:80");
  auto ports = parse_port_spec(spec, "services.web.ports[0]");
  ASSERT_TRUE(ports);
  ASSERT_EQ(ports->size(), 1u);
  EXPECT_EQ(render((*ports)[0]),
            "{mode: \"ingress\", host_ip: \"127.0.0.1\", target: 80, published: \"8080\", protocol: \"tcp\"}");
  auto bad = parse_port_spec(Node::string("x"), "p");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().to_string(), "p: invalid containerPort: x");
}

}  // namespace
}  // namespace stack::compose
