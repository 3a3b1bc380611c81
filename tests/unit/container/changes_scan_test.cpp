// docker diff from an overlay upper dir against its lower dirs: built as plain trees in a
// temp dir (whiteouts and opaque dirs need root: those cases skip without it).
#include "engine/container/changes_scan.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <utime.h>

#include "tests/unit/compose/temp_dir.h"

namespace stack::container {
namespace {

using stack::testing::TempDir;

std::string text(const std::vector<Change>& changes) {
  std::string out;
  for (const auto& c : changes) out += std::string(1, change_letter(c.kind)) + " " + c.path + "\n";
  return out;
}

void set_mtime(const std::string& path, time_t t) {
  struct timespec times[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

bool make_whiteout(const std::string& path) { return ::mknod(path.c_str(), S_IFCHR | 0, ::makedev(0, 0)) == 0; }

class ChangesScanTest : public ::testing::Test {
 protected:
  TempDir tmp;
  std::string upper = tmp.file("upper"), lower = tmp.file("lower");
  void SetUp() override {
    std::filesystem::create_directories(upper);
    std::filesystem::create_directories(lower);
  }
  Result<std::vector<Change>> scan() { return scan_changes(upper, {lower}); }
};

TEST_F(ChangesScanTest, EmptyUpperHasNoChanges) {
  tmp.write("lower/etc/passwd", "root\n");
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(text(*c), "");
}

TEST_F(ChangesScanTest, AddedFileListsItsChangedParentFirst) {
  tmp.write("lower/etc/passwd", "root\n");
  tmp.write("upper/etc/new.conf", "x\n");
  tmp.write("upper/newdir/a", "a\n");
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  // /etc in upper has another mtime than the lower's: modified; the new dir is added.
  EXPECT_EQ(text(*c), "C /etc\nA /etc/new.conf\nA /newdir\nA /newdir/a\n");
}

TEST_F(ChangesScanTest, ModifiedFileAndUnchangedParentDirectory) {
  tmp.write("lower/etc/passwd", "root\n");
  tmp.write("upper/etc/passwd", "root\nbin\n");
  // The copied-up parent looks the same as the lower one: only the parent rule lists it
  // (for a modification it does not).
  ::chmod(tmp.file("upper/etc").c_str(), 0755);
  ::chmod(tmp.file("lower/etc").c_str(), 0755);
  set_mtime(tmp.file("upper/etc"), 1000);
  set_mtime(tmp.file("lower/etc"), 1000);
  struct stat a {}, b {};
  ::stat(tmp.file("upper/etc").c_str(), &a);
  ::stat(tmp.file("lower/etc").c_str(), &b);
  if (a.st_size != b.st_size) GTEST_SKIP() << "directory sizes differ on this file system";
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(text(*c), "C /etc/passwd\n");
}

TEST_F(ChangesScanTest, WalkOrderIsSortedDepthFirst) {
  tmp.write("upper/b", "");
  tmp.write("upper/a/z", "");
  tmp.write("upper/a/b", "");
  tmp.write("upper/A", "");
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(text(*c), "A /A\nA /a\nA /a/b\nA /a/z\nA /b\n");
}

TEST_F(ChangesScanTest, RuntimeMountPointsAreNotChanges) {
  tmp.write("lower/etc/passwd", "root\n");
  tmp.write("upper/etc/hostname", "");
  tmp.write("upper/etc/hosts", "");
  tmp.write("upper/etc/resolv.conf", "");
  std::filesystem::create_directories(tmp.file("upper/proc"));
  std::filesystem::create_directories(tmp.file("upper/dev"));
  ::chmod(tmp.file("upper/etc").c_str(), 0755);
  ::chmod(tmp.file("lower/etc").c_str(), 0755);
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  // Docker keeps these in its init layer; /etc, changed only by them, is no change either.
  EXPECT_EQ(text(*c), "");
}

TEST_F(ChangesScanTest, SymlinkInLowerIsNotFollowed) {
  // A lower layer's symlink pointing at the host's /etc must not make /etc/x "existing".
  std::filesystem::create_symlink("/etc", tmp.file("lower/link"));
  tmp.write("upper/link/passwd", "");
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(text(*c), "C /link\nA /link/passwd\n");
}

TEST_F(ChangesScanTest, WhiteoutIsDeletion) {
  tmp.write("lower/etc/passwd", "root\n");
  tmp.write("lower/bin/sh", "");
  std::filesystem::create_directories(tmp.file("upper/etc"));
  if (!make_whiteout(tmp.file("upper/etc/passwd"))) GTEST_SKIP() << "mknod needs root";
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(text(*c), "C /etc\nD /etc/passwd\n");
}

TEST_F(ChangesScanTest, OpaqueDirectoryHidesWhatTheImageHadInIt) {
  // rm -rf /data; mkdir /data; touch /data/new. Docker 20.10 (checked live) prints
  // C /data, D /data/old, A /data/new: only the hidden children, not what is below them.
  tmp.write("lower/data/old", "");
  tmp.write("lower/data/sub/deep", "");
  tmp.write("upper/data/new", "");
  if (::setxattr(tmp.file("upper/data").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
    GTEST_SKIP() << "trusted xattrs need root";
  auto c = scan();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(text(*c), "C /data\nD /data/old\nD /data/sub\nA /data/new\n");
}

TEST_F(ChangesScanTest, MissingUpperIsAnError) {
  auto c = scan_changes(tmp.file("nope"), {lower});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("nope"), std::string::npos);
  EXPECT_EQ(c.error().errno_value, ENOENT);
}

}  // namespace
}  // namespace stack::container
