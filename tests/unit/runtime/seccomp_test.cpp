// Seccomp profile validation and compilation. The compiled BPF is run through a small
// classic-BPF evaluator, so what a filter decides for a syscall is checked without
// loading it into the kernel (the integration tests load it for real).
#include "engine/runtime/seccomp.h"

#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "engine/runtime/docker_defaults.h"

namespace stack::runtime {
namespace {

// Runs a seccomp program on one syscall (as the kernel's seccomp_run_filters would).
uint32_t evaluate(const SeccompProgram& program, int nr, std::array<uint64_t, 6> args = {},
                  uint32_t arch = seccomp_arch_native()) {
  seccomp_data data{};
  data.nr = nr;
  data.arch = arch;
  for (size_t i = 0; i < 6; ++i) data.args[i] = args[i];
  auto load_word = [&](uint32_t offset) {
    uint32_t w = 0;
    EXPECT_LE(offset + 4, sizeof(data));
    std::memcpy(&w, reinterpret_cast<const char*>(&data) + offset, 4);
    return w;
  };
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  const auto& code = program.instructions;
  for (size_t pc = 0; pc < code.size(); ++pc) {
    const sock_filter& ins = code[pc];
    const uint32_t src = BPF_SRC(ins.code) == BPF_X ? x : ins.k;
    switch (BPF_CLASS(ins.code)) {
      case BPF_LD:
        if (BPF_MODE(ins.code) == BPF_ABS) a = load_word(ins.k);
        else if (BPF_MODE(ins.code) == BPF_IMM) a = ins.k;
        else if (BPF_MODE(ins.code) == BPF_MEM) a = mem[ins.k];
        else ADD_FAILURE() << "unsupported LD mode at " << pc;
        break;
      case BPF_LDX:
        if (BPF_MODE(ins.code) == BPF_IMM) x = ins.k;
        else if (BPF_MODE(ins.code) == BPF_MEM) x = mem[ins.k];
        else ADD_FAILURE() << "unsupported LDX mode at " << pc;
        break;
      case BPF_ST: mem[ins.k] = a; break;
      case BPF_STX: mem[ins.k] = x; break;
      case BPF_ALU:
        switch (BPF_OP(ins.code)) {
          case BPF_ADD: a += src; break;
          case BPF_SUB: a -= src; break;
          case BPF_AND: a &= src; break;
          case BPF_OR: a |= src; break;
          case BPF_LSH: a <<= src; break;
          case BPF_RSH: a >>= src; break;
          case BPF_NEG: a = -a; break;
          default: ADD_FAILURE() << "unsupported ALU op at " << pc;
        }
        break;
      case BPF_JMP: {
        bool taken = false;
        switch (BPF_OP(ins.code)) {
          case BPF_JA: pc += ins.k; continue;
          case BPF_JEQ: taken = a == src; break;
          case BPF_JGT: taken = a > src; break;
          case BPF_JGE: taken = a >= src; break;
          case BPF_JSET: taken = (a & src) != 0; break;
          default: ADD_FAILURE() << "unsupported JMP op at " << pc;
        }
        pc += taken ? ins.jt : ins.jf;
        break;
      }
      case BPF_RET: return BPF_RVAL(ins.code) == BPF_A ? a : ins.k;
      case BPF_MISC: if (BPF_MISCOP(ins.code) == BPF_TAX) x = a; else a = x; break;
    }
  }
  ADD_FAILURE() << "program fell off the end";
  return 0;
}

constexpr uint32_t errno_ret(uint16_t e) { return SECCOMP_RET_ERRNO | e; }

Seccomp allow_all_but(std::vector<SeccompSyscall> rules) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls = std::move(rules);
  return s;
}

TEST(Seccomp, ValidationNamesTheBadName) {
  Seccomp s = allow_all_but({{{"getcwd"}, "SCMP_ACT_EXPLODE", std::nullopt, {}}});
  auto r = validate_seccomp(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "seccomp syscalls[0]: unknown seccomp action \"SCMP_ACT_EXPLODE\"");

  s = allow_all_but({{{"getcwd"}, "SCMP_ACT_ERRNO", std::nullopt, {{0, 1, 0, "SCMP_CMP_ALMOST"}}}});
  r = validate_seccomp(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown seccomp operator \"SCMP_CMP_ALMOST\""), std::string::npos);

  s = allow_all_but({{{"getcwd"}, "SCMP_ACT_ERRNO", std::nullopt, {{6, 1, 0, "SCMP_CMP_EQ"}}}});
  r = validate_seccomp(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("argument index 6 out of range"), std::string::npos);

