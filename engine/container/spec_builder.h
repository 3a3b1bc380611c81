// The OCI spec for a container start, as Docker's daemon/oci_linux.go createSpec
// builds it: Docker's defaults, then the record's process, user, caps, security
// options, mounts, resources and namespaces.
#pragma once

#include <string>

#include "common/error.h"
#include "engine/container/record.h"
#include "engine/runtime/spec.h"

namespace stack::container {

struct SpecPaths {
  std::string rootfs;  // the merged overlay
  std::string hostname_file, hosts_file, resolv_conf_file;
  // Join this network namespace instead of making a new one (the netplane's
  // sandbox, or another container's for network_mode container:<id>).
  std::string network_namespace_path;
};

Result<runtime::Spec> build_spec(const Record& r, const SpecPaths& paths);

// Pieces, exposed for tests and exec.
// Docker's user resolution (moby/sys/user GetExecUser) against the rootfs's
// /etc/passwd and /etc/group; group_add from HostConfig.GroupAdd (names or gids).
Result<runtime::User> resolve_user(const std::string& rootfs, const std::string& user_spec,
                                   const std::vector<std::string>& group_add = {});
// caps.TweakCapabilities: default set, add/drop ("ALL", with or without CAP_), privileged.
Result<std::vector<std::string>> tweak_capabilities(const std::vector<std::string>& add,
                                                    const std::vector<std::string>& drop, bool privileged);
// Docker's container environment: PATH, HOSTNAME, TERM=xterm (tty), then the
// config's env replacing or appending ("KEY" alone removes KEY).
std::vector<std::string> container_env(const Config& c);
// --tmpfs options: "noexec,nosuid,nodev,rprivate" then the user's, merged as
// moby's MergeTmpfsOptions (the last of a flag or key wins). EINVAL on a bad option.
Result<std::vector<std::string>> tmpfs_options(const std::string& user_options);
// A path inside rootfs with symlinks resolved within it (never escaping it),
// as moby's FollowSymlinkInScope.
std::string path_in_rootfs(const std::string& rootfs, const std::string& path);

}  // namespace stack::container
