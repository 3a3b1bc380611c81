#include "engine/container/update_resources.h"

#include <cerrno>

#include "engine/container/create.h"

namespace stack::container {

namespace {

// conflictingUpdateOptions in moby: a 409.
Result<void> conflict(const std::string& message) { return fail(message, EBUSY); }

}  // namespace

Result<void> apply_update(HostConfig& current, const HostConfig& request, bool restart_given) {
  // verifyContainerSettings(update=true): the request's own values; "set Memory with
  // MemorySwap" is a create-only rule (the container may have a memory limit already).
  HostConfig check = request;
  if (check.memory == 0) check.memory_swap = 0;
  check.auto_remove = false;
  if (auto r = validate_host_config(check); !r) return r;

  HostConfig h = current;
  // NanoCPUs sets period and quota itself: neither may be changed under the other.
  if (request.nano_cpus > 0 && h.cpu_period > 0)
    return conflict("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  if (request.nano_cpus > 0 && h.cpu_quota > 0)
    return conflict("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
  if (request.cpu_period > 0 && h.nano_cpus > 0)
    return conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  if (request.cpu_quota > 0 && h.nano_cpus > 0)
    return conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  if (request.blkio_weight != 0) h.blkio_weight = request.blkio_weight;
  if (request.cpu_shares != 0) h.cpu_shares = request.cpu_shares;
  if (request.nano_cpus != 0) h.nano_cpus = request.nano_cpus;
  if (request.cpu_period != 0) h.cpu_period = request.cpu_period;
  if (request.cpu_quota != 0) h.cpu_quota = request.cpu_quota;
  if (!request.cpuset_cpus.empty()) h.cpuset_cpus = request.cpuset_cpus;
  if (!request.cpuset_mems.empty()) h.cpuset_mems = request.cpuset_mems;
  if (request.memory != 0) {
    if (request.memory > h.memory_swap && request.memory_swap == 0)
      return conflict(
          "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    h.memory = request.memory;
  }
  if (request.memory_swap != 0) h.memory_swap = request.memory_swap;
  if (request.memory_reservation != 0) h.memory_reservation = request.memory_reservation;
  if (request.cpu_realtime_period != 0) h.cpu_realtime_period = request.cpu_realtime_period;
  if (request.cpu_realtime_runtime != 0) h.cpu_realtime_runtime = request.cpu_realtime_runtime;
  // Docker keeps an update to "unlimited" (0 or -1) as 0.
  if (request.pids_limit) h.pids_limit = *request.pids_limit > 0 ? *request.pids_limit : 0;
  if (restart_given) {
    if (h.auto_remove && request.restart_policy.name != "no")
      return conflict("Restart policy cannot be updated because AutoRemove is enabled for the container");
    h.restart_policy = request.restart_policy;
  }
  current = std::move(h);
  return {};
}

runtime::Resources update_resources(const HostConfig& h) {
  runtime::Resources res;
  runtime::MemoryResources mem;
  bool any_mem = false;
  if (h.memory != 0) mem.limit = h.memory, any_mem = true;
  if (h.memory_reservation != 0) mem.reservation = h.memory_reservation, any_mem = true;
  if (h.memory_swap != 0) mem.swap = h.memory_swap, any_mem = true;
  if (any_mem) res.memory = mem;
  runtime::CpuResources cpu;
  bool any_cpu = false;
  if (h.cpu_shares != 0) cpu.shares = static_cast<uint64_t>(h.cpu_shares), any_cpu = true;
  if (h.nano_cpus > 0) {
    constexpr int64_t kPeriod = 100000;  // moby: NanoCPUs become a quota over a 100 ms period
    cpu.period = kPeriod;
    cpu.quota = h.nano_cpus * kPeriod / 1'000'000'000;
    any_cpu = true;
  }
  if (h.cpu_period != 0) cpu.period = static_cast<uint64_t>(h.cpu_period), any_cpu = true;
  if (h.cpu_quota != 0) cpu.quota = h.cpu_quota, any_cpu = true;
  if (h.cpu_realtime_period != 0) cpu.realtime_period = static_cast<uint64_t>(h.cpu_realtime_period), any_cpu = true;
  if (h.cpu_realtime_runtime != 0) cpu.realtime_runtime = h.cpu_realtime_runtime, any_cpu = true;
  if (!h.cpuset_cpus.empty()) cpu.cpus = h.cpuset_cpus, any_cpu = true;
  if (!h.cpuset_mems.empty()) cpu.mems = h.cpuset_mems, any_cpu = true;
  if (any_cpu) res.cpu = cpu;
  // An update to -1 or 0 lifts the limit: "max" is written, not left as it was.
  if (h.pids_limit) res.pids = runtime::PidsResources{*h.pids_limit};
  if (h.blkio_weight > 0) res.block_io = runtime::BlockIoResources{h.blkio_weight};
  return res;
}

}  // namespace stack::container
