#include "cli/app.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/project_flags.h"
#include "cli/state_flags.h"
#include "common/log.h"

namespace stack::cli {

int run(int argc, char** argv) {
  CLI::App app{"stack: Compose-style multi-service orchestrator with its own container runtime", "stack"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the command, as docker compose allows

  ProjectFlags project;
  add_project_flags(app, project);
  StateFlags state;
  add_state_flags(app, state);
  std::string log_level;
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error (env STACK_LOG)");

  std::vector<Command> commands;
  commands.push_back(add_config_command(app, project));
  commands.push_back(add_version_command(app));
  commands.push_back(add_image_command(app, state));
  commands.push_back(add_runtime_command(app));
  commands.push_back(add_container_command(app, state));
  commands.push_back(add_system_command(app, state));
  commands.push_back(add_daemon_command(app, state));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (auto logging = setup_logging(log_level); !logging) {
    std::cerr << "stack: " << logging.error().to_string() << "\n";
    return 1;
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 1;
}

}  // namespace stack::cli
