// OCI resources -> cgroup files and values (pure), and the v2 device filter program run
// through a small BPF interpreter so its decisions are checked, not just its shape.
#include "engine/runtime/cgroup_resources.h"

#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <set>

namespace stack::runtime {

static void PrintTo(const CgroupWrite& w, std::ostream* os) {
  *os << "{" << w.controller << ", " << w.file << ", " << w.value << "}";
}

namespace {

// Every file exists unless listed as absent.
HasFile all_but(std::set<std::string> absent = {}) {
  return [absent](std::string_view, std::string_view file) { return !absent.contains(std::string(file)); };
}

std::vector<CgroupWrite> writes_v1(const Resources& r, std::set<std::string> absent = {},
                                   std::optional<int64_t> memsw = std::nullopt) {
  auto plan = plan_v1(r, all_but(std::move(absent)), memsw);
  EXPECT_TRUE(plan) << plan.error().to_string();
  return plan ? plan->writes : std::vector<CgroupWrite>{};
}

std::vector<CgroupWrite> writes_v2(const Resources& r, std::set<std::string> absent = {}) {
  auto plan = plan_v2(r, all_but(std::move(absent)));
  EXPECT_TRUE(plan) << plan.error().to_string();
  return plan ? plan->writes : std::vector<CgroupWrite>{};
}

constexpr int64_t MiB = 1024 * 1024;

TEST(CgroupPath, AbsoluteStaysRelativeGoesUnderStack) {
  EXPECT_EQ(*normalize_cgroups_path("/stack/abc"), "/stack/abc");
  EXPECT_EQ(*normalize_cgroups_path("abc"), "/stack/abc");
  EXPECT_EQ(*normalize_cgroups_path("/a//b/"), "/a/b");
  EXPECT_EQ(*normalize_cgroups_path("x/y"), "/stack/x/y");
  EXPECT_FALSE(normalize_cgroups_path(""));
  EXPECT_FALSE(normalize_cgroups_path("/"));
  EXPECT_FALSE(normalize_cgroups_path("/stack/../etc"));
  EXPECT_FALSE(normalize_cgroups_path("a/./b"));
}

TEST(CgroupV1Plan, EveryResourceToItsFile) {
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .reservation = 16 * MiB, .swap = 64 * MiB, .swappiness = 10,
                             .disable_oom_killer = true};
  r.cpu = CpuResources{.shares = 512, .quota = 50000, .period = 100000, .cpus = "0-1", .mems = "0"};
  r.pids = PidsResources{.limit = 10};
  r.block_io = BlockIoResources{.weight = 300};
  r.devices = {{.allow = false, .access = "rwm"}, {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rw"},
               {.allow = true, .type = "c", .major = 136, .access = "rwm"}};
  std::vector<CgroupWrite> want = {
      {"memory", "memory.limit_in_bytes", "33554432"},
      {"memory", "memory.memsw.limit_in_bytes", "67108864"},
      {"memory", "memory.soft_limit_in_bytes", "16777216"},
      {"memory", "memory.swappiness", "10"},
      {"memory", "memory.oom_control", "1"},
      {"cpu", "cpu.shares", "512"},
      {"cpu", "cpu.cfs_period_us", "100000"},
      {"cpu", "cpu.cfs_quota_us", "50000"},
      {"cpuset", "cpuset.cpus", "0-1"},
      {"cpuset", "cpuset.mems", "0"},
      {"pids", "pids.max", "10"},
      {"blkio", "blkio.weight", "300"},
      {"devices", "devices.deny", "a"},
      {"devices", "devices.allow", "c 1:3 rw"},
      {"devices", "devices.allow", "c 136:* rwm"},
  };
  EXPECT_EQ(writes_v1(r), want);
}

TEST(CgroupV1Plan, PidsUnlimitedIsMax) {
  Resources r;
  r.pids = PidsResources{.limit = 0};
  EXPECT_EQ(writes_v1(r), (std::vector<CgroupWrite>{{"pids", "pids.max", "max"}}));
  r.pids->limit = -1;
  EXPECT_EQ(writes_v1(r), (std::vector<CgroupWrite>{{"pids", "pids.max", "max"}}));
}

TEST(CgroupV1Plan, MemswGrowsBeforeTheLimitAndShrinksAfter) {
  Resources r;
  r.memory = MemoryResources{.limit = 64 * MiB, .swap = 128 * MiB};
  // memsw is 64 MiB now: it must grow first or the new limit... stays legal either way, but
  // memsw 128 > 64 must come first so that limit <= memsw holds after each write.
  auto up = writes_v1(r, {}, 64 * MiB);
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0].file, "memory.memsw.limit_in_bytes");
  EXPECT_EQ(up[1].file, "memory.limit_in_bytes");
  // From unlimited (a new cgroup) the limit goes first.
  auto fresh = writes_v1(r);
  EXPECT_EQ(fresh[0].file, "memory.limit_in_bytes");
  EXPECT_EQ(fresh[1].file, "memory.memsw.limit_in_bytes");
}

