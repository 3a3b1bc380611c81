#include "engine/runtime/cgroup_resources.h"

#include <algorithm>

#include "common/strings.h"

namespace stack::runtime {
namespace {

std::string num(int64_t v) { return std::to_string(v); }
std::string num(uint64_t v) { return std::to_string(v); }

// v2 files take "max" for "no limit"; the OCI spec says -1.
std::string max_or(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

Result<void> validate_rule(const DeviceCgroupRule& r) {
  std::string type = r.type.empty() ? "a" : r.type;
  if (type != "a" && type != "b" && type != "c")
    return fail("device cgroup rule: type " + quoted(r.type) + " is not one of a, b, c", EINVAL);
  for (char c : r.access)
    if (c != 'r' && c != 'w' && c != 'm')
      return fail("device cgroup rule: access " + quoted(r.access) + " is not made of r, w, m", EINVAL);
  return {};
}

void plan_unified_refused(const Resources& r, std::vector<std::string>& names) {
  for (const auto& [k, v] : r.unified) names.push_back(k);
}

}  // namespace

Result<std::string> normalize_cgroups_path(std::string_view cgroups_path) {
  if (cgroups_path.empty()) return fail("cgroups path is empty", EINVAL);
  std::vector<std::string> parts;
  if (cgroups_path.front() != '/') parts.push_back("stack");
  for (const std::string& p : split(cgroups_path, '/')) {
    if (p.empty()) continue;
    if (p == "." || p == "..") return fail("cgroups path " + quoted(cgroups_path) + " has a . or .. component", EINVAL);
    parts.push_back(p);
  }
  if (parts.empty()) return fail("cgroups path " + quoted(cgroups_path) + " is the root cgroup", EINVAL);
  return "/" + join(parts, "/");
}

std::string v1_device_rule(const DeviceCgroupRule& rule) {
  std::string type = rule.type.empty() ? "a" : rule.type;
  std::string access = rule.access.empty() ? "rwm" : rule.access;
  bool any_major = !rule.major || *rule.major < 0;
  bool any_minor = !rule.minor || *rule.minor < 0;
  // The kernel reads "a" as "every device, every access" whatever follows.
  if (type == "a" && any_major && any_minor && access == "rwm") return "a";
  return type + " " + (any_major ? std::string("*") : num(*rule.major)) + ":" +
         (any_minor ? std::string("*") : num(*rule.minor)) + " " + access;
}

Result<CgroupPlan> plan_v1(const Resources& res, const HasFile& has_file, std::optional<int64_t> current_memsw_limit) {
  CgroupPlan plan;
  auto& w = plan.writes;

  if (!res.unified.empty()) {
    std::vector<std::string> names;
    plan_unified_refused(res, names);
    return fail("unified cgroup v2 resources (" + join(names, ", ") + ") cannot be applied: this host uses cgroup v1",
                EOPNOTSUPP);
  }

  if (res.memory) {
    const MemoryResources& m = *res.memory;
    const char* kMemsw = "memory.memsw.limit_in_bytes";
    // OCI: swap 0 means "not set"; a limit of -1 with no swap means both unlimited.
    bool has_swap = m.swap && *m.swap != 0;
    int64_t swap = has_swap ? *m.swap : 0;
    if (!has_swap && m.limit && *m.limit == -1 && has_file("memory", kMemsw)) {
      has_swap = true;
      swap = -1;
    }
    if (has_swap && !has_file("memory", kMemsw))
      return fail("memory+swap limit " + num(swap) + " requested, but memory.memsw.limit_in_bytes is absent: "
                  "this kernel does not account swap (boot with swapaccount=1, or drop the swap limit)",
                  EOPNOTSUPP);
    if (has_swap && m.limit && swap >= 0 && *m.limit >= 0 && swap < *m.limit)
      return fail("memory+swap limit " + num(swap) + " is below the memory limit " + num(*m.limit), EINVAL);
    // The kernel keeps memory.limit <= memsw.limit after every write: raise memsw first
    // when it grows, lower the memory limit first when it shrinks.
    bool swap_first = has_swap && (swap == -1 || (current_memsw_limit && *current_memsw_limit >= 0 &&
                                                  swap > *current_memsw_limit));
    if (has_swap && swap_first) w.push_back({"memory", kMemsw, num(swap)});
    if (m.limit) w.push_back({"memory", "memory.limit_in_bytes", num(*m.limit)});
    if (has_swap && !swap_first) w.push_back({"memory", kMemsw, num(swap)});
    if (m.reservation) w.push_back({"memory", "memory.soft_limit_in_bytes", num(*m.reservation)});
    if (m.kernel) plan.warnings.push_back("kernel memory limit (linux.resources.memory.kernel) is deprecated by the kernel and ignored");
    if (m.swappiness) {
      if (*m.swappiness > 100)
        return fail("memory swappiness " + num(*m.swappiness) + " is out of range 0-100", EINVAL);
      w.push_back({"memory", "memory.swappiness", num(*m.swappiness)});
    }
    if (m.disable_oom_killer) w.push_back({"memory", "memory.oom_control", *m.disable_oom_killer ? "1" : "0"});
  }

  if (res.cpu) {
    const CpuResources& c = *res.cpu;
    if (c.shares && *c.shares != 0) w.push_back({"cpu", "cpu.shares", num(*c.shares)});
    // Period before quota: a quota is checked against the period in place.
    if (c.period && *c.period != 0) w.push_back({"cpu", "cpu.cfs_period_us", num(*c.period)});
    if (c.quota && *c.quota != 0) w.push_back({"cpu", "cpu.cfs_quota_us", num(*c.quota)});
    if (c.realtime_period && *c.realtime_period != 0)
      w.push_back({"cpu", "cpu.rt_period_us", num(*c.realtime_period)});
    if (c.realtime_runtime && *c.realtime_runtime != 0)
      w.push_back({"cpu", "cpu.rt_runtime_us", num(*c.realtime_runtime)});
    if (!c.cpus.empty()) w.push_back({"cpuset", "cpuset.cpus", c.cpus});
    if (!c.mems.empty()) w.push_back({"cpuset", "cpuset.mems", c.mems});
  }

  if (res.pids) w.push_back({"pids", "pids.max", res.pids->limit <= 0 ? "max" : num(res.pids->limit)});

  if (res.block_io && res.block_io->weight) {
    uint64_t weight = *res.block_io->weight;
    if (has_file("blkio", "blkio.weight"))
      w.push_back({"blkio", "blkio.weight", num(weight)});
    else if (has_file("blkio", "blkio.bfq.weight"))
      w.push_back({"blkio", "blkio.bfq.weight", num(weight)});
    else
      return fail("blkio weight " + num(weight) + " requested, but neither blkio.weight nor blkio.bfq.weight exists: "
                  "no proportional I/O scheduler (CFQ or BFQ) on this kernel",
                  EOPNOTSUPP);
  }

  for (const DeviceCgroupRule& rule : res.devices) {
    if (auto ok = validate_rule(rule); !ok) return std::unexpected(ok.error());
    w.push_back({"devices", rule.allow ? "devices.allow" : "devices.deny", v1_device_rule(rule)});
  }
  return plan;
}

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  shares = std::clamp<uint64_t>(shares, 2, 262144);  // v1's own range, so the weight lands in [1, 10000]
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + ((weight - 10) * 9999) / 990;
}

std::string v2_cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period) {
  bool has_quota = quota && *quota != 0;
  bool has_period = period && *period != 0;
  if (!has_quota && !has_period) return "";
  uint64_t p = has_period ? *period : 100000;  // the kernel's default period
  if (!has_quota || *quota < 0) return "max " + num(p);
  return num(*quota) + " " + num(p);
}

