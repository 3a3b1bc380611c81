#include "engine/image/reference.h"

#include <gtest/gtest.h>

#include "engine/image/digest.h"

namespace stack::image {
namespace {

constexpr const char* kDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Good {
  std::string input, domain, path, tag, digest, familiar;
};

TEST(Reference, NormalizesAsDocker) {
  const std::vector<Good> cases = {
      {"busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "busybox:1.36"},
      {"busybox:Latest_v-1.x", "docker.io", "library/busybox", "Latest_v-1.x", "", "busybox:Latest_v-1.x"},
      {"library/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "", "", "busybox"},
      {"docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", "", "busybox:latest"},
      {"user/app", "docker.io", "user/app", "", "", "user/app"},
      {"library/a/b", "docker.io", "library/a/b", "", "", "library/a/b"},
      {"localhost/app", "localhost", "app", "", "", "localhost/app"},
      {"localhost:5000/app:v1", "localhost:5000", "app", "v1", "", "localhost:5000/app:v1"},
      {"registry.example.com/team/app", "registry.example.com", "team/app", "", "", "registry.example.com/team/app"},
      {"Registry.Example.com/app", "Registry.Example.com", "app", "", "", "Registry.Example.com/app"},
      {"[::1]:5000/app", "[::1]:5000", "app", "", "", "[::1]:5000/app"},
      {"a.b-c.d--e/x__y.z--w", "a.b-c.d--e", "x__y.z--w", "", "", "a.b-c.d--e/x__y.z--w"},
      {"my_app.v2-x", "docker.io", "library/my_app.v2-x", "", "", "my_app.v2-x"},
      {std::string("busybox@") + kDigest, "docker.io", "library/busybox", "", kDigest, std::string("busybox@") + kDigest},
      {std::string("busybox:1@") + kDigest, "docker.io", "library/busybox", "1", kDigest, std::string("busybox:1@") + kDigest},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    auto ref = parse_reference(c.input);
    ASSERT_TRUE(ref) << ref.error().to_string();
    EXPECT_EQ(ref->domain, c.domain);
    EXPECT_EQ(ref->path, c.path);
    EXPECT_EQ(ref->tag, c.tag);
    EXPECT_EQ(ref->digest, c.digest);
    EXPECT_EQ(ref->familiar_string(), c.familiar);
  }
}

TEST(Reference, RejectsWithDockersWords) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "invalid reference format"},
      {"Busybox", "invalid reference format: repository name must be lowercase"},
      {"user/App:latest", "invalid reference format: repository name must be lowercase"},
      {"localhost:5000/App", "invalid reference format: repository name must be lowercase"},
      {"busybox:", "invalid reference format"},
      {":latest", "invalid reference format"},
      {"busybox:la test", "invalid reference format"},
      {"busybox:.x", "invalid reference format"},
      {"-busybox", "invalid reference format"},
      {"busy..box", "invalid reference format"},
      {"busy___box", "invalid reference format"},
      {"a//b", "invalid reference format"},
      {"a/", "invalid reference format"},
      {"busybox@sha256:abc", "invalid reference format"},
      {"busybox@sha256:0123456789abcdef0123456789abcdef", "invalid checksum digest length"},
      {"busybox:" + std::string(129, 'a'), "invalid reference format"},
      {std::string(256, 'a'), "invalid reference format: repository name must not be more than 255 characters"},
      {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "invalid repository name (0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef), cannot "
       "specify 64-byte hexadecimal strings"},
  };
  for (const auto& [input, message] : cases) {
    SCOPED_TRACE(input);
    auto ref = parse_reference(input);
    ASSERT_FALSE(ref) << ref->string();
    EXPECT_EQ(ref.error().message, message);
  }
}

TEST(Reference, DefaultTagOnlyWithoutTagOrDigest) {
  EXPECT_EQ(parse_tagged("busybox")->string(), "docker.io/library/busybox:latest");
  EXPECT_EQ(parse_tagged("busybox:1")->string(), "docker.io/library/busybox:1");
  EXPECT_EQ(parse_tagged(std::string("busybox@") + kDigest)->string(),
            std::string("docker.io/library/busybox@") + kDigest);
}

TEST(Digest, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.digest(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(short_id("sha256:ba7816bf8f01cfea414140de"), "ba7816bf8f01");
  EXPECT_TRUE(digest_hex(kDigest));
  EXPECT_FALSE(digest_hex("sha256:xyz"));
}

}  // namespace
}  // namespace stack::image
