// Capability name tables, masks and validation (no kernel state is changed here).
#include "engine/runtime/capabilities.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "engine/runtime/docker_defaults.h"

namespace stack::runtime {
namespace {

TEST(Capabilities, NamesMapToKernelNumbers) {
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_from_name("CAP_NET_RAW"), 13);
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(capability_from_name("CAP_SYS_RESOURCE"), 24);
  EXPECT_EQ(capability_from_name("CAP_SETFCAP"), 31);
  EXPECT_EQ(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(capability_name(39), "CAP_BPF");
  EXPECT_EQ(capability_name(99), "");
  ASSERT_EQ(known_capability_names().size(), 41u);
  for (size_t i = 0; i < known_capability_names().size(); ++i) {
    EXPECT_EQ(capability_from_name(known_capability_names()[i]), static_cast<int>(i));
  }
}

TEST(Capabilities, OnlyTheOciSpellingIsAccepted) {
  EXPECT_FALSE(capability_from_name("chown"));
  EXPECT_FALSE(capability_from_name("cap_chown"));
  EXPECT_FALSE(capability_from_name("CHOWN"));
  EXPECT_FALSE(capability_from_name(""));
}

TEST(Capabilities, DockerDefaultMaskIsTheKernelsCapEff) {
  auto mask = capability_mask(docker_default_capabilities().effective);
  ASSERT_TRUE(mask) << mask.error().to_string();
  EXPECT_EQ(*mask, 0x00000000a80425fbULL);
  EXPECT_EQ(capability_names_from_mask(*mask).size(), 14u);
}

TEST(Capabilities, MaskRoundTrip) {
  auto mask = capability_mask({"CAP_KILL", "CAP_BPF"});
  ASSERT_TRUE(mask);
  EXPECT_EQ(*mask, (1ULL << 5) | (1ULL << 39));
  EXPECT_EQ(capability_names_from_mask(*mask), (std::vector<std::string>{"CAP_KILL", "CAP_BPF"}));
}

TEST(Capabilities, UnknownNameIsAnErrorNamingIt) {
  Capabilities caps = docker_default_capabilities();
  caps.ambient = {"CAP_FOO"};
  auto r = validate_capabilities(caps);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unknown capability \"CAP_FOO\" (in ambient)");
  EXPECT_EQ(r.error().errno_value, EINVAL);

  auto m = capability_mask({"CAP_CHOWN", "net_admin"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, "unknown capability \"net_admin\"");
}

TEST(Capabilities, EffectiveMustBePermitted) {
  Capabilities caps;
  caps.effective = {"CAP_KILL", "CAP_CHOWN"};
  caps.permitted = {"CAP_CHOWN"};
  auto r = validate_capabilities(caps);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not in the permitted set: CAP_KILL"), std::string::npos) << r.error().message;
}

TEST(Capabilities, AmbientMustBePermittedAndInheritable) {
  Capabilities caps;
  caps.permitted = {"CAP_NET_BIND_SERVICE"};
  caps.ambient = {"CAP_NET_BIND_SERVICE"};
  auto r = validate_capabilities(caps);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("permitted and inheritable: CAP_NET_BIND_SERVICE"), std::string::npos);
  caps.inheritable = {"CAP_NET_BIND_SERVICE"};
  EXPECT_TRUE(validate_capabilities(caps));
}

TEST(Capabilities, DefaultsValidate) { EXPECT_TRUE(validate_capabilities(docker_default_capabilities())); }

TEST(Capabilities, BoundingSetReadable) {
  auto names = bounding_capabilities();
  ASSERT_TRUE(names) << names.error().to_string();
  // The same set the kernel reports as CapBnd.
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t cap_bnd = 0;
  while (std::getline(status, line)) {
    if (line.starts_with("CapBnd:")) cap_bnd = std::stoull(line.substr(7), nullptr, 16);
  }
  auto mask = capability_mask(*names);
  ASSERT_TRUE(mask);
  EXPECT_EQ(*mask, cap_bnd);
}

}  // namespace
}  // namespace stack::runtime
