// The command table: each command adds its subcommand and flags, and returns how to run it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "cli/project_flags.h"
#include "cli/state_flags.h"

namespace stack::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // returns the process exit code
};

Command add_config_command(CLI::App& app, const ProjectFlags& project);
Command add_version_command(CLI::App& app);
Command add_image_command(CLI::App& app, const StateFlags& state);
Command add_runtime_command(CLI::App& app);
// `stack container ...` (cmd_container*.cpp), `stack system ...`, `stack daemon`.
Command add_container_command(CLI::App& app, const StateFlags& state);
Command add_system_command(CLI::App& app, const StateFlags& state);
Command add_daemon_command(CLI::App& app, const StateFlags& state);

}  // namespace stack::cli
