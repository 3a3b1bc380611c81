#include <iostream>
#include <memory>

#include "cli/commands.h"

#ifndef STACK_VERSION
#define STACK_VERSION "0.1.0"
#endif

namespace stack::cli {

Command add_version_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Show the stack version information");
  auto short_only = std::make_shared<bool>(false);
  cmd->add_flag("--short", *short_only, "Shows only the version number");
  return {cmd, [short_only] {
            if (*short_only) {
              std::cout << STACK_VERSION << "\n";
            } else {
              std::cout << "stack version v" << STACK_VERSION << "\n";
            }
            return 0;
          }};
}

}  // namespace stack::cli