  s = allow_all_but({});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"};
  r = validate_seccomp(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown seccomp architecture \"SCMP_ARCH_Z80\""), std::string::npos);

  s = allow_all_but({});
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"};
  r = validate_seccomp(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\"");

  s = allow_all_but({});
  s.default_action = "SCMP_ACT_NOTIFY";
  r = validate_seccomp(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("SCMP_ACT_NOTIFY is not supported"), std::string::npos);

  s = allow_all_but({{{}, "SCMP_ACT_ERRNO", std::nullopt, {}}});
  EXPECT_FALSE(validate_seccomp(s));
}

TEST(Seccomp, EveryOciNameIsAccepted) {
  Seccomp s = allow_all_but({});
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = 1;
  s.architectures = {"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
                     "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32",
                     "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                     "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",
                     "SCMP_ARCH_RISCV64"};
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
             "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  for (const char* action : {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
                             "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"}) {
    s.syscalls.push_back({{"getcwd"}, action, std::nullopt, {}});
  }
  for (const char* op : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                         "SCMP_CMP_MASKED_EQ"}) {
    s.syscalls.push_back({{"dup"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, 1, 1, op}}});
  }
  auto r = validate_seccomp(s);
  EXPECT_TRUE(r) << r.error().to_string();
}

TEST(Seccomp, ActionsAndErrnoRet) {
  Seccomp s = allow_all_but({
      {{"getcwd"}, "SCMP_ACT_ERRNO", 38u, {}},
      {{"getppid"}, "SCMP_ACT_ERRNO", std::nullopt, {}},  // EPERM when errnoRet is absent, as runc
      {{"getpgrp"}, "SCMP_ACT_KILL_PROCESS", std::nullopt, {}},
      {{"getsid"}, "SCMP_ACT_KILL", std::nullopt, {}},
      {{"gettid"}, "SCMP_ACT_TRAP", std::nullopt, {}},
      {{"getuid"}, "SCMP_ACT_LOG", std::nullopt, {}},
      {{"getgid"}, "SCMP_ACT_TRACE", 5u, {}},
  });
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(evaluate(*p, SYS_getcwd), errno_ret(38));
  EXPECT_EQ(evaluate(*p, SYS_getppid), errno_ret(EPERM));
  EXPECT_EQ(evaluate(*p, SYS_getpgrp), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(evaluate(*p, SYS_getsid), SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(evaluate(*p, SYS_gettid), SECCOMP_RET_TRAP);
  EXPECT_EQ(evaluate(*p, SYS_getuid), SECCOMP_RET_LOG);
  EXPECT_EQ(evaluate(*p, SYS_getgid), SECCOMP_RET_TRACE | 5u);
  EXPECT_EQ(evaluate(*p, SYS_read), SECCOMP_RET_ALLOW);
}

TEST(Seccomp, ArgumentConditions) {
  Seccomp s = allow_all_but({
      // Two conditions on different arguments: both must hold (AND).
      {{"getpriority"}, "SCMP_ACT_ERRNO", 13u, {{0, 2, 0, "SCMP_CMP_EQ"}, {1, 100, 0, "SCMP_CMP_GE"}}},
      // Two on the same argument: split into two rules (OR), as runc does.
      {{"lseek"}, "SCMP_ACT_ERRNO", 7u, {{2, SEEK_END, 0, "SCMP_CMP_EQ"}, {2, SEEK_HOLE, 0, "SCMP_CMP_EQ"}}},
      // Masked: the low byte must be 0x0f.
      {{"umask"}, "SCMP_ACT_ERRNO", 22u, {{0, 0xff, 0x0f, "SCMP_CMP_MASKED_EQ"}}},
      // 64-bit values are compared in full.
      {{"dup"}, "SCMP_ACT_ERRNO", 9u, {{0, 0x100000000ULL, 0, "SCMP_CMP_GT"}}},
  });
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(evaluate(*p, SYS_getpriority, {2, 100}), errno_ret(13));
  EXPECT_EQ(evaluate(*p, SYS_getpriority, {2, 99}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_getpriority, {1, 500}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_lseek, {3, 0, SEEK_END}), errno_ret(7));
  EXPECT_EQ(evaluate(*p, SYS_lseek, {3, 0, SEEK_HOLE}), errno_ret(7));
  EXPECT_EQ(evaluate(*p, SYS_lseek, {3, 0, SEEK_SET}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_umask, {0x70f}), errno_ret(22));
  EXPECT_EQ(evaluate(*p, SYS_umask, {0x022}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_dup, {0x100000001ULL}), errno_ret(9));
  EXPECT_EQ(evaluate(*p, SYS_dup, {0xffffffffULL}), SECCOMP_RET_ALLOW);
}

TEST(Seccomp, UnknownSyscallNamesAreSkippedAsRuncDoes) {
  Seccomp s = allow_all_but({{{"no_such_syscall", "getcwd"}, "SCMP_ACT_ERRNO", 38u, {}}});
  EXPECT_TRUE(validate_seccomp(s));
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(evaluate(*p, SYS_getcwd), errno_ret(38));
}

TEST(Seccomp, RulesEqualToTheDefaultAreSkipped) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = 1;
  s.syscalls = {{{"getcwd"}, "SCMP_ACT_ERRNO", 1u, {}}, {{"read"}, "SCMP_ACT_ALLOW", std::nullopt, {}}};
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(evaluate(*p, SYS_getcwd), errno_ret(1));
  EXPECT_EQ(evaluate(*p, SYS_read), SECCOMP_RET_ALLOW);
}

TEST(Seccomp, FlagsBecomeLoadFlags) {
  Seccomp s = allow_all_but({});
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->flags, unsigned{SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW});
}

