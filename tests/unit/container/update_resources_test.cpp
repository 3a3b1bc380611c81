// docker update's rules (moby container.UpdateContainer) and the cgroup values they give.
#include "engine/container/update_resources.h"

#include <gtest/gtest.h>

namespace stack::container {
namespace {

TEST(UpdateResources, GivenFieldsReplaceAndZeroMeansUnchanged) {
  HostConfig current;
  current.cpu_shares = 512;
  current.memory = 64 << 20;
  current.memory_swap = 128 << 20;
  HostConfig req;
  req.memory = 96 << 20;
  req.pids_limit = 50;
  ASSERT_TRUE(apply_update(current, req, false));
  EXPECT_EQ(current.cpu_shares, 512);
  EXPECT_EQ(current.memory, 96 << 20);
  EXPECT_EQ(current.memory_swap, 128 << 20);
  EXPECT_EQ(current.pids_limit, 50);
  EXPECT_EQ(current.restart_policy.name, "no");
  HostConfig unlimited;
  unlimited.pids_limit = -1;
  ASSERT_TRUE(apply_update(current, unlimited, false));
  EXPECT_EQ(current.pids_limit, 0) << "Docker stores an update to -1 as 0";
}

TEST(UpdateResources, MemoryAboveTheSwapLimitNeedsTheSwapToo) {
  HostConfig current;  // no limits: MemorySwap 0
  HostConfig req;
  req.memory = 64 << 20;
  auto r = apply_update(current, req, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
  EXPECT_EQ(r.error().errno_value, EBUSY);
  EXPECT_EQ(current.memory, 0) << "unchanged on error";
  req.memory_swap = -1;
  ASSERT_TRUE(apply_update(current, req, false));
  EXPECT_EQ(current.memory, 64 << 20);
  EXPECT_EQ(current.memory_swap, -1);
}

TEST(UpdateResources, InvalidValuesAreRefused) {
  HostConfig current;
  HostConfig req;
  req.memory = 1 << 20;
  req.memory_swap = -1;
  auto r = apply_update(current, req, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Minimum memory limit allowed is 6MB");
  EXPECT_EQ(r.error().errno_value, EINVAL);
  HostConfig period;
  period.cpu_period = 10;
  EXPECT_FALSE(apply_update(current, period, false));
}

TEST(UpdateResources, NanoCpusConflictWithPeriodAndQuota) {
  HostConfig current;
  current.cpu_quota = 50000;
  HostConfig req;
  req.nano_cpus = 500'000'000;
  auto r = apply_update(current, req, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
}

TEST(UpdateResources, RestartPolicyAndAutoRemove) {
  HostConfig current;
  HostConfig req;
  req.restart_policy = {"on-failure", 3};
  ASSERT_TRUE(apply_update(current, req, true));
  EXPECT_EQ(current.restart_policy.name, "on-failure");
  EXPECT_EQ(current.restart_policy.maximum_retry_count, 3);

  HostConfig rm;
  rm.auto_remove = true;
  req.restart_policy = {"always", 0};
  auto r = apply_update(rm, req, true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Restart policy cannot be updated because AutoRemove is enabled for the container");
  req.restart_policy = {"no", 0};
  EXPECT_TRUE(apply_update(rm, req, true));
}

TEST(UpdateResources, CgroupValues) {
  HostConfig h;
  h.memory = 64 << 20;
  h.memory_swap = 128 << 20;
  h.nano_cpus = 1'500'000'000;
  h.pids_limit = -1;
  auto res = update_resources(h);
  ASSERT_TRUE(res.memory);
  EXPECT_EQ(res.memory->limit, 64 << 20);
  EXPECT_EQ(res.memory->swap, 128 << 20);
  ASSERT_TRUE(res.cpu);
  EXPECT_EQ(res.cpu->period, 100000u);
  EXPECT_EQ(res.cpu->quota, 150000);
  ASSERT_TRUE(res.pids);
  EXPECT_EQ(res.pids->limit, -1) << "an update to -1 lifts the limit";
  EXPECT_TRUE(res.devices.empty()) << "device rules are left as they are";
}

}  // namespace
}  // namespace stack::container