TEST(CgroupV1Plan, UnlimitedMemoryFreesSwapToo) {
  Resources r;
  r.memory = MemoryResources{.limit = -1};
  EXPECT_EQ(writes_v1(r), (std::vector<CgroupWrite>{{"memory", "memory.memsw.limit_in_bytes", "-1"},
                                                    {"memory", "memory.limit_in_bytes", "-1"}}));
  // Without swap accounting only the limit is written.
  EXPECT_EQ(writes_v1(r, {"memory.memsw.limit_in_bytes"}),
            (std::vector<CgroupWrite>{{"memory", "memory.limit_in_bytes", "-1"}}));
}

TEST(CgroupV1Plan, SwapWithoutSwapAccountingSaysSo) {
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .swap = 64 * MiB};
  auto plan = plan_v1(r, all_but({"memory.memsw.limit_in_bytes"}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("memory.memsw.limit_in_bytes is absent"), std::string::npos)
      << plan.error().message;
  EXPECT_NE(plan.error().message.find("swapaccount=1"), std::string::npos);
  EXPECT_EQ(plan.error().errno_value, EOPNOTSUPP);
}

TEST(CgroupV1Plan, SwapBelowLimitIsRefused) {
  Resources r;
  r.memory = MemoryResources{.limit = 64 * MiB, .swap = 32 * MiB};
  EXPECT_FALSE(plan_v1(r, all_but()));
  EXPECT_FALSE(plan_v2(r, all_but()));
}

TEST(CgroupV1Plan, BlkioWeightFallsBackToBfqThenFails) {
  Resources r;
  r.block_io = BlockIoResources{.weight = 300};
  EXPECT_EQ(writes_v1(r, {"blkio.weight"}), (std::vector<CgroupWrite>{{"blkio", "blkio.bfq.weight", "300"}}));
  auto plan = plan_v1(r, all_but({"blkio.weight", "blkio.bfq.weight"}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("neither blkio.weight nor blkio.bfq.weight"), std::string::npos);
}

TEST(CgroupV1Plan, UnifiedIsAnError) {
  Resources r;
  r.unified = {{"memory.high", "1000000"}};
  auto plan = plan_v1(r, all_but());
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("memory.high"), std::string::npos);
  EXPECT_NE(plan.error().message.find("cgroup v1"), std::string::npos);
}

TEST(CgroupV1Plan, BadDeviceRulesAndSwappiness) {
  Resources r;
  r.devices = {{.allow = true, .type = "x", .access = "r"}};
  EXPECT_FALSE(plan_v1(r, all_but()));
  r.devices = {{.allow = true, .type = "c", .access = "rx"}};
  EXPECT_FALSE(plan_v1(r, all_but()));
  Resources s;
  s.memory = MemoryResources{.swappiness = 101};
  EXPECT_FALSE(plan_v1(s, all_but()));
}

TEST(CgroupV1Plan, KernelMemoryIsAWarningNotAWrite) {
  Resources r;
  r.memory = MemoryResources{.kernel = 64 * MiB};
  auto plan = plan_v1(r, all_but());
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->writes.empty());
  ASSERT_EQ(plan->warnings.size(), 1u);
}

TEST(CgroupV2Conversions, SharesToWeight) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);  // Docker's default shares
  EXPECT_EQ(cpu_shares_to_weight(512), 20u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(cpu_shares_to_weight(1), 1u);          // clamped to 2
  EXPECT_EQ(cpu_shares_to_weight(1u << 30), 10000u);  // clamped to 262144
  EXPECT_EQ(cpu_shares_to_weight(0), 0u);
}

TEST(CgroupV2Conversions, CpuMax) {
  EXPECT_EQ(v2_cpu_max(50000, 100000), "50000 100000");
  EXPECT_EQ(v2_cpu_max(50000, std::nullopt), "50000 100000");
  EXPECT_EQ(v2_cpu_max(-1, 250000), "max 250000");
  EXPECT_EQ(v2_cpu_max(std::nullopt, 250000), "max 250000");
  EXPECT_EQ(v2_cpu_max(std::nullopt, std::nullopt), "");
  EXPECT_EQ(v2_cpu_max(0, 0), "");
}

