// `stack daemon`: opens the stores, restores the containers (re-adopting running ones
// through their monitors), serves the API on <run>/stack.sock until SIGTERM/SIGINT.
// Containers outlive the daemon (Docker's live-restore): stopping the daemon stops
// serving, not the containers.
#pragma once

#include <string>

#include "common/error.h"

namespace stack::daemon {

struct DaemonOptions {
  std::string root = "/var/lib/stack";
  std::string run = "/run/stack";
  std::string socket_path;     // default <run>/stack.sock
  std::string monitor_binary;  // default: stack-monitor next to this executable
};

// Runs until a stop signal; returns an error when it cannot start (socket in use,
// another daemon on the same run dir, unreadable state).
Result<void> run_daemon(const DaemonOptions& options);

}  // namespace stack::daemon
