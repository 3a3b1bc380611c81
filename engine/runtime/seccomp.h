// Seccomp filters from the OCI spec's linux.seccomp section, built with libseccomp.
//
// As crun does, the filter can be compiled to BPF in the parent (compile_seccomp, the
// costly libseccomp part) and only loaded in the child (load_seccomp: one seccomp(2)
// call, no allocation). apply_seccomp does both, for callers that don't care.
//
// no_new_privs is NOT set here: the caller sets PR_SET_NO_NEW_PRIVS when the spec says
// process.noNewPrivileges. That decides the order, as in runc's standard_init:
//   - noNewPrivileges false: load seccomp BEFORE apply_capabilities (loading a filter
//     without no_new_privs needs CAP_SYS_ADMIN, which the process still holds then);
//   - noNewPrivileges true: prctl(PR_SET_NO_NEW_PRIVS), then load seccomp as the very
//     last step before exec (fewest syscalls run under the filter).
// Either way the profile must allow what the runtime still calls afterwards (capset,
// prctl, setuid, execve...); Docker's default profile does.
//
// Names follow runc/crun: a syscall name libseccomp does not know for this arch is
// skipped (logged at debug level); rules whose action equals the default action are
// skipped; unknown action, operator, architecture or flag names are errors naming them.
// Several conditions on the same argument index become one rule per condition (OR),
// as runc does, because libseccomp cannot AND two conditions on one argument.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// A compiled filter: the BPF program and the seccomp(2) flags to load it with.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};

// Checks every name (actions, operators, architectures, flags, arg indexes < 6) without
// building a filter. Unknown syscall names are not errors (see above).
Result<void> validate_seccomp(const Seccomp& seccomp);

// Builds the filter with libseccomp and exports it as BPF. Safe in the parent, thread
// safe; the last 16 distinct profiles' programs are kept in memory (Docker's profile
// costs ~17 ms to build, ~0.8 ms to load).
Result<SeccompProgram> compile_seccomp(const Seccomp& seccomp);

// Loads a compiled filter into the calling process (seccomp(SECCOMP_SET_MODE_FILTER)).
// EACCES from the kernel means neither no_new_privs nor CAP_SYS_ADMIN: the error says so.
Result<void> load_seccomp(const SeccompProgram& program);

// compile_seccomp + load_seccomp.
Result<void> apply_seccomp(const Seccomp& seccomp);

}  // namespace stack::runtime
