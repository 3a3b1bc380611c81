#include "engine/runtime/syscalls.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace stack::runtime::sys {

Result<Cloned> clone_into(uint64_t flags, int cgroup_fd) {
  int pidfd = -1;
  struct clone_args args {};
  args.flags = flags | CLONE_PIDFD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail_errno("clone3 into new namespaces");
  Cloned out;
  out.pid = static_cast<pid_t>(pid);
  if (pid > 0) out.pidfd.reset(pidfd);
  return out;
}

Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                   unsigned long flags, const std::string& data) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(),
              flags, data.empty() ? nullptr : data.c_str()) != 0) {
    std::string what = "mount ";
    if (flags & MS_REMOUNT) {
      what = "remount " + target;
    } else if (flags & MS_BIND) {
      what += source + " on " + target + " (bind)";
    } else if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) {
      what = "set propagation of " + target;
    } else {
      what += (source.empty() ? fstype : source) + " on " + target + " (" + fstype + ")";
    }
    if (!data.empty()) what += " with \"" + data + "\"";
    return fail_errno(what);
  }
  return {};
}

Result<void> umount(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) != 0) return fail_errno("umount " + target);
  return {};
}

Result<void> pivot_root(const std::string& new_root, const std::string& put_old) {
  if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) != 0)
    return fail_errno("pivot_root " + new_root + " " + put_old);
  return {};
}

Result<void> sethostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) return fail_errno("sethostname " + name);
  return {};
}

Result<void> setdomainname(const std::string& name) {
  if (::setdomainname(name.data(), name.size()) != 0) return fail_errno("setdomainname " + name);
  return {};
}

Result<void> setns_path(const std::string& path, int nstype) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open namespace " + path);
  if (::setns(fd.get(), nstype) != 0) return fail_errno("setns " + path);
  return {};
}

Result<void> unshare(int flags) {
  if (::unshare(flags) != 0) return fail_errno("unshare");
  return {};
}

Result<void> mknod(const std::string& path, mode_t mode, dev_t dev) {
  if (::mknod(path.c_str(), mode, dev) != 0) return fail_errno("mknod " + path);
  return {};
}

Result<void> symlink(const std::string& target, const std::string& link) {
  if (::symlink(target.c_str(), link.c_str()) != 0) return fail_errno("symlink " + link + " -> " + target);
  return {};
}

Result<void> mkdir_all(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return fail("mkdir " + path + ": exists and is not a directory", ENOTDIR);
  }
  if (errno != ENOENT) return fail_errno("mkdir " + path);
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return fail_errno("mkdir " + path);
  if (auto parent = mkdir_all(path.substr(0, slash), mode); !parent) return parent;
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("mkdir " + path);
  return {};
}

Result<void> touch(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EISDIR || errno == ELOOP) return {};  // something is there already
    return fail_errno("create " + path);
  }
  ::close(fd);
  return {};
}

Result<void> write_existing(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  if (n < 0) return fail_errno("write " + path);
  if (static_cast<size_t>(n) != content.size()) return fail("short write to " + path, EIO);
  return {};
}

}  // namespace stack::runtime::sys
