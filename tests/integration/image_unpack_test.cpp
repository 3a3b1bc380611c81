// Layer extraction on the real filesystem (root: ownership, whiteout device nodes,
// trusted.* xattrs), one hostile tarball per escape route.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include "engine/image/layer_unpack.h"
#include "tests/integration/image_test_helpers.h"

namespace stack::image {
namespace {

namespace fs = std::filesystem;
using testing::Compression;
using testing::TarBuilder;
using testing::TempDir;

class UnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    fs::create_directories(tmp_ / "dest");
    fs::create_directories(tmp_ / "outside");
  }
  std::string tar() const { return tmp_ / "layer.tar"; }
  std::string dest() const { return tmp_ / "dest"; }
  std::string outside() const { return tmp_ / "outside"; }
  bool outside_empty() const { return fs::is_empty(outside()); }
  Result<UnpackStats> unpack() { return unpack_layer(tar(), dest()); }

  TempDir tmp_;
};

TEST_F(UnpackTest, PlainGzipZstdAutoDetected) {
  for (Compression c : {Compression::none, Compression::gzip, Compression::zstd}) {
    fs::remove_all(dest());
    fs::create_directories(dest());
    {
      TarBuilder t(tar(), c);
      t.dir("bin").file("bin/tool", "#!/bin/sh\n", 04755, 0, 0).file("home/u/data", "1234", 0600, 1000, 1001);
    }
    auto r = unpack();
    ASSERT_TRUE(r) << r.error().to_string();
    struct stat st {};
    ASSERT_EQ(::lstat((dest() + "/bin/tool").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u) << "setuid kept";
    ASSERT_EQ(::lstat((dest() + "/home/u/data").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1001u);
    EXPECT_EQ(st.st_mtime, 946684800);
    EXPECT_EQ(testing::slurp(dest() + "/home/u/data"), "1234");
    EXPECT_EQ(r->size, 14u);
  }
}

TEST_F(UnpackTest, DotDotBreakoutFailsTheLayer) {
  for (const char* name : {"../escape", "a/../../escape", "./a/b/../../../escape"}) {
    SCOPED_TRACE(name);
    { TarBuilder(tar()).file(name, "x"); }
    auto r = unpack();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("breakout"), std::string::npos) << r.error().to_string();
    EXPECT_FALSE(fs::exists(tmp_ / "escape"));
  }
}

TEST_F(UnpackTest, AbsolutePathsStayInside) {
  { TarBuilder(tar()).file("/etc/abs", "inside").file("a/../b", "clean"); }
  ASSERT_TRUE(unpack());
  EXPECT_EQ(testing::slurp(dest() + "/etc/abs"), "inside");
  EXPECT_EQ(testing::slurp(dest() + "/b"), "clean");
}

TEST_F(UnpackTest, RelativeSymlinkLeavingTheLayerFails) {
  { TarBuilder(tar()).dir("a").symlink("a/link", "../../outside"); }
  auto r = unpack();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid symlink"), std::string::npos) << r.error().to_string();
}

TEST_F(UnpackTest, AbsoluteSymlinkIsKeptButNeverFollowed) {
  // The link itself is fine (inside a container "/" is the rootfs); writing through it is not.
  { TarBuilder(tar()).symlink("evil", outside()).file("evil/pwned", "x"); }
  auto r = unpack();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a directory"), std::string::npos) << r.error().to_string();
  EXPECT_TRUE(outside_empty());
}

TEST_F(UnpackTest, SymlinkReplacedFileIsNotWrittenThrough) {
  std::string victim = outside() + "/victim";
  { TarBuilder(tar()).symlink("f", victim).file("f", "new"); }
  ASSERT_TRUE(unpack());
  EXPECT_FALSE(fs::exists(victim));
  EXPECT_EQ(testing::slurp(dest() + "/f"), "new");
  EXPECT_FALSE(fs::is_symlink(dest() + "/f"));
}

TEST_F(UnpackTest, HardlinkLeavingTheLayerFails) {
  testing::sh("echo secret > " + outside() + "/secret");
  { TarBuilder(tar()).hardlink("h", "../outside/secret"); }
  auto r = unpack();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid hardlink"), std::string::npos) << r.error().to_string();
  EXPECT_FALSE(fs::exists(dest() + "/h"));
}

TEST_F(UnpackTest, HardlinkToSymlinkLinksTheSymlinkItself) {
  { TarBuilder(tar()).symlink("lnk", "/etc/shadow").hardlink("h", "lnk").file("data", "d").hardlink("d2", "data"); }
  ASSERT_TRUE(unpack());
  EXPECT_TRUE(fs::is_symlink(dest() + "/h"));
  EXPECT_EQ(fs::read_symlink(dest() + "/h"), "/etc/shadow");
  struct stat a {}, b {};
  ::stat((dest() + "/data").c_str(), &a);
  ::stat((dest() + "/d2").c_str(), &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(UnpackTest, DeviceNodesAreSkippedWithAWarning) {
  { TarBuilder(tar()).chardev("dev/sda", 8, 0).chardev("dev/mem", 1, 1).fifo("pipe").file("ok", "1"); }
  auto r = unpack();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(fs::exists(dest() + "/dev/sda"));
  EXPECT_FALSE(fs::exists(dest() + "/dev/mem"));
  EXPECT_TRUE(fs::is_fifo(dest() + "/pipe"));
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_EQ(r->warnings[0], "skipped device node dev/sda");
}

TEST_F(UnpackTest, WhiteoutsBecomeOverlayWhiteouts) {
  { TarBuilder(tar()).dir("etc").file("etc/.wh.gone", "").dir("opq").file("opq/.wh..wh..opq", "").file("opq/new", "n"); }
  auto r = unpack();
  ASSERT_TRUE(r) << r.error().to_string();
  struct stat st {};
  ASSERT_EQ(::lstat((dest() + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(dest() + "/etc/.wh.gone"));
  char v[8] = {};
  ASSERT_EQ(::getxattr((dest() + "/opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(fs::exists(dest() + "/opq/.wh..wh..opq"));
  EXPECT_TRUE(fs::exists(dest() + "/opq/new"));
}

TEST_F(UnpackTest, TruncatedArchiveFails) {
  { TarBuilder(tar(), Compression::gzip).file("big", std::string(100000, 'x')); }
  fs::resize_file(tar(), fs::file_size(tar()) / 2);
  EXPECT_FALSE(unpack());
}

TEST_F(UnpackTest, ChainIds) {
  auto ids = chain_ids({"sha256:a", "sha256:b"});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], "sha256:a");
  // sha256("sha256:a sha256:b")
  EXPECT_EQ(ids[1].size(), 71u);
}

}  // namespace
}  // namespace stack::image
