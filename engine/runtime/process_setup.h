// The container process's own settings, applied in the child between rootfs setup and
// exec: hostname, sysctls, rlimits, oom_score_adj, cwd, user and groups, umask,
// no_new_privileges, and the exec itself with Docker's messages for a command that cannot
// be run ("exec: \"foo\": executable file not found in $PATH", exit 127).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/runtime/seccomp.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// The last steps before exec, shared by a container's init and an exec'd process:
// rlimits, no_new_privs, seccomp and capabilities in the order seccomp.h and
// capabilities.h explain, the user, the cwd; returns the executable found for args[0].
// `capabilities` and `seccomp` are the already validated / compiled ones (or none).
Result<std::string> finish_process_setup(const Process& process, const std::optional<Capabilities>& capabilities,
                                         const SeccompProgram* seccomp);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown.
int rlimit_resource(const std::string& name);
// Raising a hard limit needs CAP_SYS_RESOURCE: the error says so.
Result<void> apply_rlimits(const std::vector<Rlimit>& rlimits);
Result<void> set_oom_score_adj(int value);
// Writes /proc/sys/<key with dots as slashes>.
Result<void> apply_sysctls(const std::map<std::string, std::string>& sysctls);
Result<void> set_hostnames(const std::string& hostname, const std::string& domainname);
// Creates cwd (mkdir -p) while still root, as runc does.
Result<void> ensure_cwd(const std::string& cwd);
// setgroups(additional), setresgid, setresuid. Capabilities survive the uid change only
// if keep_capabilities_across_setuid() was called before.
Result<void> switch_user(const User& user);
Result<void> enter_cwd(const std::string& cwd);
Result<void> set_no_new_privileges();

// The PATH value in a KEY=VALUE environment ("" when absent).
std::string path_from_env(const std::vector<std::string>& env);

// Finds the executable as Go's exec.LookPath does (which is what Docker's and runc's
// messages come from). Errors carry errno 0 and Docker's text:
//   exec: "foo": executable file not found in $PATH
//   exec: "/x": stat /x: no such file or directory
//   exec: "/etc": permission denied          (a directory, or no execute bit)
Result<std::string> find_executable(const std::string& name, const std::string& path_env);

// execve; returns only on failure, with "exec /path: <reason>".
Error exec_process(const std::string& path, const std::vector<std::string>& args, const std::vector<std::string>& env);

// The exit status Docker gives a container whose process could not be started: 127 when
// the command was not found, 126 when it could not be executed, 1 otherwise.
int exit_code_for_start_error(const std::string& message);

// strerror as Go spells it ("no such file or directory"), for Docker-shaped messages.
std::string go_strerror(int err);

}  // namespace stack::runtime
