// `docker update`: a container's resources and restart policy changed in place, as moby's
// daemon/update.go and container.UpdateContainer do it, and the cgroup values they become.
#pragma once

#include "common/error.h"
#include "engine/container/record.h"
#include "engine/runtime/spec.h"

namespace stack::container {

// Validates `request` (the update body decoded as a HostConfig: zero means "not given",
// as in Docker) and applies its given fields to `current`. `restart_given`: the body named
// a RestartPolicy. Errors are Docker's, EINVAL for invalid values and EBUSY (409) for
// conflicts with what is set: "Memory limit should be smaller than already set memoryswap
// limit, update the memoryswap at the same time", "Restart policy cannot be updated because
// AutoRemove is enabled for the container". `current` is unchanged on error.
Result<void> apply_update(HostConfig& current, const HostConfig& request, bool restart_given);

// The cgroup resources of a host config (moby getMemoryResources / getCPUResources /
// getPidsLimit), without device rules: for Cgroup::update on a running container.
runtime::Resources update_resources(const HostConfig& h);

}  // namespace stack::container
