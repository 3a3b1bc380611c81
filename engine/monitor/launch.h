// Starting a container under its monitor (stack-monitor), in the spirit of conmon:
//   daemon thread: fork ──► child: setsid, fork, _exit(0)   (the monitor is nobody's child
//                                   but init's: it outlives the daemon)
//                             └─► grandchild: stdio to /dev/null, default signals, makes the
//                                  container's pipes (or a console socket for the pty),
//                                  binds attach.sock, runtime::create_container() (so the
//                                  container init is ITS child), reports over a pipe,
//                                  execve(stack-monitor) with the fds; the monitor says
//                                  "ready" on the same pipe once its loop runs.
// When launch() returns, attach.sock is listening (bound before the exec), so the daemon
// may connect and then call runtime::start_container(). A connection made before start
// is accepted before any output is read: that client sees all of the container's output.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::monitor {

struct LaunchOptions {
  std::string id;
  std::string bundle;             // has config.json; the rootfs is already mounted
  runtime::Spec spec;             // the spec to create with (process.terminal is set from `tty`)
  std::string runtime_root;       // <run>/runtime
  std::string run_dir;            // <run>/containers/<id>: attach.sock, exit.json, console.sock
  std::string log_path;           // json-file log; empty = no log (log driver "none")
  std::map<std::string, std::string> log_options;  // max-size, max-file
  bool tty = false, open_stdin = false, stdin_once = false, init = false;
  std::string monitor_binary;     // default: env STACK_MONITOR, else stack-monitor next to /proc/self/exe
};

struct Launched {
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;  // field 22 of /proc/<pid>/stat
  pid_t container_pid = 0;
};

// Creates the container under a new monitor. Safe from a worker thread of a
// multi-threaded daemon. On failure nothing is left: no runtime state, no process, no
// socket. The error is create_container's (or the exec's) text.
Result<Launched> launch(const LaunchOptions& options);

// The stack-monitor to run: `configured` if set, else $STACK_MONITOR, else
// <dir of /proc/self/exe>/stack-monitor.
std::string monitor_binary_path(const std::string& configured);

// Whether a recorded monitor is still alive (pid + /proc start time, to catch pid reuse).
bool monitor_alive(pid_t pid, uint64_t start_time);

// Paths inside run_dir.
std::string attach_socket_path(const std::string& run_dir);
std::string exit_file_path(const std::string& run_dir);

}  // namespace stack::monitor
