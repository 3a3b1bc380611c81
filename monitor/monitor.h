// The monitor's event loop: one poll() over the container's output (pipes or the pty
// master), the attach socket and its clients, and a signalfd for SIGCHLD.
#pragma once

#include "engine/monitor/monitor_options.h"

namespace stack::monitor {

// Runs until the container has exited and its exit is recorded; the process's exit code.
// `on_ready` runs once, after start-up, before the loop.
int run_monitor(const MonitorOptions& options, void (*on_ready)() = nullptr);

}  // namespace stack::monitor