Result<std::string> v2_swap_max(std::optional<int64_t> limit, std::optional<int64_t> swap) {
  int64_t s = swap.value_or(0);
  int64_t l = limit.value_or(0);
  // As in v1: an unlimited memory limit with no swap setting frees swap too.
  if (l == -1 && s == 0) return std::string("max");
  if (s == 0) return std::string();
  if (s == -1) return std::string("max");
  if (l <= 0) return fail("memory+swap limit " + num(s) + " needs a memory limit on cgroup v2", EINVAL);
  if (s < l) return fail("memory+swap limit " + num(s) + " is below the memory limit " + num(l), EINVAL);
  // v2 counts swap alone; OCI counts memory+swap.
  return num(s - l);
}

std::string v2_controller_of(std::string_view file) {
  auto dot = file.find('.');
  if (dot == std::string_view::npos) return "";
  std::string prefix(file.substr(0, dot));
  if (prefix == "cgroup") return "";
  return prefix;
}

std::vector<std::string> v2_controllers_needed(const Resources& res) {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (!c.empty() && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  if (res.memory) {
    const MemoryResources& m = *res.memory;
    if (m.limit || m.reservation || (m.swap && *m.swap != 0)) add("memory");
  }
  if (res.cpu) {
    const CpuResources& c = *res.cpu;
    if ((c.shares && *c.shares) || (c.quota && *c.quota) || (c.period && *c.period)) add("cpu");
    if (!c.cpus.empty() || !c.mems.empty()) add("cpuset");
  }
  if (res.pids) add("pids");
  if (res.block_io && res.block_io->weight) add("io");
  for (const auto& [k, v] : res.unified) add(v2_controller_of(k));
  return out;
}

Result<CgroupPlan> plan_v2(const Resources& res, const HasFile& has_file) {
  CgroupPlan plan;
  auto& w = plan.writes;

  if (res.memory) {
    const MemoryResources& m = *res.memory;
    if (m.limit) w.push_back({"memory", "memory.max", max_or(*m.limit)});
    auto swap = v2_swap_max(m.limit, m.swap);
    if (!swap) return std::unexpected(swap.error());
    bool swap_asked = m.swap && *m.swap != 0;
    if (!swap->empty() && !swap_asked && !has_file("memory", "memory.swap.max")) swap->clear();
    if (!swap->empty()) {
      if (!has_file("memory", "memory.swap.max"))
        return fail("swap limit requested, but memory.swap.max is absent: this kernel does not account swap "
                    "(CONFIG_MEMCG_SWAP, swapaccount=1), or drop the swap limit",
                    EOPNOTSUPP);
      w.push_back({"memory", "memory.swap.max", *swap});
    }
    if (m.reservation) w.push_back({"memory", "memory.low", max_or(*m.reservation)});
    if (m.kernel) plan.warnings.push_back("kernel memory limit (linux.resources.memory.kernel) does not exist on cgroup v2; ignored");
    if (m.swappiness) plan.warnings.push_back("memory swappiness does not exist on cgroup v2; ignored");
    if (m.disable_oom_killer && *m.disable_oom_killer)
      plan.warnings.push_back("disabling the OOM killer is not possible on cgroup v2; ignored");
  }

  if (res.cpu) {
    const CpuResources& c = *res.cpu;
    if (c.shares && *c.shares != 0) w.push_back({"cpu", "cpu.weight", num(cpu_shares_to_weight(*c.shares))});
    if (std::string max = v2_cpu_max(c.quota, c.period); !max.empty()) w.push_back({"cpu", "cpu.max", max});
    if ((c.realtime_period && *c.realtime_period) || (c.realtime_runtime && *c.realtime_runtime))
      return fail("realtime CPU scheduling (cpu.realtimeRuntime/realtimePeriod) is not supported on cgroup v2",
                  EOPNOTSUPP);
    if (!c.cpus.empty()) w.push_back({"cpuset", "cpuset.cpus", c.cpus});
    if (!c.mems.empty()) w.push_back({"cpuset", "cpuset.mems", c.mems});
  }

  if (res.pids) w.push_back({"pids", "pids.max", res.pids->limit <= 0 ? "max" : num(res.pids->limit)});

  if (res.block_io && res.block_io->weight) {
    uint64_t weight = *res.block_io->weight;
    // io.bfq.weight takes the blkio range as is; io.weight has its own range.
    if (has_file("io", "io.bfq.weight"))
      w.push_back({"io", "io.bfq.weight", num(weight)});
    else if (has_file("io", "io.weight"))
      w.push_back({"io", "io.weight", num(blkio_weight_to_io_weight(weight))});
    else
      return fail("blkio weight " + num(weight) + " requested, but neither io.bfq.weight nor io.weight exists: "
                  "the io controller is not enabled or has no proportional scheduler",
                  EOPNOTSUPP);
  }

  for (const DeviceCgroupRule& rule : res.devices)
    if (auto ok = validate_rule(rule); !ok) return std::unexpected(ok.error());

  // Unified entries come last so they override the typed fields, as the OCI spec allows.
  for (const auto& [key, value] : res.unified) {
    if (key.empty() || key.find('/') != std::string::npos || key.front() == '.' || key.find('.') == std::string::npos)
      return fail("unified cgroup entry " + quoted(key) + " is not a cgroup interface file name", EINVAL);
    w.push_back({v2_controller_of(key), key, value});
  }
  return plan;
}

// --- the device filter --------------------------------------------------------------------

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// Registers: r1 = struct bpf_cgroup_dev_ctx *; r2 = device type, r3 = access, r4 = major,
// r5 = minor; r6 scratch.
constexpr uint8_t R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;

}  // namespace

