#include <gtest/gtest.h>

#include "tests/unit/compose/transform_test_helpers.h"

namespace stack::compose {
namespace {

using transform_testing::render;
using transform_testing::service_key;

struct Case {
  std::string spec;      // YAML text of one item
  std::string expected;  // rendered canonical item
};

class VolumeForms : public ::testing::TestWithParam<Case> {};

TEST_P(VolumeForms, Canonicalize) {
  EXPECT_EQ(service_key("volumes", "[" + GetParam().spec + "]"), "[" + GetParam().expected + "]");
}

INSTANTIATE_TEST_SUITE_P(
    Transform, VolumeForms,
    ::testing::Values(
        // Anonymous volume.
        Case{"/var/lib/data", "{type: \"volume\", target: \"/var/lib/data\", volume: {}}"},
        // Too short for a separator: compose-go gives no volume options.
        Case{"/a", "{type: \"volume\", target: \"/a\"}"},
        Case{"vol:/data", "{type: \"volume\", source: \"vol\", target: \"/data\", volume: {}}"},
        Case{"'123:/data'", "{type: \"volume\", source: \"123\", target: \"/data\", volume: {}}"},
        Case{"./rel:/path:ro",
             "{type: \"bind\", source: \"./rel\", target: \"/path\", read_only: true, bind: {create_host_path: true}}"},
        Case{"../up:/path", "{type: \"bind\", source: \"../up\", target: \"/path\", bind: {create_host_path: true}}"},
        Case{"~/x:/y", "{type: \"bind\", source: \"~/x\", target: \"/y\", bind: {create_host_path: true}}"},
        Case{"/abs:/y:rw", "{type: \"bind\", source: \"/abs\", target: \"/y\", bind: {create_host_path: true}}"},
        Case{"vol:/p:nocopy", "{type: \"volume\", source: \"vol\", target: \"/p\", volume: {nocopy: true}}"},
        Case{"'vol:/p:ro,nocopy'",
             "{type: \"volume\", source: \"vol\", target: \"/p\", read_only: true, volume: {nocopy: true}}"},
        Case{"'/a:/b:rw,z'",
             "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {selinux: \"z\", create_host_path: true}}"},
        Case{"'/a:/b:ro,Z,rshared'",
             "{type: \"bind\", source: \"/a\", target: \"/b\", read_only: true, bind: {selinux: \"Z\", propagation: "
             "\"rshared\", create_host_path: true}}"},
        Case{"/a:/b:shared", "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {propagation: \"shared\", "
                             "create_host_path: true}}"},
        Case{"/a:/b:slave", "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {propagation: \"slave\", "
                            "create_host_path: true}}"},
        Case{"/a:/b:rslave", "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {propagation: \"rslave\", "
                             "create_host_path: true}}"},
        Case{"/a:/b:private", "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {propagation: \"private\", "
                              "create_host_path: true}}"},
        Case{"/a:/b:rprivate", "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {propagation: \"rprivate\", "
                               "create_host_path: true}}"},
        // Bind options on a named volume are kept for decode/validate to judge, as compose-go does.
        Case{"vol:/data:z",
             "{type: \"volume\", source: \"vol\", target: \"/data\", bind: {selinux: \"z\"}, volume: {}}"},
        // Bind with nocopy: both option mappings, as compose-go.
        Case{"/a:/b:nocopy", "{type: \"bind\", source: \"/a\", target: \"/b\", bind: {create_host_path: true}, "
                             "volume: {nocopy: true}}"},
        // Unknown options are ignored, as compose-go does.
        Case{"'vol:/p:cached,delegated'", "{type: \"volume\", source: \"vol\", target: \"/p\", volume: {}}"},
        // Targets are cleaned like Go's path.Clean.
        Case{"vol:/data/", "{type: \"volume\", source: \"vol\", target: \"/data\", volume: {}}"},
        Case{"vol:/data/../x//y/.", "{type: \"volume\", source: \"vol\", target: \"/x/y\", volume: {}}"},
        // Windows drive letters are not separators (compose-go on Linux too).
        Case{"'C:\\data:/data'",
             "{type: \"bind\", source: \"C:\\\\data\", target: \"/data\", bind: {create_host_path: true}}"},
        // ... which makes a one-letter source part of an anonymous target.
        Case{"a:/data", "{type: \"volume\", target: \"a:/data\", volume: {}}"},
        // ... and a one-letter source before an empty section is a drive too.
        Case{"'a::b'", "{type: \"bind\", source: \"a:\", target: \"b\", bind: {create_host_path: true}}"},
        // A ':' inside a ${...} left by --no-interpolate does not separate.
        Case{"'${A:-x}:/data'", "{type: \"volume\", source: \"${A:-x}\", target: \"/data\", volume: {}}"},
        // Long forms: bind options gain create_host_path; others unchanged.
        Case{"{type: bind, source: ./a, target: /a, bind: {propagation: rshared}}",
             "{type: bind, source: ./a, target: /a, bind: {propagation: rshared, create_host_path: true}}"},
        Case{"{type: bind, source: ./a, target: /a, bind: {create_host_path: false}}",
             "{type: bind, source: ./a, target: /a, bind: {create_host_path: false}}"},
        Case{"{type: bind, source: ./a, target: /a}", "{type: bind, source: ./a, target: /a}"},
        Case{"{type: tmpfs, target: /t, tmpfs: {size: 1000}}", "{type: tmpfs, target: /t, tmpfs: {size: 1000}}"}));

TEST(TransformVolumes, KeepsTagAndMark) {
  auto doc = parse_yaml("services:\n  web:\n    volumes: !override\n      - vol:/data\n", transform_testing::test_file());
  ASSERT_TRUE(doc);
  ASSERT_TRUE(canonicalize_project(*doc));
  const Node& volumes = *transform_testing::at_path(*doc, "services.web.volumes");
  EXPECT_EQ(volumes.tag(), "!override");
  const Node& item = volumes.items()[0];
  EXPECT_EQ(item.mark().str(), "compose.yml:4:9");
  EXPECT_EQ(item.find("source")->mark().str(), "compose.yml:4:9");
  EXPECT_EQ(item.find("volume")->mark().str(), "compose.yml:4:9");
}

struct ErrorCase {
  std::string spec;
  std::string message;
};

class VolumeErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(VolumeErrors, AreLocated) {
  // "services: {web: {volumes: [" is 27 characters: the item starts at column 28.
  EXPECT_EQ(service_key("volumes", "[" + GetParam().spec + "]"),
            "error: compose.yml:1:28: services.web.volumes[0]: " + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Transform, VolumeErrors,
    ::testing::Values(ErrorCase{"''", "invalid empty volume spec"},
                      ErrorCase{"'vol::/b'", "invalid spec: vol::/b: empty section between colons"},
                      ErrorCase{"':/data'", "invalid spec: :/data: empty section between colons"},
                      ErrorCase{"'/data:'", "invalid spec: /data:: empty section between colons"},
                      ErrorCase{"'/a:/b:ro:z'", "invalid spec: /a:/b:ro:z: too many colons"},
                      ErrorCase{"'\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine'",
                                "npipe volumes are not supported on Linux"},
                      ErrorCase{"'\\\\.\\PIPE\\x:/x'", "npipe volumes are not supported on Linux"}));

TEST(TransformVolumes, LongFormNpipeIsRejectedAtItsType) {
  EXPECT_EQ(service_key("volumes", "[{type: npipe, source: '\\\\.\\pipe\\x', target: '\\\\.\\pipe\\x'}]"),
            "error: compose.yml:1:35: services.web.volumes[0]: npipe volumes are not supported on Linux");
}

TEST(TransformVolumes, KeepUnparsableLeavesTheSpec) {
  TransformOptions lenient{.keep_unparsable = true};
  EXPECT_EQ(service_key("volumes", "['vol::b', vol:/x]", lenient),
            "[\"vol::b\", {type: \"volume\", source: \"vol\", target: \"/x\", volume: {}}]");
  // A named pipe is never acceptable.
  EXPECT_NE(service_key("volumes", "['\\\\.\\pipe\\x:/x']", lenient).find("npipe volumes"), std::string::npos);
}

TEST(TransformVolumes, ParseVolumeSpecDirectly) {
  auto volume = parse_volume_spec(Node::string("./src:/app:ro"), "services.web.volumes[2]");
  ASSERT_TRUE(volume);
  EXPECT_EQ(render(*volume),
            "{type: \"bind\", source: \"./src\", target: \"/app\", read_only: true, bind: {create_host_path: true}}");
  auto bad = parse_volume_spec(Node::string("vol::b"), "services.web.volumes[2]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().to_string(), "services.web.volumes[2]: invalid spec: vol::b: empty section between colons");
}

TEST(TransformDevices, ShortForms) {
  EXPECT_EQ(service_key("devices", "['/dev/sda', '/dev/a:/dev/b', '/dev/a:/dev/b:r', '/dev/a::rw', {source: /x, target: /y}]"),
            "[{source: \"/dev/sda\", target: \"/dev/sda\", permissions: \"rwm\"}, "
            "{source: \"/dev/a\", target: \"/dev/b\", permissions: \"rwm\"}, "
            "{source: \"/dev/a\", target: \"/dev/b\", permissions: \"r\"}, "
            "{source: \"/dev/a\", target: \"/dev/a\", permissions: \"rw\"}, "
            "{source: /x, target: /y}]");
}

TEST(TransformDevices, TooManyColons) {
  EXPECT_EQ(service_key("devices", "['/a:/b:r:x']"),
            "error: compose.yml:1:28: services.web.devices[0]: confusing device mapping, please use long syntax: "
            "/a:/b:r:x");
  auto device = parse_device_spec(Node::string("/dev/fuse"), "d");
  ASSERT_TRUE(device);
  EXPECT_EQ(render(*device), "{source: \"/dev/fuse\", target: \"/dev/fuse\", permissions: \"rwm\"}");
}

}  // namespace
}  // namespace stack::compose
