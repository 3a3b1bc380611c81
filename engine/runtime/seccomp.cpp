#include "engine/runtime/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "common/unique_fd.h"

namespace stack::runtime {
namespace {

constexpr unsigned kDefaultErrno = EPERM;  // runc's and crun's errno for ERRNO/TRACE without errnoRet
constexpr unsigned kMaxArgs = 6;

struct FilterRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterRelease>;

Result<uint32_t> action_value(const std::string& name, std::optional<unsigned> errno_ret) {
  if (errno_ret && *errno_ret > 0xffff) {
    return fail("seccomp errnoRet " + std::to_string(*errno_ret) + " for " + name + " out of range", EINVAL);
  }
  const uint16_t ret = static_cast<uint16_t>(errno_ret.value_or(kDefaultErrno));
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") {
    return fail("seccomp action SCMP_ACT_NOTIFY is not supported (stack has no seccomp listener)", ENOTSUP);
  }
  return fail("unknown seccomp action \"" + name + "\"", EINVAL);
}

Result<scmp_compare> operator_value(const std::string& name) {
  if (name == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (name == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (name == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (name == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (name == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (name == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (name == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return fail("unknown seccomp operator \"" + name + "\"", EINVAL);
}

// "SCMP_ARCH_X86_64" -> libseccomp's token. libseccomp's own names are the OCI names
// without the prefix, in lower case.
Result<uint32_t> arch_value(const std::string& name) {
  constexpr std::string_view prefix = "SCMP_ARCH_";
  if (!name.starts_with(prefix)) return fail("unknown seccomp architecture \"" + name + "\"", EINVAL);
  std::string lower;
  for (char c : name.substr(prefix.size())) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint32_t token = seccomp_arch_resolve_name(lower.c_str());
  if (token == 0) return fail("unknown seccomp architecture \"" + name + "\" (for this libseccomp)", EINVAL);
  return token;
}

// OCI flag -> seccomp(2) flag. WAIT_KILLABLE_RECV only means something with a user
// notification listener, which stack does not create: accepted and not passed on.
Result<unsigned> flag_value(const std::string& name) {
  if (name == "SECCOMP_FILTER_FLAG_TSYNC") return SECCOMP_FILTER_FLAG_TSYNC;
  if (name == "SECCOMP_FILTER_FLAG_LOG") return SECCOMP_FILTER_FLAG_LOG;
  if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  if (name == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") return 0u;
  return fail("unknown seccomp flag \"" + name + "\"", EINVAL);
}

Result<void> check_rule(const SeccompSyscall& rule, size_t i) {
  const std::string where = "seccomp syscalls[" + std::to_string(i) + "]";
  if (rule.names.empty()) return fail(where + ": no syscall names", EINVAL);
  for (const auto& name : rule.names) {
    if (name.empty()) return fail(where + ": empty syscall name", EINVAL);
  }
  if (auto a = action_value(rule.action, rule.errno_ret); !a) return std::unexpected(a.error().wrapped(where));
  for (const auto& arg : rule.args) {
    if (arg.index >= kMaxArgs) {
      return fail(where + ": argument index " + std::to_string(arg.index) + " out of range (0-5)", EINVAL);
    }
    if (auto op = operator_value(arg.op); !op) return std::unexpected(op.error().wrapped(where));
  }
  return {};
}

// Adds one rule for one syscall number, splitting the conditions as runc does when
// two of them test the same argument (libseccomp cannot AND those).
Result<void> add_rule(void* ctx, uint32_t action, int nr, const std::string& name, const SeccompSyscall& rule) {
  std::vector<scmp_arg_cmp> conds;
  unsigned per_index[kMaxArgs] = {};
  bool repeated = false;
  for (const auto& arg : rule.args) {
    auto op = operator_value(arg.op);
    if (!op) return std::unexpected(op.error());
    conds.push_back(scmp_arg_cmp{arg.index, *op, arg.value, arg.value_two});
    repeated |= ++per_index[arg.index] > 1;
  }
  auto add = [&](unsigned count, const scmp_arg_cmp* array) -> Result<void> {
    int rc = seccomp_rule_add_array(ctx, action, nr, count, array);
    if (rc < 0) return fail("add seccomp rule for syscall " + name + " (" + rule.action + ")", -rc);
    return {};
  };
  if (!repeated) return add(static_cast<unsigned>(conds.size()), conds.data());
  for (const auto& cond : conds) {
    if (auto ok = add(1, &cond); !ok) return ok;
  }
  return {};
}

// Every field of the profile, in order: two profiles with the same key compile to the
// same program.
std::string cache_key(const Seccomp& s) {
  std::string key = s.default_action + '/' + std::to_string(s.default_errno_ret.value_or(~0u)) + '|';
  for (const auto& a : s.architectures) key += a + ',';
  key += '|';
  for (const auto& f : s.flags) key += f + ',';
  for (const auto& rule : s.syscalls) {
    key += '|' + rule.action + '/' + std::to_string(rule.errno_ret.value_or(~0u)) + ':';
    for (const auto& n : rule.names) key += n + ',';
    for (const auto& a : rule.args) {
      key += '(' + std::to_string(a.index) + ' ' + a.op + ' ' + std::to_string(a.value) + ' ' +
             std::to_string(a.value_two) + ')';
    }
  }
  return key;
}

Result<SeccompProgram> compile_uncached(const Seccomp& seccomp) {
  if (auto ok = validate_seccomp(seccomp); !ok) return std::unexpected(ok.error());
  SeccompProgram program;
  for (const auto& flag : seccomp.flags) program.flags |= *flag_value(flag);

  const uint32_t default_action = *action_value(seccomp.default_action, seccomp.default_errno_ret);
  Filter ctx(seccomp_init(default_action));
  if (!ctx) return fail("seccomp_init (" + seccomp.default_action + ")", EINVAL);
  // The caller owns no_new_privs (see seccomp.h); only its load flags matter here.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0) {
    return fail("seccomp_attr_set(SCMP_FLTATR_CTL_NNP)", -rc);
  }
  // A binary tree instead of a linear list of syscall compares (runc does the same
  // for large profiles; Docker's default has ~400 names).
  if (seccomp.syscalls.size() > 32) {
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc < 0) {
      spdlog::debug("seccomp binary tree optimization not available: {}", -rc);
    }
  }
  for (const auto& arch : seccomp.architectures) {
    const uint32_t token = *arch_value(arch);
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc < 0 && rc != -EEXIST) return fail("seccomp_arch_add " + arch, -rc);
  }

  for (const auto& rule : seccomp.syscalls) {
    const uint32_t action = *action_value(rule.action, rule.errno_ret);
    if (action == default_action) continue;  // libseccomp rejects these; they change nothing
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        // As runc and crun: a profile lists syscalls of newer kernels and other arches.
        spdlog::debug("unknown seccomp syscall \"{}\" ignored", name);
        continue;
      }
      if (auto ok = add_rule(ctx.get(), action, nr, name, rule); !ok) return std::unexpected(ok.error());
    }
  }

  UniqueFd fd(memfd_create("stack-seccomp-bpf", MFD_CLOEXEC));
  if (!fd) return fail_errno("memfd_create for the seccomp program");
  if (int rc = seccomp_export_bpf(ctx.get(), fd.get()); rc < 0) return fail("seccomp_export_bpf", -rc);
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return fail_errno("lseek seccomp program");
  if (size == 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return fail("seccomp_export_bpf gave " + std::to_string(size) + " bytes, not whole instructions", EINVAL);
  }
  program.instructions.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  ssize_t got = pread(fd.get(), program.instructions.data(), static_cast<size_t>(size), 0);
  if (got != size) return got < 0 ? fail_errno("read seccomp program") : fail("short read of seccomp program", EIO);
  return program;
}


}  // namespace

Result<void> validate_seccomp(const Seccomp& seccomp) {
  if (auto a = action_value(seccomp.default_action, seccomp.default_errno_ret); !a) {
    return std::unexpected(a.error().wrapped("seccomp defaultAction"));
  }
  for (const auto& arch : seccomp.architectures) {
    if (auto a = arch_value(arch); !a) return std::unexpected(a.error());
  }
  for (const auto& flag : seccomp.flags) {
    if (auto f = flag_value(flag); !f) return std::unexpected(f.error());
  }
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    if (auto ok = check_rule(seccomp.syscalls[i], i); !ok) return ok;
  }
  return {};
}

// libseccomp takes ~17 ms for Docker's profile on this machine (the kernel's load is
// <1 ms), and every service of a project usually has the same profile: keep the last
// few programs.
Result<SeccompProgram> compile_seccomp(const Seccomp& seccomp) {
  static std::mutex mu;
  static std::deque<std::pair<std::string, SeccompProgram>> cache;
  constexpr size_t kCacheSize = 16;
  std::string key = cache_key(seccomp);
  {
    std::lock_guard lock(mu);
    for (const auto& [k, program] : cache) {
      if (k == key) return program;
    }
  }
  auto program = compile_uncached(seccomp);
  if (!program) return program;
  std::lock_guard lock(mu);
  cache.emplace_front(std::move(key), *program);
  if (cache.size() > kCacheSize) cache.pop_back();
  return program;
}

Result<void> load_seccomp(const SeccompProgram& program) {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.instructions.size());
  prog.filter = const_cast<sock_filter*>(program.instructions.data());
  if (program.instructions.empty() || program.instructions.size() > BPF_MAXINSNS) {
    return fail("seccomp program of " + std::to_string(program.instructions.size()) + " instructions", EINVAL);
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog) != 0) {
    if (errno == EACCES) return fail_errno("load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
    return fail_errno("load seccomp filter (flags " + std::to_string(program.flags) + ")");
  }
  return {};
}

Result<void> apply_seccomp(const Seccomp& seccomp) {
  auto program = compile_seccomp(seccomp);
  if (!program) return std::unexpected(program.error());
  return load_seccomp(*program);
}

}  // namespace stack::runtime
