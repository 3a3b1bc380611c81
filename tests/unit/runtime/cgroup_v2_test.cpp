// The v2 backend against a fake unified hierarchy in a temp dir: cgroup.controllers and
// cgroup.subtree_control at every level, a new directory offering what its parent enabled.
#include <gtest/gtest.h>
#include <signal.h>
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

struct FakeV2 {
  std::string root;
  bool swap = true;
  bool bfq = false;

  explicit FakeV2(const std::string& offered = "cpuset cpu io memory hugetlb pids") {
    std::string tmpl = (fake_base() / "stack-cgv2-XXXXXX").string();
    root = ::mkdtemp(tmpl.data());
    write("cgroup.controllers", offered + "\n");
    write("cgroup.subtree_control", "");
    write("cgroup.procs", "");
  }
  ~FakeV2() { fs::remove_all(root); }

  // What mkdir shows in cgroup2: core files, plus the files of the controllers the parent
  // enabled for its children (the fake keeps the last write of "+a +b" to subtree_control).
  void populate(const std::string& dir) const {
    std::string parent = fs::path(dir).parent_path().string();
    std::vector<std::string> enabled;
    for (std::string w : split(read_abs(parent + "/cgroup.subtree_control"), ' ')) {
      w = std::string(trim(w));
      if (w.starts_with('+')) w.erase(0, 1);
      if (!w.empty()) enabled.push_back(w);
    }
    std::map<std::string, std::string> files = {
        {"cgroup.controllers", join(enabled, " ") + "\n"},
        {"cgroup.subtree_control", ""},
        {"cgroup.procs", ""},
        {"cgroup.events", "populated 0\nfrozen 0\n"},
        {"cgroup.freeze", "0"},
        {"cgroup.kill", ""},
        {"cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n"}};
    for (const std::string& c : enabled) {
      if (c == "memory") {
        files.merge(std::map<std::string, std::string>{
            {"memory.max", "max"}, {"memory.low", "0"}, {"memory.high", "max"}, {"memory.current", "8192"},
            {"memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"}});
        if (swap) files["memory.swap.max"] = "max";
      } else if (c == "cpu") {
        files.merge(std::map<std::string, std::string>{{"cpu.weight", "100"}, {"cpu.max", "max 100000"}});
      } else if (c == "io") {
        files["io.weight"] = "default 100";
        if (bfq) files["io.bfq.weight"] = "default 100";
      } else if (c == "pids") {
        files.merge(std::map<std::string, std::string>{{"pids.max", "max"}, {"pids.current", "2"}});
      } else if (c == "cpuset") {
        files.merge(std::map<std::string, std::string>{{"cpuset.cpus", ""}, {"cpuset.mems", ""}});
      }
    }
    for (const auto& [name, content] : files) std::ofstream(dir + "/" + name) << content;
  }
  static void unpopulate(const std::string& dir) {
    for (const auto& e : fs::directory_iterator(dir))
      if (!e.is_directory() || e.is_symlink()) fs::remove(e.path());
  }

  CgroupOptions options() const {
    CgroupOptions o;
    o.root = root;
    o.freeze_timeout = std::chrono::milliseconds(30);
    o.destroy_timeout = std::chrono::milliseconds(30);
    o.after_mkdir = [this](const std::string& d) { populate(d); };
    o.before_rmdir = [](const std::string& d) { unpopulate(d); };
    return o;
  }

  static std::string read_abs(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string read(const std::string& rel) const { return read_abs(root + "/" + rel); }
  void write(const std::string& rel, const std::string& content) const { std::ofstream(root + "/" + rel) << content; }
  bool exists(const std::string& rel) const { return fs::exists(root + "/" + rel); }
  std::vector<std::string> cgroups() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.is_directory()) out.push_back(e.path().string().substr(root.size() + 1));
    return out;
  }
};

