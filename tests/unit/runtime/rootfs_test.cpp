// Mount option parsing (flags, clears, propagation, recursive attributes, data) and
// secure_join, which keeps paths inside the rootfs whatever its symlinks say.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

#include "engine/runtime/rootfs.h"

namespace stack::runtime {
namespace {

TEST(MountOptions, FlagsAndData) {
  auto o = parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_FALSE(o.bind());
  EXPECT_TRUE(o.propagation.empty());
}

TEST(MountOptions, LaterOptionsClearEarlierOnes) {
  auto o = parse_mount_options({"ro", "nosuid", "noexec", "rw", "suid", "exec", "nodev"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NODEV));
  auto d = parse_mount_options({"defaults"});
  EXPECT_EQ(d.flags, 0u);
  EXPECT_EQ(d.data, "");
}

TEST(MountOptions, BindAndRbind) {
  auto b = parse_mount_options({"bind", "ro"});
  EXPECT_TRUE(b.bind());
  EXPECT_EQ(b.flags, static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  auto r = parse_mount_options({"rbind"});
  EXPECT_EQ(r.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
}

TEST(MountOptions, PropagationInOrder) {
  auto o = parse_mount_options({"rbind", "rprivate", "shared", "rslave", "unbindable"});
  ASSERT_EQ(o.propagation.size(), 4u);
  EXPECT_EQ(o.propagation[0], static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(o.propagation[1], static_cast<unsigned long>(MS_SHARED));
  EXPECT_EQ(o.propagation[2], static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(o.propagation[3], static_cast<unsigned long>(MS_UNBINDABLE));
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));  // propagation is not a mount flag here
}

TEST(MountOptions, RecursiveAttributes) {
  auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rrw"});
  EXPECT_EQ(o.recursive_set, 0x2u);    // MOUNT_ATTR_NOSUID; rrw undid rro
  EXPECT_EQ(o.recursive_clear, 0x1u);  // MOUNT_ATTR_RDONLY
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, OverlayDataKeptVerbatim) {
  auto o = parse_mount_options({"lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "index=off"});
  EXPECT_EQ(o.flags, 0u);
  EXPECT_EQ(o.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w,index=off");
}

TEST(MountOptions, RuncExtensionsAreNotData) {
  auto o = parse_mount_options({"tmpcopyup", "mode=1777"});
  EXPECT_EQ(o.data, "mode=1777");
}

TEST(Propagation, Names) {
  EXPECT_EQ(propagation_flags("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
  EXPECT_EQ(propagation_flags("private"), static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(propagation_flags("runbindable"), static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
  EXPECT_EQ(propagation_flags(""), 0u);
  EXPECT_EQ(propagation_flags("ro"), 0u);
}

class SecureJoin : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stack-unit-securejoin-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ + "/etc/real");
    std::filesystem::create_symlink("/etc/real", root_ + "/abs");
    std::filesystem::create_symlink("../../../..", root_ + "/etc/up");
    std::filesystem::create_symlink("real", root_ + "/etc/rel");
    std::filesystem::create_symlink("loop", root_ + "/loop");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(SecureJoin, PlainAndMissingComponents) {
  EXPECT_EQ(*secure_join(root_, "/etc/real/x/y"), root_ + "/etc/real/x/y");
  EXPECT_EQ(*secure_join(root_, "etc//./real/"), root_ + "/etc/real");
  EXPECT_EQ(*secure_join(root_, "/"), root_);
}

TEST_F(SecureJoin, DotDotStopsAtRoot) {
  EXPECT_EQ(*secure_join(root_, "/../../etc"), root_ + "/etc");
  EXPECT_EQ(*secure_join(root_, "/etc/../../../tmp"), root_ + "/tmp");
}

TEST_F(SecureJoin, SymlinksResolveInsideRoot) {
  EXPECT_EQ(*secure_join(root_, "/abs/file"), root_ + "/etc/real/file");  // absolute target: from the rootfs
  EXPECT_EQ(*secure_join(root_, "/etc/rel/file"), root_ + "/etc/real/file");
  EXPECT_EQ(*secure_join(root_, "/etc/up/etc/passwd"), root_ + "/etc/passwd");  // cannot climb out
}

TEST_F(SecureJoin, SymlinkLoopIsAnError) {
  auto r = secure_join(root_, "/loop/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, ELOOP);
}

}  // namespace
}  // namespace stack::runtime
