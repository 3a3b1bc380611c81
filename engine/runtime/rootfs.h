// The container's filesystem view, built in its own mount namespace: the spec's mounts
// (bind, rbind, tmpfs, proc, sysfs, mqueue, devpts, cgroup, overlay, ...) with their options
// and propagation, /dev populated, pivot_root into the rootfs; then, after sysctls have
// been written, masked and read-only paths and the read-only root.
//
// Every mount is made in the container's mount namespace, so the host sees none of them
// and none outlive the container: nothing here needs undoing on a failure path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// A mount's "options" list, as the kernel takes it.
struct MountOptions {
  unsigned long flags = 0;                 // MS_* (MS_BIND, MS_REC for bind/rbind, MS_RDONLY, ...)
  std::vector<unsigned long> propagation;  // applied after the mount, in order (MS_PRIVATE|MS_REC, ...)
  uint64_t recursive_set = 0;              // MOUNT_ATTR_* for rro, rnosuid, ... (mount_setattr, AT_RECURSIVE)
  uint64_t recursive_clear = 0;
  std::string data;                        // unknown options, comma-joined, passed to the filesystem

  bool bind() const;
};

// Parses options left to right as runc does ("rw" clears an earlier "ro"; "defaults" is
// nothing; unknown words go to data, e.g. "size=65536k,mode=755").
MountOptions parse_mount_options(const std::vector<std::string>& options);

// "rshared" -> MS_SHARED|MS_REC; 0 for anything else.
unsigned long propagation_flags(const std::string& name);

// Joins an untrusted path to root as if root were "/": ".." and symlinks (absolute or
// relative) cannot leave it. Components that do not exist are joined as given.
Result<std::string> secure_join(const std::string& root, const std::string& unsafe_path);

// In the child, in its new mount namespace: makes the host's mounts slaves (or what
// linux.rootfsPropagation asks), mounts the spec's mounts under `rootfs` (absolute),
// populates /dev, and pivots into it. `cgroup_dirs` (the container's cgroup directory in
// each host hierarchy) are bind-mounted for a "cgroup" mount where the kernel refuses a
// fresh cgroup v1 mount (in a user namespace).
// `before_pivot`, when set, runs after the mounts and before pivot_root (the OCI
// createContainer hooks' moment).
Result<void> prepare_rootfs(const Spec& spec, const std::string& rootfs, const std::vector<std::string>& cgroup_dirs = {},
                            const std::function<Result<void>()>& before_pivot = {});

// After pivot_root and sysctls: read-only paths, masked paths, read-only root.
Result<void> finalize_rootfs(const Spec& spec);

}  // namespace stack::runtime
