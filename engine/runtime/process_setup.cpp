#include "engine/runtime/process_setup.h"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/strings.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/syscalls.h"

namespace stack::runtime {

Result<std::string> finish_process_setup(const Process& process, const std::optional<Capabilities>& capabilities,
                                         const SeccompProgram* seccomp) {
  if (auto r = apply_rlimits(process.rlimits); !r) return std::unexpected(r.error());
  if (process.no_new_privileges)
    if (auto r = set_no_new_privileges(); !r) return std::unexpected(r.error());
  if (seccomp && !process.no_new_privileges)
    if (auto r = load_seccomp(*seccomp); !r) return std::unexpected(r.error());  // still holding CAP_SYS_ADMIN
  if (capabilities)
    if (auto r = keep_capabilities_across_setuid(); !r) return std::unexpected(r.error());
  if (auto r = switch_user(process.user); !r) return std::unexpected(r.error());
  if (capabilities)
    if (auto r = apply_capabilities(*capabilities); !r) return std::unexpected(r.error());
  if (auto r = enter_cwd(process.cwd); !r) return std::unexpected(r.error());
  auto found = find_executable(process.args.front(), path_from_env(process.env));
  if (!found) return std::unexpected(found.error());
  if (seccomp && process.no_new_privileges)
    if (auto r = load_seccomp(*seccomp); !r) return std::unexpected(r.error());
  return found;
}

int rlimit_resource(const std::string& name) {
  static const std::map<std::string, int, std::less<>> table = {
      {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  auto it = table.find(name);
  return it == table.end() ? -1 : it->second;
}

Result<void> apply_rlimits(const std::vector<Rlimit>& rlimits) {
  for (const auto& l : rlimits) {
    int resource = rlimit_resource(l.type);
    if (resource < 0) return fail("process.rlimits: unknown rlimit type \"" + l.type + "\"");
    if (l.soft > l.hard)
      return fail("process.rlimits: " + l.type + ": soft limit " + std::to_string(l.soft) + " above hard limit " +
                  std::to_string(l.hard));
    rlimit value{static_cast<rlim_t>(l.soft), static_cast<rlim_t>(l.hard)};
    if (::setrlimit(static_cast<__rlimit_resource>(resource), &value) != 0) {
      int saved = errno;
      std::string what = "setrlimit " + l.type + " " + std::to_string(l.soft) + ":" + std::to_string(l.hard);
      if (saved == EPERM) {
        rlimit current{};
        ::getrlimit(static_cast<__rlimit_resource>(resource), &current);
        what += " (raising the hard limit above " + std::to_string(current.rlim_max) + " needs CAP_SYS_RESOURCE)";
      }
      return fail(what, saved);
    }
  }
  return {};
}

Result<void> set_oom_score_adj(int value) {
  auto r = sys::write_existing("/proc/self/oom_score_adj", std::to_string(value));
  if (!r && r.error().errno_value == EACCES)
    return fail("set oom_score_adj " + std::to_string(value) + " (lowering it needs CAP_SYS_RESOURCE)", EACCES);
  return r;
}

Result<void> apply_sysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [key, value] : sysctls) {
    if (key.find("..") != std::string::npos || key.find('/') != std::string::npos)
      return fail("linux.sysctl: invalid key \"" + key + "\"");
    std::string path = "/proc/sys/" + key;
    for (size_t i = std::strlen("/proc/sys/"); i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    if (auto r = sys::write_existing(path, value); !r)
      return std::unexpected(r.error().wrapped("linux.sysctl " + key + "=" + value));
  }
  return {};
}

Result<void> set_hostnames(const std::string& hostname, const std::string& domainname) {
  if (!hostname.empty())
    if (auto r = sys::sethostname(hostname); !r) return r;
  if (!domainname.empty())
    if (auto r = sys::setdomainname(domainname); !r) return r;
  return {};
}

Result<void> ensure_cwd(const std::string& cwd) { return sys::mkdir_all(cwd, 0755); }

Result<void> switch_user(const User& user) {
  if (::setgroups(user.additional_gids.size(), user.additional_gids.data()) != 0)
    return fail_errno("setgroups for the additional gids");
  if (::setresgid(user.gid, user.gid, user.gid) != 0) return fail_errno("setgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) != 0) return fail_errno("setuid " + std::to_string(user.uid));
  ::umask(user.umask.value_or(022));
  return {};
}

Result<void> enter_cwd(const std::string& cwd) {
  if (::chdir(cwd.c_str()) != 0) return fail_errno("chdir to cwd " + cwd);
  return {};
}

Result<void> set_no_new_privileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail_errno("prctl PR_SET_NO_NEW_PRIVS");
  return {};
}

std::string path_from_env(const std::vector<std::string>& env) {
  std::string path;
  for (const auto& e : env)
    if (e.starts_with("PATH=")) path = e.substr(5);  // the last one wins, as getenv after putenv
  return path;
}

std::string go_strerror(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

namespace {

// Go's findExecutable: 0 when `file` is an executable regular file, else the errno.
int check_executable(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return errno;
  // A directory is "permission denied" too, as Go (and so runc) reports it.
  if (S_ISDIR(st.st_mode) || (st.st_mode & 0111) == 0) return EACCES;
  return 0;
}

}  // namespace

Result<std::string> find_executable(const std::string& name, const std::string& path_env) {
  std::string quoted_name = "\"" + name + "\"";
  if (name.find('/') != std::string::npos) {
    int err = check_executable(name);
    if (err == 0) return name;
    if (err == ENOENT || err == ENOTDIR) return fail("exec: " + quoted_name + ": stat " + name + ": " + go_strerror(err));
    return fail("exec: " + quoted_name + ": " + go_strerror(err));
  }
  if (!name.empty()) {
    for (auto dir : split(path_env, ':')) {
      if (dir.empty()) dir = ".";
      std::string candidate = dir + "/" + name;
      if (check_executable(candidate) == 0) return candidate;
    }
  }
  return fail("exec: " + quoted_name + ": executable file not found in $PATH");
}

Error exec_process(const std::string& path, const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(path.c_str(), argv.data(), envp.data());
  return Error{"exec " + path + ": " + go_strerror(errno), 0};
}

int exit_code_for_start_error(const std::string& message) {
  if (!message.starts_with("exec")) return 1;
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos)
    return 127;
  if (message.find("permission denied") != std::string::npos || message.find("is a directory") != std::string::npos)
    return 126;
  return 1;
}

}  // namespace stack::runtime
