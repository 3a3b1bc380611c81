// A built-in init for containers that ask for one (Docker's `--init`, compose's
// `init: true`): the spec annotation "stack.init": "true" or CreateOptions::init.
//
// As tini does, but in-process and without an extra binary: once the container's init
// is fully set up (rootfs, user, capabilities, seccomp) and released by `start`, it
// forks. The child goes on to exec the user's command; the parent stays PID 1 of the
// container's pid namespace, reaps every zombie reparented to it, forwards every
// catchable signal it receives to the child, and exits with the child's status (128+N
// when a signal N killed it). Because PID 1 blocks the signals it forwards, they are
// queued for it even from outside the namespace (the kernel drops only signals an init
// leaves at their default action).
#pragma once

#include <signal.h>

#include "common/error.h"

namespace stack::runtime {

inline constexpr const char* kInitAnnotation = "stack.init";

// Returns in the child (signal mask set back to `child_mask`); never returns in the
// parent, which closes every fd above 2 and runs the init loop. An error means the fork
// failed (nothing changed).
Result<void> fork_into_init(const sigset_t& child_mask);

}  // namespace stack::runtime
