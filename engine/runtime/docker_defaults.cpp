#include "engine/runtime/docker_defaults.h"

#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <utility>

namespace stack::runtime {
namespace {

// Docker's profile is a list of rules with conditions on the container (moby
// profiles/seccomp: includes/excludes by capability, arch and kernel version);
// setupSeccomp turns it into a plain OCI profile for one container.
struct Condition {
  std::vector<std::string> caps;    // all held (includes) / any held (excludes)
  std::vector<std::string> arches;  // Go-style arch names, as moby writes them: amd64, x86, x32, arm64, ...
  std::optional<std::pair<int, int>> min_kernel;
};

struct ProfileRule {
  SeccompSyscall call;
  Condition includes;
  Condition excludes;
};

SeccompSyscall allow(std::vector<std::string> names, std::vector<SeccompArg> args = {}) {
  return SeccompSyscall{std::move(names), "SCMP_ACT_ALLOW", std::nullopt, std::move(args)};
}

SeccompArg arg_eq(unsigned index, uint64_t value) { return SeccompArg{index, value, 0, "SCMP_CMP_EQ"}; }

// The namespace flags clone may not carry without CAP_SYS_ADMIN.
constexpr uint64_t kNamespaceFlags =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

// AF_ALG and AF_VSOCK are refused (moby profiles v0.2.x); the rules rely on them being
// 38 and 40 with one family between.
static_assert(AF_ALG == 38 && AF_VSOCK == 40);

std::vector<ProfileRule> docker_profile_rules() {
  std::vector<ProfileRule> rules;
  auto add = [&](SeccompSyscall call, Condition includes = {}, Condition excludes = {}) {
    rules.push_back(ProfileRule{std::move(call), std::move(includes), std::move(excludes)});
  };

  // What any container may call. Names of other arches and newer kernels are listed
  // too; the runtime skips those libseccomp does not know.
  add(allow({
      "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
      "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
      "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
      "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
      "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
      "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
      "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
      "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
      "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
      "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
      "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
      "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
      "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
      "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
      "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
      "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
      "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
      "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
      "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
      "lgetxattr", "link", "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr",
      "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
      "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
      "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
      "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
      "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
      "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
      "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
      "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
      "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
      "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
      "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "riscv_hwprobe",
      "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
      "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
      "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
      "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
      "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
      "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
      "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
      "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
      "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
      "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
      "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64",
      "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
      "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
      "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
      "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
      "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
      "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
  }));
  add(allow({"process_vm_readv", "process_vm_writev", "ptrace"}), {.min_kernel = std::pair{4, 8}});
  add(allow({"socket"}, {SeccompArg{0, AF_ALG, 0, "SCMP_CMP_LT"}}));
  add(allow({"socket"}, {arg_eq(0, AF_ALG + 1)}));
  add(allow({"socket"}, {SeccompArg{0, AF_VSOCK, 0, "SCMP_CMP_GT"}}));
  // personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff.
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    add(allow({"personality"}, {arg_eq(0, persona)}));
  }
  add(allow({"sync_file_range2", "swapcontext"}), {.arches = {"ppc64le"}});
  add(allow({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"}),
      {.arches = {"arm", "arm64"}});
  add(allow({"arch_prctl"}), {.arches = {"amd64", "x32"}});
  add(allow({"modify_ldt"}), {.arches = {"amd64", "x32", "x86"}});
  add(allow({"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}), {.arches = {"s390", "s390x"}});
  add(allow({"riscv_flush_icache"}), {.arches = {"riscv64"}});

  // By capability.
  add(allow({"open_by_handle_at"}), {.caps = {"CAP_DAC_READ_SEARCH"}});
  add(allow({"bpf",           "clone",          "clone3",       "fanotify_init",     "fsconfig",
             "fsmount",       "fsopen",         "fspick",       "lookup_dcookie",    "lsm_get_self_attr",
             "lsm_list_modules", "lsm_set_self_attr", "mount",  "mount_setattr",     "move_mount",
             "open_tree",     "perf_event_open", "quotactl",    "quotactl_fd",       "setdomainname",
             "sethostname",   "setns",          "syslog",       "umount",            "umount2",
             "unshare"}),
      {.caps = {"CAP_SYS_ADMIN"}});
  // Without CAP_SYS_ADMIN clone may not create namespaces (s390 swaps the first two args).
  add(allow({"clone"}, {SeccompArg{0, kNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"}}), {},
      {.caps = {"CAP_SYS_ADMIN"}, .arches = {"s390", "s390x"}});
  add(allow({"clone"}, {SeccompArg{1, kNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"}}), {.arches = {"s390", "s390x"}},
      {.caps = {"CAP_SYS_ADMIN"}});
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone.
  add(SeccompSyscall{{"clone3"}, "SCMP_ACT_ERRNO", ENOSYS, {}}, {}, {.caps = {"CAP_SYS_ADMIN"}});
  add(allow({"reboot"}), {.caps = {"CAP_SYS_BOOT"}});
  add(allow({"chroot"}), {.caps = {"CAP_SYS_CHROOT"}});
  add(allow({"delete_module", "init_module", "finit_module"}), {.caps = {"CAP_SYS_MODULE"}});
  add(allow({"acct"}), {.caps = {"CAP_SYS_PACCT"}});
  add(allow({"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}),
      {.caps = {"CAP_SYS_PTRACE"}});
  add(allow({"iopl", "ioperm"}), {.caps = {"CAP_SYS_RAWIO"}});
  add(allow({"settimeofday", "stime", "clock_settime", "clock_settime64"}), {.caps = {"CAP_SYS_TIME"}});
  add(allow({"vhangup"}), {.caps = {"CAP_SYS_TTY_CONFIG"}});
  add(allow({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}), {.caps = {"CAP_SYS_NICE"}});
  add(allow({"syslog"}), {.caps = {"CAP_SYSLOG"}});
  add(allow({"bpf"}), {.caps = {"CAP_BPF"}});
  add(allow({"perf_event_open"}), {.caps = {"CAP_PERFMON"}});
  return rules;
}

// This build's arch in moby's (Go) naming, and the seccomp arches a filter must cover
// there (moby's archMap: the native arch and the ones its kernel can also run).
struct NativeArch {
  const char* name;
  std::vector<std::string> seccomp;
};

const NativeArch& native_arch() {
#if defined(__x86_64__)
  static const NativeArch arch{"amd64", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}};
#elif defined(__aarch64__)
  static const NativeArch arch{"arm64", {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}};
#elif defined(__s390x__)
  static const NativeArch arch{"s390x", {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"}};
#elif defined(__riscv) && __riscv_xlen == 64
  static const NativeArch arch{"riscv64", {"SCMP_ARCH_RISCV64"}};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  static const NativeArch arch{"ppc64le", {}};  // moby's archMap has no ppc64le entry
#elif defined(__i386__)
  static const NativeArch arch{"x86", {}};
#elif defined(__arm__)
  static const NativeArch arch{"arm", {}};
#else
#error "add this architecture to native_arch()"
#endif
  return arch;
}

std::pair<int, int> kernel_version() {
  static const std::pair<int, int> version = [] {
    utsname u{};
    int major = 0, minor = 0;
    if (uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
    return std::pair{major, minor};
  }();
  return version;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// moby setupSeccomp: excludes drop a rule when any listed cap is in the bounding set,
// the arch matches or the kernel is new enough; includes need all of them.
bool rule_applies(const ProfileRule& rule, const std::vector<std::string>& bounding) {
  const std::string arch = native_arch().name;
  const auto& ex = rule.excludes;
  if (contains(ex.arches, arch)) return false;
  for (const auto& cap : ex.caps) {
    if (contains(bounding, cap)) return false;
  }
  if (ex.min_kernel && kernel_version() >= *ex.min_kernel) return false;
  const auto& in = rule.includes;
  if (!in.arches.empty() && !contains(in.arches, arch)) return false;
  for (const auto& cap : in.caps) {
    if (!contains(bounding, cap)) return false;
  }
  if (in.min_kernel && kernel_version() < *in.min_kernel) return false;
  return true;
}

Device char_device(std::string path, int64_t major, int64_t minor) {
  return Device{std::move(path), "c", major, minor, 0666, 0, 0};
}

DeviceCgroupRule allow_char(std::optional<int64_t> major, std::optional<int64_t> minor, std::string access = "rwm") {
  return DeviceCgroupRule{true, "c", major, minor, std::move(access)};
}

// "0-3,5" (sysfs cpu lists) -> numbers.
std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    int lo = 0, hi = 0;
    const std::string part = text.substr(pos, end - pos);
    int n = std::sscanf(part.c_str(), "%d-%d", &lo, &hi);
    if (n == 1) hi = lo;
    if (n >= 1 && lo >= 0 && hi >= lo && hi - lo < 65536) {
      for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    }
    pos = end + 1;
  }
  return cpus;
}

}  // namespace

Capabilities docker_default_capabilities() {
  const std::vector<std::string> caps = {
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",     "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",    "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",     "CAP_AUDIT_WRITE",
  };
  Capabilities result;
  result.bounding = caps;
  result.effective = caps;
  result.permitted = caps;
  return result;
}

Seccomp docker_default_seccomp() { return docker_default_seccomp_for(docker_default_capabilities()); }

Seccomp docker_default_seccomp_for(const Capabilities& caps) {
  Seccomp profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.default_errno_ret = EPERM;
  profile.architectures = native_arch().seccomp;
  for (auto& rule : docker_profile_rules()) {
    if (rule_applies(rule, caps.bounding)) profile.syscalls.push_back(std::move(rule.call));
  }
  return profile;
}

std::vector<std::string> docker_default_masked_paths() {
  std::vector<std::string> paths = {
      "/proc/acpi",       "/proc/asound",      "/proc/interrupts", "/proc/kcore",
      "/proc/keys",       "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
      "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
  };
  // Per-CPU thermal throttle counters leak host activity (moby GHSA-6fw5-f8r9-fgfm);
  // masked where they exist.
  std::ifstream possible("/sys/devices/system/cpu/possible");
  std::string list;
  if (possible && std::getline(possible, list)) {
    for (int cpu : parse_cpu_list(list)) {
      std::string path = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/thermal_throttle";
      struct stat st{};
      if (stat(path.c_str(), &st) == 0) paths.push_back(std::move(path));
    }
  }
  return paths;
}

std::vector<std::string> docker_default_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

std::vector<Device> docker_default_devices() {
  return {char_device("/dev/null", 1, 3),   char_device("/dev/zero", 1, 5),    char_device("/dev/full", 1, 7),
          char_device("/dev/random", 1, 8), char_device("/dev/urandom", 1, 9), char_device("/dev/tty", 5, 0)};
}

std::vector<DeviceCgroupRule> docker_default_device_rules() {
  std::vector<DeviceCgroupRule> rules = {
      // Docker's spec (oci/defaults.go): deny all, allow the standard nodes and the
      // console, keep /dev/fuse (10:229) out.
      DeviceCgroupRule{false, "a", std::nullopt, std::nullopt, "rwm"},
      allow_char(1, 5),
      allow_char(1, 3),
      allow_char(1, 9),
      allow_char(1, 8),
      allow_char(5, 0),
      allow_char(5, 1),
      DeviceCgroupRule{false, "c", 10, 229, "rwm"},
      // What runc appends for every container (specconv AllowedDevices): mknod of any
      // node, the default devices, /dev/pts/*, /dev/ptmx and, for old Docker setups, tun.
      allow_char(std::nullopt, std::nullopt, "m"),
      DeviceCgroupRule{true, "b", std::nullopt, std::nullopt, "m"},
  };
  for (const auto& device : docker_default_devices()) rules.push_back(allow_char(device.major, device.minor));
  rules.push_back(allow_char(136, std::nullopt));
  rules.push_back(allow_char(5, 2));
  rules.push_back(allow_char(10, 200));
  return rules;
}

std::vector<Mount> docker_default_mounts() {
  return {
      Mount{"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      Mount{"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      Mount{"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      Mount{"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      Mount{"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}},
      Mount{"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      // Docker bind-mounts a per-container tmpfs of --shm-size (64 MiB by default) here;
      // a runtime without a daemon mounts the tmpfs directly.
      Mount{"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
  };
}

}  // namespace stack::runtime
