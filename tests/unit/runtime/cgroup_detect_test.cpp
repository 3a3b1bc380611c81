// Layout detection from a fake /sys/fs/cgroup and from mountinfo texts.
#include "engine/runtime/cgroup_detect.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace stack::runtime {
namespace {

namespace fs = std::filesystem;

// tmpfs when there is one: the fakes make and drop hundreds of small files, which a
// journalled disk makes 100x slower.
fs::path fake_base() {
  if (!std::getenv("TMPDIR") && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path();
}


struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fake_base() / "stack-cgdetect-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  void touch(const std::string& rel, const std::string& content = "") {
    fs::create_directories(fs::path(path + "/" + rel).parent_path());
    std::ofstream(path + "/" + rel) << content;
  }
};

TEST(DetectCgroupMode, PureV2) {
  TempDir d;
  d.touch("cgroup.controllers", "cpuset cpu io memory pids\n");
  EXPECT_EQ(*detect_cgroup_mode(d.path), CgroupMode::V2);
  EXPECT_EQ(*detect_cgroup_mode(d.path + "/"), CgroupMode::V2);
}

TEST(DetectCgroupMode, HybridIsV1WithAnEmptyUnifiedMount) {
  TempDir d;
  for (const char* c : {"memory", "cpu", "pids", "freezer"}) d.touch(std::string(c) + "/cgroup.procs");
  d.touch("unified/cgroup.controllers", "");
  EXPECT_EQ(*detect_cgroup_mode(d.path), CgroupMode::Hybrid);
}

TEST(DetectCgroupMode, V1) {
  TempDir d;
  d.touch("cpu,cpuacct/cgroup.procs");
  fs::create_directory_symlink("cpu,cpuacct", d.path + "/cpu");
  d.touch("memory/cgroup.procs");
  EXPECT_EQ(*detect_cgroup_mode(d.path), CgroupMode::V1);
}

TEST(DetectCgroupMode, NothingThereSaysWhere) {
  TempDir d;
  auto mode = detect_cgroup_mode(d.path);
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find(d.path), std::string::npos);
  EXPECT_EQ(mode.error().errno_value, ENOENT);
}

// This machine's /proc/self/mountinfo (trimmed).
constexpr const char* kHybrid =
    "23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A systemd host on cgroup v2 (optional fields before the separator).
constexpr const char* kPureV2 =
    "25 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "28 25 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// An older distribution: co-mounted controllers, systemd's named hierarchy, no cgroup2.
constexpr const char* kV1 =
    "30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup rw,xattr,name=systemd\n"
    "34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 30 0:31 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:16 - cgroup cgroup rw,net_cls,net_prio\n";

TEST(DetectFromMountinfo, ThreeLayouts) {
  EXPECT_EQ(*detect_cgroup_mode_from_mountinfo(kHybrid), CgroupMode::Hybrid);
  EXPECT_EQ(*detect_cgroup_mode_from_mountinfo(kPureV2), CgroupMode::V2);
  EXPECT_EQ(*detect_cgroup_mode_from_mountinfo(kV1), CgroupMode::V1);
  EXPECT_FALSE(detect_cgroup_mode_from_mountinfo("23 1 0:21 / /sys rw - sysfs sysfs rw\n"));
  // Only systemd's named hierarchy is no controller at all.
  EXPECT_FALSE(detect_cgroup_mode_from_mountinfo(
      "31 30 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"));
  // Another root: the same mounts seen from elsewhere are not there.
  EXPECT_FALSE(detect_cgroup_mode_from_mountinfo(kPureV2, "/mnt/cg"));
}

TEST(DetectFromMountinfo, ParsesControllersAndEscapes) {
  auto mounts = parse_cgroup_mounts(kV1);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].controllers, (std::vector<std::string>{"name=systemd"}));
  EXPECT_EQ(mounts[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_FALSE(mounts[1].v2);
  auto odd = parse_cgroup_mounts("41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n");
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].mount_point, "/mnt/my cgroups");
  EXPECT_TRUE(odd[0].v2);
  EXPECT_EQ(*detect_cgroup_mode_from_mountinfo("41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n",
                                               "/mnt/my cgroups"),
            CgroupMode::V2);
}

TEST(CgroupModeNames, Spelled) {
  EXPECT_EQ(to_string(CgroupMode::V1), "v1");
  EXPECT_EQ(to_string(CgroupMode::Hybrid), "hybrid");
  EXPECT_EQ(to_string(CgroupMode::V2), "v2");
}

}  // namespace
}  // namespace stack::runtime