TEST(Seccomp, ForeignArchIsKilled) {
  // A filter for the native arch only: syscalls from another ABI hit the bad-arch action.
  Seccomp s = allow_all_but({});
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p);
  const uint32_t other = seccomp_arch_native() == SCMP_ARCH_AARCH64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
  EXPECT_EQ(evaluate(*p, 0, {}, other) & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_KILL_THREAD);
}

// Docker's default profile, compiled, decides as Docker's does.
TEST(Seccomp, DockerDefaultProfileDecisions) {
  auto p = compile_seccomp(docker_default_seccomp());
  ASSERT_TRUE(p) << p.error().to_string();
  const uint32_t eperm = errno_ret(EPERM);
  EXPECT_EQ(evaluate(*p, SYS_read), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_write), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_getpid), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_execve), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_keyctl), eperm);
  EXPECT_EQ(evaluate(*p, SYS_add_key), eperm);
  EXPECT_EQ(evaluate(*p, SYS_request_key), eperm);
  EXPECT_EQ(evaluate(*p, SYS_unshare, {CLONE_NEWNS}), eperm);
  EXPECT_EQ(evaluate(*p, SYS_mount), eperm);
  EXPECT_EQ(evaluate(*p, SYS_setns), eperm);
  EXPECT_EQ(evaluate(*p, SYS_reboot), eperm);
  EXPECT_EQ(evaluate(*p, SYS_init_module), eperm);
  EXPECT_EQ(evaluate(*p, SYS_ptrace), SECCOMP_RET_ALLOW);  // kernel >= 4.8
  EXPECT_EQ(evaluate(*p, SYS_chroot), SECCOMP_RET_ALLOW);  // CAP_SYS_CHROOT is a default cap
  // clone: a fork is fine, namespaces are not; clone3 says ENOSYS so libc falls back.
  EXPECT_EQ(evaluate(*p, SYS_clone, {SIGCHLD}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_clone, {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD}),
            SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_clone, {CLONE_NEWUSER | SIGCHLD}), eperm);
  EXPECT_EQ(evaluate(*p, SYS_clone, {CLONE_NEWNET}), eperm);
  EXPECT_EQ(evaluate(*p, SYS_clone3), errno_ret(ENOSYS));
  // personality: only the listed personas.
  EXPECT_EQ(evaluate(*p, SYS_personality, {0}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_personality, {0xffffffff}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_personality, {0x0040000}), eperm);  // ADDR_NO_RANDOMIZE
  // socket: everything but AF_ALG and AF_VSOCK.
  EXPECT_EQ(evaluate(*p, SYS_socket, {AF_INET}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_socket, {AF_UNIX}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_socket, {AF_NETLINK}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_socket, {39}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_socket, {AF_ALG}), eperm);
  EXPECT_EQ(evaluate(*p, SYS_socket, {AF_VSOCK}), eperm);
#if defined(__x86_64__)
  EXPECT_EQ(evaluate(*p, SYS_arch_prctl), SECCOMP_RET_ALLOW);
  // The 32-bit ABI is covered too (SCMP_ARCH_X86): its keyctl (288) is refused, its getpid (20) allowed.
  EXPECT_EQ(evaluate(*p, 288, {}, SCMP_ARCH_X86), eperm);
  EXPECT_EQ(evaluate(*p, 20, {}, SCMP_ARCH_X86), SECCOMP_RET_ALLOW);
#endif
}

TEST(Seccomp, DockerProfileWithSysAdmin) {
  Capabilities caps = docker_default_capabilities();
  caps.bounding.push_back("CAP_SYS_ADMIN");
  auto p = compile_seccomp(docker_default_seccomp_for(caps));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(evaluate(*p, SYS_unshare, {CLONE_NEWNS}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_mount), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_clone, {CLONE_NEWUSER | SIGCHLD}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_clone3), SECCOMP_RET_ALLOW);
  EXPECT_EQ(evaluate(*p, SYS_keyctl), errno_ret(EPERM));  // no capability opens the keyring
}

}  // namespace
}  // namespace stack::runtime
