// `stack daemon`: the engine in the foreground.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "engine/daemon/daemon.h"

namespace stack::cli {

Command add_daemon_command(CLI::App& app, const StateFlags& state) {
  auto* cmd = app.add_subcommand("daemon", "Run the stack engine (API on <run-root>/stack.sock) in the foreground");
  auto socket = std::make_shared<std::string>();
  auto monitor = std::make_shared<std::string>();
  cmd->add_option("--socket", *socket, "API socket path (default <run-root>/stack.sock)");
  cmd->add_option("--monitor-binary", *monitor, "Path of stack-monitor (default: next to this executable)");
  return {cmd, [&state, socket, monitor] {
            daemon::DaemonOptions o;
            o.root = state.state_root();
            o.run = state.run_dir();
            o.socket_path = *socket;
            o.monitor_binary = *monitor;
            if (auto r = daemon::run_daemon(o); !r) {
              std::cerr << "stack daemon: " << r.error().to_string() << "\n";
              return 1;
            }
            return 0;
          }};
}

}  // namespace stack::cli