TEST(CgroupV2Conversions, SwapIsTotalMinusLimit) {
  EXPECT_EQ(*v2_swap_max(32 * MiB, 64 * MiB), "33554432");
  EXPECT_EQ(*v2_swap_max(32 * MiB, 32 * MiB), "0");
  EXPECT_EQ(*v2_swap_max(32 * MiB, -1), "max");
  EXPECT_EQ(*v2_swap_max(-1, std::nullopt), "max");
  EXPECT_EQ(*v2_swap_max(32 * MiB, std::nullopt), "");
  EXPECT_EQ(*v2_swap_max(32 * MiB, 0), "");
  EXPECT_FALSE(v2_swap_max(std::nullopt, 64 * MiB));  // swap with no memory limit
  EXPECT_FALSE(v2_swap_max(64 * MiB, 32 * MiB));
}

TEST(CgroupV2Conversions, BlkioWeightToIoWeight) {
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
}

TEST(CgroupV2Plan, EveryResourceToItsFile) {
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .reservation = 16 * MiB, .swap = 64 * MiB};
  r.cpu = CpuResources{.shares = 1024, .quota = 50000, .period = 100000, .cpus = "1", .mems = "0"};
  r.pids = PidsResources{.limit = -1};
  r.block_io = BlockIoResources{.weight = 500};
  r.unified = {{"memory.high", "30000000"}, {"cpu.max", "20000 100000"}};
  std::vector<CgroupWrite> want = {
      {"memory", "memory.max", "33554432"}, {"memory", "memory.swap.max", "33554432"},
      {"memory", "memory.low", "16777216"}, {"cpu", "cpu.weight", "39"},
      {"cpu", "cpu.max", "50000 100000"},   {"cpuset", "cpuset.cpus", "1"},
      {"cpuset", "cpuset.mems", "0"},       {"pids", "pids.max", "max"},
      {"io", "io.bfq.weight", "500"},       {"cpu", "cpu.max", "20000 100000"},  // unified last: it wins
      {"memory", "memory.high", "30000000"},
  };
  EXPECT_EQ(writes_v2(r), want);
  EXPECT_EQ(v2_controllers_needed(r), (std::vector<std::string>{"memory", "cpu", "cpuset", "pids", "io"}));
}

TEST(CgroupV2Plan, IoWeightWhenNoBfqAndErrorWhenNeither) {
  Resources r;
  r.block_io = BlockIoResources{.weight = 500};
  EXPECT_EQ(writes_v2(r, {"io.bfq.weight"}), (std::vector<CgroupWrite>{{"io", "io.weight", "4950"}}));
  auto plan = plan_v2(r, all_but({"io.bfq.weight", "io.weight"}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("neither io.bfq.weight nor io.weight"), std::string::npos);
}

TEST(CgroupV2Plan, V1OnlySettingsAreWarnedAboutAndSkipped) {
  Resources r;
  r.memory = MemoryResources{.swappiness = 60, .disable_oom_killer = true};
  auto plan = plan_v2(r, all_but());
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->writes.empty());
  EXPECT_EQ(plan->warnings.size(), 2u);
}

TEST(CgroupV2Plan, SwapWithoutSwapMaxSaysSo) {
  Resources r;
  r.memory = MemoryResources{.limit = 32 * MiB, .swap = 64 * MiB};
  auto plan = plan_v2(r, all_but({"memory.swap.max"}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("memory.swap.max is absent"), std::string::npos);
  // A plain unlimited memory limit does not need swap accounting.
  Resources u;
  u.memory = MemoryResources{.limit = -1};
  EXPECT_EQ(writes_v2(u, {"memory.swap.max"}), (std::vector<CgroupWrite>{{"memory", "memory.max", "max"}}));
}

TEST(CgroupV2Plan, BadUnifiedKeysAndRealtime) {
  for (const char* key : {"../x", "memory", "/etc/passwd", ".hidden", ""}) {
    Resources r;
    r.unified = {{key, "1"}};
    EXPECT_FALSE(plan_v2(r, all_but())) << key;
  }
  Resources rt;
  rt.cpu = CpuResources{.realtime_runtime = 1000};
  EXPECT_FALSE(plan_v2(rt, all_but()));
}

TEST(CgroupV2Plan, ControllerOfFile) {
  EXPECT_EQ(v2_controller_of("memory.max"), "memory");
  EXPECT_EQ(v2_controller_of("hugetlb.2MB.max"), "hugetlb");
  EXPECT_EQ(v2_controller_of("cgroup.freeze"), "");
}

// --- the device filter, executed ------------------------------------------------------------

// Runs the subset of eBPF the generator emits on one device access; fails the test on
// anything else (so a generator change cannot silently escape the check).
int run_filter(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t access, uint32_t major, uint32_t minor) {
  bpf_cgroup_dev_ctx ctx{(access << 16) | type, major, minor};
  uint64_t reg[11] = {};
  const auto* mem = reinterpret_cast<const uint8_t*>(&ctx);
  size_t pc = 0;
  for (int steps = 0; steps < 10000 && pc < prog.size(); ++steps) {
    const bpf_insn& i = prog[pc++];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        EXPECT_EQ(i.src_reg, 1);
        uint32_t v;
        std::memcpy(&v, mem + i.off, 4);
        reg[i.dst_reg] = v;
        break;
      }
      case BPF_ALU | BPF_MOV | BPF_X: reg[i.dst_reg] = static_cast<uint32_t>(reg[i.src_reg]); break;
      case BPF_ALU | BPF_RSH | BPF_K: reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) >> i.imm; break;
      case BPF_ALU | BPF_AND | BPF_K:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) & static_cast<uint32_t>(i.imm);
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K: reg[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (reg[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT: return static_cast<int>(reg[0]);
      default: ADD_FAILURE() << "unexpected opcode " << int(i.code); return -1;
    }
  }
  ADD_FAILURE() << "program ran off its end";
  return -1;
}