TEST(CgroupV2Fake, DetectedAndCreatedWithControllersEnabledTopDown) {
  FakeV2 f;
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .reservation = 8 * MiB, .swap = 64 * MiB};
  r.cpu = CpuResources{.shares = 1024, .quota = 50000, .period = 100000, .cpus = "0", .mems = "0"};
  r.pids = PidsResources{.limit = 0};
  r.block_io = BlockIoResources{.weight = 500};
  r.unified = {{"memory.high", "30000000"}};
  CgroupOptions o = f.options();  // no mode: detection finds cgroup.controllers at the root
  auto cg = Cgroup::create("/stack/c1", r, o);
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ((*cg)->mode(), CgroupMode::V2);
  EXPECT_EQ((*cg)->dirs(), std::vector<std::string>{f.root + "/stack/c1"});
  // One write per level: the defaults, then what the resources need on top.
  EXPECT_EQ(f.read("cgroup.subtree_control"), "+cpu +io +memory +pids +cpuset");
  EXPECT_EQ(f.read("stack/cgroup.subtree_control"), "+cpu +io +memory +pids +cpuset");
  EXPECT_EQ(f.read("stack/c1/cgroup.subtree_control"), "");  // a leaf holds processes: nothing enabled
  EXPECT_EQ(f.read("stack/c1/memory.max"), "33554432");
  EXPECT_EQ(f.read("stack/c1/memory.swap.max"), "33554432");
  EXPECT_EQ(f.read("stack/c1/memory.low"), "8388608");
  EXPECT_EQ(f.read("stack/c1/memory.high"), "30000000");
  EXPECT_EQ(f.read("stack/c1/cpu.weight"), "39");
  EXPECT_EQ(f.read("stack/c1/cpu.max"), "50000 100000");
  EXPECT_EQ(f.read("stack/c1/cpuset.cpus"), "0");
  EXPECT_EQ(f.read("stack/c1/cpuset.mems"), "0");
  EXPECT_EQ(f.read("stack/c1/pids.max"), "max");
  EXPECT_EQ(f.read("stack/c1/io.weight"), "4950");
}

TEST(CgroupV2Fake, WithoutResourcesOnlyTheDefaultControllers) {
  FakeV2 f;
  auto cg = Cgroup::create("c1", std::nullopt, f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ((*cg)->path(), "/stack/c1");
  EXPECT_EQ(f.read("cgroup.subtree_control"), "+cpu +io +memory +pids");
  EXPECT_FALSE(f.exists("stack/c1/cpuset.cpus"));
}

TEST(CgroupV2Fake, EnabledControllersAreNotWrittenAgain) {
  FakeV2 f;
  f.write("cgroup.subtree_control", "cpu io memory pids\n");
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  EXPECT_EQ(f.read("cgroup.subtree_control"), "cpu io memory pids\n");
}

TEST(CgroupV2Fake, ControllersNotOfferedAreSkippedUnlessNeeded) {
  FakeV2 f("memory pids");
  auto ok = Cgroup::create("/stack/ok", std::nullopt, f.options());
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(f.read("cgroup.subtree_control"), "+memory +pids");
  Resources r;
  r.cpu = CpuResources{.cpus = "0"};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().message,
            "cgroup /stack/c1 needs the cpuset controller, which " + f.root + "/cgroup.controllers does not offer");
  EXPECT_FALSE(f.exists("stack/c1"));
}

TEST(CgroupV2Fake, ARefusedWriteNamesFileValueAndErrno) {
  FakeV2 f;
  Resources r;
  r.unified = {{"memory.nonexistent", "5"}};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().message, "write 5 to " + f.root + "/stack/c1/memory.nonexistent");
  EXPECT_EQ(cg.error().errno_value, ENOENT);
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});  // the RAII cleanup ran
}

TEST(CgroupV2Fake, SwapWithoutSwapMaxSaysSo) {
  FakeV2 f;
  f.swap = false;
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .swap = 64 * MiB};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().message.find("memory.swap.max is absent"), std::string::npos) << cg.error().message;
}

TEST(CgroupV2Fake, BfqWeightIsPreferred) {
  FakeV2 f;
  f.bfq = true;
  Resources r;
  r.block_io = BlockIoResources{.weight = 500};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  EXPECT_EQ(f.read("stack/c1/io.bfq.weight"), "500");
  EXPECT_EQ(f.read("stack/c1/io.weight"), "default 100");
}

TEST(CgroupV2Fake, FreezeWaitsForTheFrozenEvent) {
  FakeV2 f;
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  // Nothing says "frozen 1": the deadline passes, the freeze is undone, the error says so.
  auto r = (*cg)->freeze();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, ETIMEDOUT);
  EXPECT_NE(r.error().message.find("did not show \"frozen 1\""), std::string::npos);
  EXPECT_EQ(f.read("stack/c1/cgroup.freeze"), "0");
  // The kernel's answer, faked.
  f.write("stack/c1/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE((*cg)->freeze());
  EXPECT_EQ(f.read("stack/c1/cgroup.freeze"), "1");
  EXPECT_FALSE((*cg)->thaw());  // still "frozen 1"
  f.write("stack/c1/cgroup.events", "populated 1\nfrozen 0\n");
  ASSERT_TRUE((*cg)->thaw());
  EXPECT_EQ(f.read("stack/c1/cgroup.freeze"), "0");
}

