// OCI resources -> cgroup files and values, for both cgroup versions. Pure: what the kernel
// offers comes in through `HasFile`, so every translation is unit-tested without a kernel.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// One write into a cgroup directory. `controller` names the v1 hierarchy ("memory", "cpu", ...);
// for v2 it is the controller the file belongs to ("" for cgroup.* core files), informational.
struct CgroupWrite {
  std::string controller;
  std::string file;
  std::string value;
  friend bool operator==(const CgroupWrite&, const CgroupWrite&) = default;
};

struct CgroupPlan {
  std::vector<CgroupWrite> writes;     // in the order they must be made
  std::vector<std::string> warnings;   // resources ignored on this layout, said out loud
};

// Whether `file` exists in the new cgroup of `controller`'s hierarchy (v1) or in the v2 directory.
using HasFile = std::function<bool(std::string_view controller, std::string_view file)>;

// "/stack/ID" from the spec's cgroupsPath: absolute stays, relative goes under "stack/";
// "." and ".." components, an empty path and the root itself are refused.
Result<std::string> normalize_cgroups_path(std::string_view cgroups_path);

// cgroup v1. `current_memsw_limit` (memory.memsw.limit_in_bytes now) orders the memory and
// memory+swap writes so the kernel's "limit <= memsw" rule holds in between.
Result<CgroupPlan> plan_v1(const Resources& resources, const HasFile& has_file,
                           std::optional<int64_t> current_memsw_limit = std::nullopt);
// "c 1:3 rwm" for devices.allow / devices.deny.
std::string v1_device_rule(const DeviceCgroupRule& rule);

// cgroup v2 (device rules are not files there: see device_filter_program).
Result<CgroupPlan> plan_v2(const Resources& resources, const HasFile& has_file);
// The controllers a v2 plan needs enabled in the parents' cgroup.subtree_control.
std::vector<std::string> v2_controllers_needed(const Resources& resources);
// The controller a v2 interface file belongs to: "memory.max" -> "memory", "cgroup.freeze" -> "".
std::string v2_controller_of(std::string_view file);

// The conversions the OCI runtimes agree on.
uint64_t cpu_shares_to_weight(uint64_t shares);           // 1 + ((shares - 2) * 9999) / 262142
uint64_t blkio_weight_to_io_weight(uint64_t blkio_weight);  // [10, 1000] -> [1, 10000]
// cpu.max: "quota period" or "max period"; empty when neither is set.
std::string v2_cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period);
// memory.swap.max from the OCI memory+swap total: "max", a byte count, or empty (leave alone).
Result<std::string> v2_swap_max(std::optional<int64_t> limit, std::optional<int64_t> swap);

// A BPF_PROG_TYPE_CGROUP_DEVICE program enforcing `rules` as cgroup v1 would: the last
// matching rule decides; a device no rule matches is allowed (v1's default before "a" is
// denied). Rules are validated (type a/b/c, access within "rwm").
Result<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceCgroupRule>& rules);

}  // namespace stack::runtime