constexpr uint32_t C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
constexpr uint32_t R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;

TEST(DeviceFilter, DockerStyleDenyAllThenAllow) {
  std::vector<DeviceCgroupRule> rules = {
      {.allow = false, .access = "rwm"},
      {.allow = true, .type = "c", .major = 1, .minor = 3, .access = "rwm"},   // /dev/null
      {.allow = true, .type = "c", .major = 136, .access = "rw"},             // pts
      {.allow = true, .type = "c", .major = 5, .minor = 1, .access = "r"},
  };
  auto prog = device_filter_program(rules);
  ASSERT_TRUE(prog) << prog.error().to_string();
  EXPECT_EQ(run_filter(*prog, C, R | W, 1, 3), 1);
  EXPECT_EQ(run_filter(*prog, C, M, 1, 3), 1);
  EXPECT_EQ(run_filter(*prog, C, R | W, 1, 5), 0);   // /dev/zero
  EXPECT_EQ(run_filter(*prog, B, R, 1, 3), 0);       // same numbers, block device
  EXPECT_EQ(run_filter(*prog, C, R | W, 136, 7), 1);
  EXPECT_EQ(run_filter(*prog, C, M, 136, 7), 0);     // mknod not granted
  EXPECT_EQ(run_filter(*prog, C, R, 5, 1), 1);
  EXPECT_EQ(run_filter(*prog, C, R | W, 5, 1), 0);   // asks more than the rule gives
  EXPECT_EQ(run_filter(*prog, B, R, 8, 0), 0);
  // The leading deny-all matches everything, so no default tail follows it (the verifier
  // refuses unreachable instructions).
  EXPECT_EQ(prog->back().code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(prog->at(prog->size() - 2).imm, 0);
}

TEST(DeviceFilter, LaterRulesWinAndNoMatchIsAllowed) {
  std::vector<DeviceCgroupRule> rules = {
      {.allow = true, .type = "c", .major = 1, .access = "rwm"},
      {.allow = false, .type = "c", .major = 1, .minor = 5, .access = "rwm"},
  };
  auto prog = device_filter_program(rules);
  ASSERT_TRUE(prog);
  EXPECT_EQ(run_filter(*prog, C, R, 1, 5), 0);
  EXPECT_EQ(run_filter(*prog, C, R, 1, 3), 1);
  EXPECT_EQ(run_filter(*prog, B, R, 8, 0), 1);  // as v1: without "a" denied, all else is allowed
  auto empty = device_filter_program({});
  ASSERT_TRUE(empty);
  EXPECT_EQ(run_filter(*empty, C, R, 1, 5), 1);
}

TEST(DeviceFilter, AllowAllLastEndsTheProgram) {
  auto prog = device_filter_program({{.allow = false, .type = "c", .major = 1, .minor = 5}, {.allow = true}});
  ASSERT_TRUE(prog);
  EXPECT_EQ(run_filter(*prog, C, R, 1, 5), 1);
  EXPECT_EQ(prog->size(), 8u);  // 6 loads + the unconditional allow
}

TEST(DeviceFilter, BadRulesAreRefused) {
  EXPECT_FALSE(device_filter_program({{.allow = true, .type = "u"}}));
  EXPECT_FALSE(device_filter_program({{.allow = true, .type = "c", .access = "rwx"}}));
}

TEST(DeviceRuleV1, Spelling) {
  EXPECT_EQ(v1_device_rule({.allow = false, .access = "rwm"}), "a");
  EXPECT_EQ(v1_device_rule({.allow = true, .type = "b", .major = 8, .access = "r"}), "b 8:* r");
  EXPECT_EQ(v1_device_rule({.allow = true, .type = "c", .major = 10, .minor = 200}), "c 10:200 rwm");
  EXPECT_EQ(v1_device_rule({.allow = true, .type = "c", .major = -1, .minor = -1, .access = "m"}), "c *:* m");
}

}  // namespace
}  // namespace stack::runtime
