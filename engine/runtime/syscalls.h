// Thin wrappers over the syscalls the runtime makes. Each returns a Result whose error
// names the operation, the objects and the errno ("mount proc on /proc (proc)" + EPERM), so the
// callers above them only add context.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace stack::runtime::sys {

// The result of clone3 in the parent: the child's pid and a pidfd for it.
struct Cloned {
  pid_t pid = -1;
  UniqueFd pidfd;
};

// clone3 with fork semantics (the child returns from this call on a copy of the stack,
// as fork() does) into the namespaces in `flags` (CLONE_NEW*), with CLONE_PIDFD.
// In the child the returned pid is 0. The caller must be single-threaded.
// With cgroup_fd >= 0 (a cgroup v2 directory) the child is born in that cgroup
// (CLONE_INTO_CGROUP), which costs no migration.
Result<Cloned> clone_into(uint64_t flags, int cgroup_fd = -1);

// mount(2) with an error naming source, target and type: "mount tmpfs on /x (tmpfs): EPERM".
Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                   unsigned long flags, const std::string& data);
Result<void> umount(const std::string& target, int flags);
Result<void> pivot_root(const std::string& new_root, const std::string& put_old);
Result<void> sethostname(const std::string& name);
Result<void> setdomainname(const std::string& name);
// Opens `path` and joins that namespace; `nstype` is the CLONE_NEW* flag.
Result<void> setns_path(const std::string& path, int nstype);
Result<void> unshare(int flags);
Result<void> mknod(const std::string& path, mode_t mode, dev_t dev);
Result<void> symlink(const std::string& target, const std::string& link);
// mkdir -p; existing directories are fine.
Result<void> mkdir_all(const std::string& path, mode_t mode);
// Creates an empty file if nothing is at `path` (a bind-mount target for a file).
Result<void> touch(const std::string& path, mode_t mode);
// Writes a short string to an existing file (/proc/sys/..., /proc/<pid>/uid_map).
Result<void> write_existing(const std::string& path, const std::string& content);

}  // namespace stack::runtime::sys
