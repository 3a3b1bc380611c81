// Placeholder until the command is written (issue 4).
#include <iostream>

#include "cli/commands.h"

namespace stack::cli {

Command add_daemon_command(CLI::App& app, const StateFlags&) {
  auto* cmd = app.add_subcommand("daemon", "Manage daemons");
  return {cmd, [] {
            std::cerr << "stack: daemon: not implemented yet\n";
            return 1;
          }};
}

}  // namespace stack::cli
