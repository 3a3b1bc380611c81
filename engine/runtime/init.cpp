#include "engine/runtime/init.h"

#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/runtime/child_process.h"

namespace stack::runtime {
namespace {

[[noreturn]] void init_loop(pid_t child) {
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(child, sig);
      continue;
    }
    // One SIGCHLD may stand for several exits: reap all there are.
    for (;;) {
      int wstatus = 0;
      pid_t pid = ::waitpid(-1, &wstatus, WNOHANG);
      if (pid <= 0) break;
      if (pid == child) ::_exit(exit_status(wstatus));  // the rest of the namespace dies with us
    }
  }
}

}  // namespace

Result<void> fork_into_init(const sigset_t& child_mask) {
  sigset_t all, before;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &before);
  pid_t pid = ::fork();
  if (pid < 0) {
    int saved = errno;
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
    return fail("fork the container process from its init", saved);
  }
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    return {};
  }
  ::close_range(3, ~0U, 0);
  init_loop(pid);
}

}  // namespace stack::runtime
