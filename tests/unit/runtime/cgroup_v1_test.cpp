// The v1 backend against a fake cgroupfs: a temp dir with one directory per controller and
// the files a kernel shows in them. The options' mkdir/rmdir seams stand in for the kernel
// filling a new cgroup with its files and dropping them on rmdir.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "engine/runtime/cgroups.h"

namespace stack::runtime {
namespace {

namespace fs = std::filesystem;

// tmpfs when there is one: the fakes make and drop hundreds of small files, which a
// journalled disk makes 100x slower.
fs::path fake_base() {
  if (!std::getenv("TMPDIR") && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path();
}

constexpr int64_t MiB = 1024 * 1024;
constexpr const char* kUnlimited = "9223372036854771712";
// Larger than any pid_max: kill() says ESRCH, so no real process can be hit.
constexpr const char* kFakePid = "999999999";

struct FakeV1 {
  std::string root;
  bool memsw = true;
  bool blkio_weight = true;
  bool bfq = false;
  std::vector<std::string> hierarchies;  // directory names under root

  explicit FakeV1(bool co_mount = false, std::set<std::string> skip = {}) {
    std::string tmpl = (fake_base() / "stack-cgv1-XXXXXX").string();
    root = ::mkdtemp(tmpl.data());
    for (std::string c : {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "freezer", "devices"}) {
      if (skip.contains(c)) continue;
      if (co_mount && (c == "cpu" || c == "cpuacct")) continue;
      hierarchies.push_back(c);
    }
    if (co_mount) hierarchies.push_back("cpu,cpuacct");
    for (const std::string& h : hierarchies) {
      fs::create_directories(root + "/" + h);
      populate(root + "/" + h);
    }
    if (co_mount) {
      fs::create_directory_symlink("cpu,cpuacct", root + "/cpu");
      fs::create_directory_symlink("cpu,cpuacct", root + "/cpuacct");
    }
    write("cpuset/cpuset.cpus", "0-3\n");
    write("cpuset/cpuset.mems", "0\n");
  }
  ~FakeV1() { fs::remove_all(root); }

  std::map<std::string, std::string> files_of(const std::string& controller) const {
    if (controller == "cpu")
      return {{"cpu.shares", "1024"}, {"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "-1"},
              {"cpu.rt_period_us", "1000000"}, {"cpu.rt_runtime_us", "0"}};
    if (controller == "cpuacct") return {{"cpuacct.usage", "123456789"}};
    if (controller == "memory") {
      std::map<std::string, std::string> m = {
          {"memory.limit_in_bytes", kUnlimited}, {"memory.soft_limit_in_bytes", kUnlimited},
          {"memory.swappiness", "60"},          {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"},
          {"memory.usage_in_bytes", "4096"},    {"memory.failcnt", "7"}};
      if (memsw) m["memory.memsw.limit_in_bytes"] = kUnlimited;
      return m;
    }
    if (controller == "pids") return {{"pids.max", "max"}, {"pids.current", "3"}};
    if (controller == "blkio") {
      std::map<std::string, std::string> m;
      if (blkio_weight) m["blkio.weight"] = "500";
      if (bfq) m["blkio.bfq.weight"] = "100";
      return m;
    }
    if (controller == "cpuset") return {{"cpuset.cpus", ""}, {"cpuset.mems", ""}};
    if (controller == "freezer") return {{"freezer.state", "THAWED"}};
    if (controller == "devices") return {{"devices.allow", ""}, {"devices.deny", ""}, {"devices.list", "a *:* rwm"}};
    return {};
  }

  // What mkdir in a cgroupfs hierarchy shows.
  void populate(const std::string& dir) const {
    std::string rel = dir.substr(root.size() + 1);
    std::string hierarchy = rel.substr(0, rel.find('/'));
    std::map<std::string, std::string> files = {{"cgroup.procs", ""}, {"tasks", ""}};
    for (const std::string& c : split(hierarchy, ',')) files.merge(files_of(c));
    for (const auto& [name, content] : files) std::ofstream(dir + "/" + name) << content;
  }
  static void unpopulate(const std::string& dir) {
    for (const auto& e : fs::directory_iterator(dir))
      if (!e.is_directory() || e.is_symlink()) fs::remove(e.path());
  }

  CgroupOptions options() const {
    CgroupOptions o;
    o.root = root;
    o.mode = CgroupMode::V1;
    o.freeze_timeout = std::chrono::milliseconds(30);
    o.destroy_timeout = std::chrono::milliseconds(30);
    o.after_mkdir = [this](const std::string& d) { populate(d); };
    o.before_rmdir = [](const std::string& d) { unpopulate(d); };
    return o;
  }

  std::string read(const std::string& rel) const {
    std::ifstream in(root + "/" + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void write(const std::string& rel, const std::string& content) const { std::ofstream(root + "/" + rel) << content; }
  bool exists(const std::string& rel) const { return fs::exists(root + "/" + rel); }
  // Directories below the hierarchy roots: what a test must leave behind (nothing).
  std::vector<std::string> cgroups() const {
    std::vector<std::string> out;
    for (const std::string& h : hierarchies)
      for (const auto& e : fs::recursive_directory_iterator(root + "/" + h))
        if (e.is_directory()) out.push_back(e.path().string().substr(root.size() + 1));
    return out;
  }
};

TEST(CgroupV1Fake, CreateAppliesEveryResourceInItsHierarchy) {
  FakeV1 f;
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .reservation = 16 * MiB, .swap = 64 * MiB, .swappiness = 0,
                             .disable_oom_killer = true};
  r.cpu = CpuResources{.shares = 512, .quota = 50000, .period = 100000, .cpus = "1-2", .mems = "0"};
  r.pids = PidsResources{.limit = 10};
  r.block_io = BlockIoResources{.weight = 300};
  r.devices = {{.allow = false, .access = "rwm"}, {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"}};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ((*cg)->path(), "/stack/c1");
  EXPECT_EQ((*cg)->mode(), CgroupMode::V1);
  EXPECT_EQ((*cg)->dirs().size(), 8u);
  EXPECT_EQ(f.read("memory/stack/c1/memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(f.read("memory/stack/c1/memory.memsw.limit_in_bytes"), "67108864");
  EXPECT_EQ(f.read("memory/stack/c1/memory.soft_limit_in_bytes"), "16777216");
  EXPECT_EQ(f.read("memory/stack/c1/memory.swappiness"), "0");
  EXPECT_EQ(f.read("memory/stack/c1/memory.oom_control"), "1");
  EXPECT_EQ(f.read("cpu/stack/c1/cpu.shares"), "512");
  EXPECT_EQ(f.read("cpu/stack/c1/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(f.read("cpu/stack/c1/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(f.read("cpuset/stack/c1/cpuset.cpus"), "1-2");
  EXPECT_EQ(f.read("cpuset/stack/c1/cpuset.mems"), "0");
  EXPECT_EQ(f.read("pids/stack/c1/pids.max"), "10");
  EXPECT_EQ(f.read("blkio/stack/c1/blkio.weight"), "300");
  // A plain file keeps only the last write: the allow after the deny-all.
  EXPECT_EQ(f.read("devices/stack/c1/devices.deny"), "a");
  EXPECT_EQ(f.read("devices/stack/c1/devices.allow"), "c 1:3 rwm");
  EXPECT_TRUE(f.exists("cpuacct/stack/c1/cgroup.procs"));
  EXPECT_TRUE(f.exists("freezer/stack/c1/freezer.state"));
}

TEST(CgroupV1Fake, CpusetIsCopiedFromTheParentAtEveryLevel) {
  FakeV1 f;
  auto cg = Cgroup::create("relative-id", std::nullopt, f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ((*cg)->path(), "/stack/relative-id");
  EXPECT_EQ(f.read("cpuset/stack/cpuset.cpus"), "0-3");
  EXPECT_EQ(f.read("cpuset/stack/cpuset.mems"), "0");
  EXPECT_EQ(f.read("cpuset/stack/relative-id/cpuset.cpus"), "0-3");
  EXPECT_EQ(f.read("cpuset/stack/relative-id/cpuset.mems"), "0");
}

TEST(CgroupV1Fake, TheDestructorRemovesWhatCreateMadeOnly) {
  FakeV1 f;
  {
    auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
    ASSERT_TRUE(cg) << cg.error().to_string();
    EXPECT_EQ(f.cgroups().size(), 16u);  // stack and stack/c1 in 8 hierarchies
  }
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
  // A parent that was there before stays.
  fs::create_directory(f.root + "/memory/stack");
  f.populate(f.root + "/memory/stack");
  {
    auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
    ASSERT_TRUE(cg);
  }
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{"memory/stack"});
}

TEST(CgroupV1Fake, ReleaseKeepsItOpenFindsItDestroyRemovesItTwice) {
  FakeV1 f;
  {
    auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
    ASSERT_TRUE(cg);
    (*cg)->release();
  }
  EXPECT_TRUE(f.exists("freezer/stack/c1"));
  // A container that made its own sub-cgroup: destroy goes depth first.
  fs::create_directory(f.root + "/memory/stack/c1/inner");
  f.populate(f.root + "/memory/stack/c1/inner");
  {
    auto cg = Cgroup::open("/stack/c1", f.options());
    ASSERT_TRUE(cg) << cg.error().to_string();
    EXPECT_FALSE((*cg)->owned());
    auto r = (*cg)->destroy();
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE((*cg)->destroy());  // idempotent
  }
  EXPECT_FALSE(f.exists("memory/stack/c1"));
  EXPECT_FALSE(f.exists("pids/stack/c1"));
  auto missing = Cgroup::open("/stack/nope", f.options());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value, ENOENT);
}

TEST(CgroupV1Fake, ARefusedWriteNamesFileValueAndErrnoAndLeavesNothing) {
  FakeV1 f;
  CgroupOptions o = f.options();
  o.after_mkdir = [&f](const std::string& d) {
    f.populate(d);
    // /dev/full refuses every write with ENOSPC, as the kernel would refuse a value.
    if (d.ends_with("memory/stack/c1")) {
      fs::remove(d + "/memory.limit_in_bytes");
      fs::create_symlink("/dev/full", d + "/memory.limit_in_bytes");
    }
  };
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB};
  auto cg = Cgroup::create("/stack/c1", r, o);
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().message, "write 33554432 to " + f.root + "/memory/stack/c1/memory.limit_in_bytes");
  EXPECT_EQ(cg.error().errno_value, ENOSPC);
  EXPECT_NE(cg.error().to_string().find("No space left on device"), std::string::npos);
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
}

TEST(CgroupV1Fake, SwapWithoutMemswSaysSoAndLeavesNothing) {
  FakeV1 f;
  f.memsw = false;
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .swap = 64 * MiB};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().message.find("memory.memsw.limit_in_bytes is absent"), std::string::npos)
      << cg.error().message;
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
}

TEST(CgroupV1Fake, UnifiedIsRefusedOnV1) {
  FakeV1 f;
  Resources r;
  r.unified = {{"memory.high", "1"}};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().message.find("cgroup v1"), std::string::npos);
}

TEST(CgroupV1Fake, AMissingControllerThatIsNeededIsNamed) {
  FakeV1 f(false, {"pids"});
  EXPECT_TRUE(Cgroup::create("/stack/ok", std::nullopt, f.options()));  // not needed: fine
  Resources r;
  r.pids = PidsResources{.limit = 10};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().message.find("needs the pids controller, which is not mounted under " + f.root),
            std::string::npos)
      << cg.error().message;
}

TEST(CgroupV1Fake, BlkioFallsBackToBfq) {
  FakeV1 f;
  f.blkio_weight = false;
  f.bfq = true;
  Resources r;
  r.block_io = BlockIoResources{.weight = 300};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ(f.read("blkio/stack/c1/blkio.bfq.weight"), "300");
}

TEST(CgroupV1Fake, CoMountedCpuAndCpuacctAreOneHierarchy) {
  FakeV1 f(true);
  Resources r;
  r.cpu = CpuResources{.shares = 256};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ((*cg)->dirs().size(), 7u);
  EXPECT_EQ(f.read("cpu,cpuacct/stack/c1/cpu.shares"), "256");
  auto stats = (*cg)->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->cpu_usage_ns, 123456789u);
}

TEST(CgroupV1Fake, AddProcessGoesToEveryHierarchy) {
  FakeV1 f;
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  ASSERT_TRUE((*cg)->add_process(999999999));
  for (const std::string& h : f.hierarchies) EXPECT_EQ(f.read(h + "/stack/c1/cgroup.procs"), kFakePid) << h;
}

TEST(CgroupV1Fake, FreezeWaitsForFrozenAndTimesOutClearly) {
  FakeV1 f;
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  ASSERT_TRUE((*cg)->freeze());
  EXPECT_EQ(f.read("freezer/stack/c1/freezer.state"), "FROZEN");
  ASSERT_TRUE((*cg)->thaw());
  EXPECT_EQ(f.read("freezer/stack/c1/freezer.state"), "THAWED");
  // A state file that never says FROZEN (reads of /dev/null are empty).
  fs::remove(f.root + "/freezer/stack/c1/freezer.state");
  fs::create_symlink("/dev/null", f.root + "/freezer/stack/c1/freezer.state");
  auto start = std::chrono::steady_clock::now();
  auto r = (*cg)->freeze();
  ASSERT_FALSE(r);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  EXPECT_EQ(r.error().errno_value, ETIMEDOUT);
  EXPECT_NE(r.error().message.find("freeze cgroup " + f.root + "/freezer/stack/c1"), std::string::npos);
}

TEST(CgroupV1Fake, FreezeWithoutFreezerSaysSo) {
  FakeV1 f(false, {"freezer"});
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  auto r = (*cg)->freeze();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("freezer controller is not mounted"), std::string::npos);
}

TEST(CgroupV1Fake, PidsIncludeDescendantsAndStatsReadTheFiles) {
  FakeV1 f;
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  f.write("pids/stack/c1/cgroup.procs", std::string(kFakePid) + "\n");
  fs::create_directory(f.root + "/pids/stack/c1/inner");
  f.populate(f.root + "/pids/stack/c1/inner");
  f.write("pids/stack/c1/inner/cgroup.procs", "999999998\n");
  auto pids = (*cg)->pids();
  ASSERT_TRUE(pids) << pids.error().to_string();
  EXPECT_EQ(*pids, (std::vector<pid_t>{999999999, 999999998}));
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB};
  r.pids = PidsResources{.limit = 20};
  ASSERT_TRUE((*cg)->update(r));
  auto s = (*cg)->stats();
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->memory_usage, 4096u);
  EXPECT_EQ(s->memory_limit, uint64_t(32 * MiB));
  EXPECT_EQ(s->memory_failcnt, 7u);
  EXPECT_EQ(s->oom_kills, 2u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->pids_limit, 20u);
  EXPECT_EQ(s->cpu_usage_ns, 123456789u);
  // destroy() signals the listed pids (none exists) and removes the tree.
  ASSERT_TRUE((*cg)->destroy());
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
}

TEST(CgroupV1Fake, UpdateOrdersMemswAgainstTheCurrentValue) {
  FakeV1 f;
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .swap = 32 * MiB};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_TRUE(cg);
  // Growing past the current memsw (32 MiB): memsw must go first (the order itself is
  // checked in cgroup_resources_test); here, that the current value is read and both land.
  Resources up;
  up.memory = MemoryResources{.limit = 64 * MiB, .swap = 128 * MiB};
  ASSERT_TRUE((*cg)->update(up));
  EXPECT_EQ(f.read("memory/stack/c1/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(f.read("memory/stack/c1/memory.memsw.limit_in_bytes"), "134217728");
}

TEST(CgroupV1Fake, BadPathsAreRefused) {
  FakeV1 f;
  EXPECT_FALSE(Cgroup::create("/stack/../../etc", std::nullopt, f.options()));
  EXPECT_FALSE(Cgroup::create("", std::nullopt, f.options()));
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
}

}  // namespace
}  // namespace stack::runtime