TEST(CgroupV2Fake, KillAllUsesCgroupKill) {
  FakeV2 f;
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  ASSERT_TRUE((*cg)->kill_all(SIGKILL));
  EXPECT_EQ(f.read("stack/c1/cgroup.kill"), "1");
}

TEST(CgroupV2Fake, AddProcessStatsAndPids) {
  FakeV2 f;
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB};
  r.pids = PidsResources{.limit = 10};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_TRUE(cg);
  ASSERT_TRUE((*cg)->add_process(999999999));
  EXPECT_EQ(f.read("stack/c1/cgroup.procs"), "999999999");
  auto pids = (*cg)->pids();
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, std::vector<pid_t>{999999999});
  auto s = (*cg)->stats();
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->memory_usage, 8192u);
  EXPECT_EQ(s->memory_limit, uint64_t(32 * MiB));
  EXPECT_EQ(s->oom_kills, 1u);
  EXPECT_EQ(s->pids_current, 2u);
  EXPECT_EQ(s->pids_limit, 10u);
  EXPECT_EQ(s->cpu_usage_ns, 2500000u);
  EXPECT_FALSE(s->memory_failcnt);  // v1 only
}

TEST(CgroupV2Fake, UpdateEnablesWhatItNewlyNeeds) {
  FakeV2 f;
  auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
  ASSERT_TRUE(cg);
  Resources r;
  r.cpu = CpuResources{.quota = -1, .period = 200000};
  r.memory = MemoryResources{.limit = -1};
  ASSERT_TRUE((*cg)->update(r));
  EXPECT_EQ(f.read("stack/c1/cpu.max"), "max 200000");
  EXPECT_EQ(f.read("stack/c1/memory.max"), "max");
  EXPECT_EQ(f.read("stack/c1/memory.swap.max"), "max");
  Resources cpus;
  cpus.cpu = CpuResources{.cpus = "1"};
  // The kernel's part, which a plain file system cannot do: once the root enables cpuset,
  // stack/ offers it, and once stack/ enables it, c1 has its files.
  f.write("stack/cgroup.controllers", "cpuset cpu io memory pids\n");
  f.write("stack/c1/cpuset.cpus", "");
  auto r2 = (*cg)->update(cpus);
  ASSERT_TRUE(r2) << r2.error().to_string();
  EXPECT_EQ(f.read("stack/c1/cpuset.cpus"), "1");
  EXPECT_EQ(f.read("stack/cgroup.subtree_control"), "+cpuset");
  EXPECT_EQ(f.read("cgroup.subtree_control"), "+cpuset");  // the fake keeps only the last write
}

TEST(CgroupV2Fake, DestroyRemovesWhatCreateMadeAndIsIdempotent) {
  FakeV2 f;
  {
    auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
    ASSERT_TRUE(cg);
  }
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
  {
    auto cg = Cgroup::create("/stack/c1", std::nullopt, f.options());
    ASSERT_TRUE(cg);
    (*cg)->release();
  }
  EXPECT_TRUE(f.exists("stack/c1"));
  fs::create_directory(f.root + "/stack/c1/inner");
  f.populate(f.root + "/stack/c1/inner");
  auto cg = Cgroup::open("/stack/c1", f.options());
  ASSERT_TRUE(cg) << cg.error().to_string();
  ASSERT_TRUE((*cg)->destroy());
  ASSERT_TRUE((*cg)->destroy());
  // open() made nothing, so the "stack" parent is not its to remove.
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{"stack"});
  EXPECT_FALSE(Cgroup::open("/stack/c1", f.options()));
}

TEST(CgroupV2Fake, DeviceRulesNeedARealCgroupAndSaySo) {
  FakeV2 f;
  Resources r;
  r.devices = {{.allow = false, .access = "rwm"}};
  auto cg = Cgroup::create("/stack/c1", r, f.options());
  ASSERT_FALSE(cg);
  // Without root the program does not load; as root it loads but a temp dir is no cgroup.
  EXPECT_NE(cg.error().message.find("device filter"), std::string::npos) << cg.error().message;
  EXPECT_EQ(f.cgroups(), std::vector<std::string>{});
}

}  // namespace
}  // namespace stack::runtime
