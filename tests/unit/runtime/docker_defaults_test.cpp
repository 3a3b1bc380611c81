// Docker's defaults as data: capability set, profile contents by capability, paths,
// devices, mounts.
#include "engine/runtime/docker_defaults.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/seccomp.h"

namespace stack::runtime {
namespace {

// The rules of a profile that name this syscall.
std::vector<SeccompSyscall> rules_for(const Seccomp& s, const std::string& name) {
  std::vector<SeccompSyscall> out;
  for (const auto& rule : s.syscalls) {
    if (std::find(rule.names.begin(), rule.names.end(), name) != rule.names.end()) out.push_back(rule);
  }
  return out;
}

bool allowed_unconditionally(const Seccomp& s, const std::string& name) {
  for (const auto& rule : rules_for(s, name)) {
    if (rule.action == "SCMP_ACT_ALLOW" && rule.args.empty()) return true;
  }
  return false;
}

TEST(DockerDefaults, Capabilities) {
  Capabilities caps = docker_default_capabilities();
  std::vector<std::string> expected = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                                       "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID", "CAP_SETUID",
                                       "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
                                       "CAP_SYS_CHROOT", "CAP_KILL",      "CAP_AUDIT_WRITE"};
  EXPECT_EQ(caps.bounding, expected);
  EXPECT_EQ(caps.effective, expected);
  EXPECT_EQ(caps.permitted, expected);
  EXPECT_TRUE(caps.inheritable.empty());
  EXPECT_TRUE(caps.ambient.empty());
}

TEST(DockerDefaults, ProfileShape) {
  Seccomp s = docker_default_seccomp();
  EXPECT_EQ(s.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(s.default_errno_ret, 1u);
#if defined(__x86_64__)
  EXPECT_EQ(s.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
#endif
  EXPECT_TRUE(validate_seccomp(s));
  size_t names = 0;
  for (const auto& rule : s.syscalls) names += rule.names.size();
  EXPECT_GT(names, 360u);
}

TEST(DockerDefaults, ProfileAllowsTheCommonSyscalls) {
  Seccomp s = docker_default_seccomp();
  for (const char* name : {"read", "write", "openat", "close", "execve", "exit_group", "mmap", "futex", "getpid",
                           "setuid", "capset", "prctl", "chroot", "ptrace", "epoll_wait", "io_uring_setup"}) {
    if (std::string(name) == "io_uring_setup") {
      EXPECT_FALSE(allowed_unconditionally(s, name)) << name;  // Docker dropped io_uring in 25.0
      continue;
    }
    EXPECT_TRUE(allowed_unconditionally(s, name)) << name;
  }
}

TEST(DockerDefaults, ProfileBlocksPrivilegedSyscalls) {
  Seccomp s = docker_default_seccomp();
  for (const char* name : {"keyctl", "add_key", "request_key", "unshare", "mount", "umount2", "setns", "reboot",
                           "init_module", "bpf", "perf_event_open", "open_by_handle_at", "kexec_load", "swapon",
                           "pivot_root", "sethostname", "acct", "settimeofday", "iopl"}) {
    EXPECT_TRUE(rules_for(s, name).empty()) << name << " has a rule in the default profile";
  }
}

TEST(DockerDefaults, CloneIsMaskedWithoutSysAdmin) {
  Seccomp s = docker_default_seccomp();
  auto clone = rules_for(s, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0].action, "SCMP_ACT_ALLOW");
  ASSERT_EQ(clone[0].args.size(), 1u);
  EXPECT_EQ(clone[0].args[0].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone[0].args[0].index, 0u);
  EXPECT_EQ(clone[0].args[0].value, uint64_t{CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                             CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP});
  EXPECT_EQ(clone[0].args[0].value_two, 0u);
  auto clone3 = rules_for(s, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0].action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3[0].errno_ret, 38u);  // ENOSYS
}

TEST(DockerDefaults, PersonalityArgs) {
  auto rules = rules_for(docker_default_seccomp(), "personality");
  std::vector<uint64_t> values;
  for (const auto& r : rules) {
    ASSERT_EQ(r.args.size(), 1u);
    EXPECT_EQ(r.args[0].op, "SCMP_CMP_EQ");
    values.push_back(r.args[0].value);
  }
  EXPECT_EQ(values, (std::vector<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(DockerDefaults, CapabilitiesChangeTheProfile) {
  Capabilities caps = docker_default_capabilities();
  caps.bounding.push_back("CAP_SYS_ADMIN");
  caps.bounding.push_back("CAP_SYS_PTRACE");
  caps.bounding.push_back("CAP_SYS_TIME");
  Seccomp s = docker_default_seccomp_for(caps);
  for (const char* name : {"mount", "unshare", "setns", "clone", "clone3", "bpf", "kcmp", "settimeofday"}) {
    EXPECT_TRUE(allowed_unconditionally(s, name)) << name;
  }
  // The masked clone and the ENOSYS clone3 are Docker's answer for containers WITHOUT CAP_SYS_ADMIN only.
  for (const auto& r : rules_for(s, "clone")) EXPECT_TRUE(r.args.empty());
  for (const auto& r : rules_for(s, "clone3")) EXPECT_EQ(r.action, "SCMP_ACT_ALLOW");
  EXPECT_TRUE(rules_for(s, "keyctl").empty());

  // Dropping CAP_SYS_CHROOT removes chroot.
  caps = docker_default_capabilities();
  std::erase(caps.bounding, "CAP_SYS_CHROOT");
  EXPECT_TRUE(rules_for(docker_default_seccomp_for(caps), "chroot").empty());
  EXPECT_FALSE(rules_for(docker_default_seccomp(), "chroot").empty());
}

TEST(DockerDefaults, Paths) {
  auto masked = docker_default_masked_paths();
  for (const char* p : {"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                        "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}) {
    EXPECT_NE(std::find(masked.begin(), masked.end(), p), masked.end()) << p;
  }
  for (const auto& p : masked) EXPECT_TRUE(p.starts_with("/proc/") || p.starts_with("/sys/")) << p;
  EXPECT_EQ(docker_default_readonly_paths(),
            (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
}

TEST(DockerDefaults, Devices) {
  auto devices = docker_default_devices();
  ASSERT_EQ(devices.size(), 6u);
  std::vector<std::string> paths;
  for (const auto& d : devices) {
    paths.push_back(d.path);
    EXPECT_EQ(d.type, "c");
    EXPECT_EQ(d.file_mode, 0666u);
    EXPECT_EQ(d.uid, 0u);
    EXPECT_EQ(d.gid, 0u);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                             "/dev/tty"}));
  EXPECT_EQ(devices[0].major, 1);
  EXPECT_EQ(devices[0].minor, 3);
  EXPECT_EQ(devices[5].major, 5);
  EXPECT_EQ(devices[5].minor, 0);
}

TEST(DockerDefaults, DeviceRules) {
  auto rules = docker_default_device_rules();
  ASSERT_FALSE(rules.empty());
  // Deny everything first; later rules allow.
  EXPECT_FALSE(rules[0].allow);
  EXPECT_EQ(rules[0].type, "a");
  EXPECT_EQ(rules[0].access, "rwm");
  auto find = [&](bool allow, const std::string& type, std::optional<int64_t> major, std::optional<int64_t> minor) {
    return std::find_if(rules.begin(), rules.end(), [&](const DeviceCgroupRule& r) {
             return r.allow == allow && r.type == type && r.major == major && r.minor == minor;
           }) != rules.end();
  };
  EXPECT_TRUE(find(false, "c", 10, 229));  // /dev/fuse
  EXPECT_TRUE(find(true, "c", 1, 3));
  EXPECT_TRUE(find(true, "c", 136, std::nullopt));  // /dev/pts/*
  EXPECT_TRUE(find(true, "c", 5, 2));               // /dev/ptmx
  EXPECT_TRUE(find(true, "c", std::nullopt, std::nullopt));  // mknod of any char device
  EXPECT_FALSE(find(true, "c", 10, 229));
}

TEST(DockerDefaults, Mounts) {
  auto mounts = docker_default_mounts();
  std::vector<std::string> dests;
  for (const auto& m : mounts) dests.push_back(m.destination);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue",
                                             "/dev/shm"}));
  auto has = [](const Mount& m, const std::string& opt) {
    return std::find(m.options.begin(), m.options.end(), opt) != m.options.end();
  };
  EXPECT_EQ(mounts[1].type, "tmpfs");
  EXPECT_TRUE(has(mounts[1], "mode=755"));
  EXPECT_TRUE(has(mounts[2], "newinstance"));
  EXPECT_TRUE(has(mounts[2], "ptmxmode=0666"));
  EXPECT_TRUE(has(mounts[2], "gid=5"));
  EXPECT_TRUE(has(mounts[3], "ro"));
  EXPECT_TRUE(has(mounts[4], "ro"));
  EXPECT_EQ(mounts[6].type, "tmpfs");
  EXPECT_TRUE(has(mounts[6], "size=65536k"));
  EXPECT_TRUE(has(mounts[6], "mode=1777"));
}

}  // namespace
}  // namespace stack::runtime
