// Linux capabilities for the container process: name tables, validation, and the
// sequence that leaves the process with exactly the OCI spec's five sets.
//
// Call order in the container's child (after rootfs setup, before exec), as runc's
// finalizeNamespace does it:
//
//   1. validate_capabilities(caps)            -- in the parent, before clone (cheap, pure)
//   2. keep_capabilities_across_setuid()      -- BEFORE setgroups/setgid/setuid: sets
//                                                PR_SET_KEEPCAPS so the permitted set
//                                                survives a 0 -> non-0 uid change
//   3. setgroups / setgid / setuid            -- the core's user setup (needs CAP_SETUID/GID)
//   4. apply_capabilities(caps)               -- AFTER the uid change: raises effective to
//                                                permitted (for CAP_SETPCAP), drops the
//                                                bounding set, sets effective/permitted/
//                                                inheritable, clears KEEPCAPS, raises ambient
//   5. exec
//
// Seccomp without no_new_privileges must be loaded while CAP_SYS_ADMIN is still held,
// i.e. before step 4 (see seccomp.h). If the user stays root, step 2 is harmless.
//
// Host limits (this machine lacks CAP_SYS_RESOURCE): capabilities the kernel does not
// know (index > /proc/sys/kernel/cap_last_cap) are skipped with a warning, as runc and
// crun do. Capabilities the kernel knows but the runtime itself does not hold (not in
// its bounding/permitted set) cannot be granted: apply_capabilities fails with an error
// naming them ("capabilities not held by the runtime, cannot grant: CAP_SYS_RESOURCE").
// runc fails there too (capset: EPERM) but without naming them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// "CAP_CHOWN" -> 0. Accepts only the CAP_-prefixed upper-case spelling, as the OCI spec.
std::optional<int> capability_from_name(std::string_view name);
// 0 -> "CAP_CHOWN"; "" for an index this build does not know.
std::string capability_name(int cap);
// Every capability name this build knows, in index order (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE).
const std::vector<std::string>& known_capability_names();

// Unknown names are an error naming the capability: unknown capability "CAP_FOO" (in ambient).
Result<void> validate_capabilities(const Capabilities& caps);

// The names as a bit mask (bit n = capability n). Unknown names are an error.
Result<uint64_t> capability_mask(const std::vector<std::string>& names);
// The mask as names, in index order.
std::vector<std::string> capability_names_from_mask(uint64_t mask);

// The capabilities in the calling process's bounding set: what "all capabilities"
// (privileged) can mean on this host.
Result<std::vector<std::string>> bounding_capabilities();

// Step 2 above: prctl(PR_SET_KEEPCAPS, 1).
Result<void> keep_capabilities_across_setuid();

// Step 4 above.
Result<void> apply_capabilities(const Capabilities& caps);

}  // namespace stack::runtime