Result<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceCgroupRule>& rules) {
  for (const auto& r : rules)
    if (auto ok = validate_rule(r); !ok) return std::unexpected(ok.error());

  std::vector<bpf_insn> p;
  // access_type = (access << 16) | type
  p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, R2, R1, offsetof(bpf_cgroup_dev_ctx, access_type), 0));
  p.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, R3, R2, 0, 0));
  p.push_back(insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16));
  p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff));
  p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, R4, R1, offsetof(bpf_cgroup_dev_ctx, major), 0));
  p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, R5, R1, offsetof(bpf_cgroup_dev_ctx, minor), 0));

  // The last matching rule decides, so test them from the end.
  bool unconditional = false;
  for (auto it = rules.rbegin(); it != rules.rend() && !unconditional; ++it) {
    const DeviceCgroupRule& r = *it;
    std::string type = r.type.empty() ? "a" : r.type;
    uint32_t access = 0;
    for (char c : r.access.empty() ? std::string("rwm") : r.access)
      access |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    const uint32_t all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

    std::vector<size_t> jumps;  // "not this rule": patched to jump past the block
    if (type != "a") {
      jumps.push_back(p.size());
      p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0, type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    if (access != all) {
      // The rule covers a request only if every access asked for is in the rule.
      p.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, R6, R3, 0, 0));
      p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, R6, 0, 0, static_cast<int32_t>(~access & all)));
      jumps.push_back(p.size());
      p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R6, 0, 0, 0));
    }
    if (r.major && *r.major >= 0) {
      jumps.push_back(p.size());
      p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, static_cast<int32_t>(*r.major)));
    }
    if (r.minor && *r.minor >= 0) {
      jumps.push_back(p.size());
      p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, static_cast<int32_t>(*r.minor)));
    }
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r.allow ? 1 : 0));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : jumps) p[j].off = static_cast<int16_t>(p.size() - j - 1);
    // A rule matching everything ends the program: the verifier refuses unreachable code.
    unconditional = jumps.empty();
  }
  if (!unconditional) {
    p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  return p;
}

}  // namespace stack::runtime
