// The runtime's own children (a container's init, an exec'd process, a hook): pidfd
// helpers, the parent/child message socket, a guard that kills and reaps on a failure
// path, and the foreground wait that forwards signals (and relays a terminal) until the
// child exits.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace stack::runtime {

// Messages on the parent/child socket (SOCK_SEQPACKET: one message per send).
inline constexpr char kGo = 'G';     // parent -> child: cgroup joined, id maps written, hooks run
inline constexpr char kReady = 'R';  // child -> parent (create): waiting on the exec fifo
inline constexpr char kError = 'E';  // child -> parent: the rest of the message says what failed

Result<void> send_message(int fd, char tag, std::string_view body = {});
// nullopt on EOF (the peer closed its end, or exec'd).
Result<std::optional<std::string>> receive_message(int fd);

int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);
// Waits until the process behind `pidfd` has exited; false on timeout (-1: none).
bool wait_exit(int pidfd, int timeout_ms);
// A wait status as a shell reports it: the exit code, or 128+N for signal N.
int exit_status(int wstatus);

// A child of ours, killed (SIGKILL) and reaped on a failure path.
class ChildGuard {
 public:
  ChildGuard(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard();
  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  // Reaps the exited child (exit_status); the guard no longer owns it.
  int wait();
  void release() { pid_ = -1; }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
};

// The signals a foreground `run` or `exec` passes on to its process, as runc does.
sigset_t forwarded_signals();

// Blocks `set` for the guard's lifetime (so none is lost before the wait starts).
class SignalBlock {
 public:
  explicit SignalBlock(const sigset_t& set);
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  ~SignalBlock();
  const sigset_t& old_mask() const { return old_; }

 private:
  sigset_t old_;
};

// Waits until the process behind `pidfd` exits, forwarding each signal in `forwarded`
// (blocked by the caller) to it. With a terminal master (>= 0), as runc's foreground
// tty: our stdin (raw, when it is a terminal) is copied to the master, the master to our
// stdout, and SIGWINCH copies our window size to it; output left in the master when the
// process exits is drained.
Result<void> wait_forwarding(int pidfd, const sigset_t& forwarded, int master = -1);

}  // namespace stack::runtime
