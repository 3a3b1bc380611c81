// A container rootfs is an overlay of the image's layers plus a per-container upper dir:
// writes land in the upper dir, the shared layers never change, and nothing stays mounted.
#include "engine/image/overlay_rootfs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "engine/image/store.h"
#include "tests/integration/image_test_helpers.h"

namespace stack::image {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

bool mounted(const std::string& path) {
  auto mounts = read_file("/proc/self/mountinfo");
  return mounts && mounts->find(" " + path + " ") != std::string::npos;
}

TEST(OverlayRootfs, WritesGoToTheUpperDirOnly) {
  TempDir tmp;
  std::string rootfs = testing::make_busybox_rootfs(tmp.path() + "/rootfs");
  auto store = Store::open(tmp.path() + "/state");
  ASSERT_TRUE(store) << store.error().to_string();
  ImportOptions opts;
  opts.source = rootfs;
  opts.reference = "test/busybox:1";
  ASSERT_TRUE(store->import_rootfs(opts));
  auto layers = store->layer_dirs("test/busybox:1");
  ASSERT_TRUE(layers) << layers.error().to_string();
  ASSERT_EQ(layers->size(), 1u);

  std::string container = tmp.path() + "/containers/c1";
  fs::create_directories(tmp.path() + "/containers");
  std::string merged;
  {
    auto root = OverlayRootfs::mount(*layers, container);
    ASSERT_TRUE(root) << root.error().to_string();
    merged = root->merged();
    EXPECT_TRUE(mounted(merged));
    EXPECT_TRUE(fs::exists(merged + "/bin/busybox"));

    std::ofstream(merged + "/etc/added") << "new";
    fs::remove(merged + "/etc/group");
    EXPECT_TRUE(fs::exists(container + "/upper/etc/added"));
    EXPECT_FALSE(fs::exists(layers->front() + "/etc/added")) << "the shared layer must not change";
    EXPECT_TRUE(fs::exists(layers->front() + "/etc/group"));
    // The delete is an overlay whiteout: a 0/0 character device in the upper dir.
    struct stat st {};
    ASSERT_EQ(::lstat((container + "/upper/etc/group").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(0, 0));
  }
  EXPECT_FALSE(mounted(merged)) << "the destructor unmounts";

  // A second container of the same image sees the image as it was.
  auto again = OverlayRootfs::mount(*layers, tmp.path() + "/containers/c2");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(fs::exists(again->merged() + "/etc/group"));
  EXPECT_FALSE(fs::exists(again->merged() + "/etc/added"));
  ASSERT_TRUE(again->unmount());
  EXPECT_FALSE(mounted(tmp.path() + "/containers/c2/merged"));
}

TEST(OverlayRootfs, EmptyImageStillMounts) {
  TempDir tmp;
  auto root = OverlayRootfs::mount({}, tmp.path() + "/c");
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_TRUE(fs::is_empty(root->merged()));
}

TEST(OverlayRootfs, TooManyLayersIsAClearError) {
  std::vector<std::string> lowers(200, "/var/lib/stack/image/layers/0123456789abcdef0123456789abcdef");
  auto data = overlay_mount_data(lowers, "/u", "/w");
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().errno_value, E2BIG);
  EXPECT_NE(data.error().message.find("200 layers"), std::string::npos);
}

TEST(OverlayRootfs, MissingLayerNamesTheMountPoint) {
  TempDir tmp;
  auto root = OverlayRootfs::mount({tmp.path() + "/no-such-layer"}, tmp.path() + "/c");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().to_string().rfind("mount overlay on " + tmp.path() + "/c/merged: ", 0), 0u)
      << root.error().to_string();
}

}  // namespace
}  // namespace stack::image
