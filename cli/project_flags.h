// The flags every compose command shares (-f, -p, --project-directory, --env-file, --profile),
// and their translation into the loader's options.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "compose/loader.h"

namespace stack::cli {

struct ProjectFlags {
  std::vector<std::string> files;
  std::string project_name;
  std::string project_directory;
  std::vector<std::string> env_files;
  std::vector<std::string> profiles;
};

void add_project_flags(CLI::App& app, ProjectFlags& flags);

// Options for the loader from the flags plus the process environment and working directory.
compose::LoadOptions load_options(const ProjectFlags& flags);

}  // namespace stack::cli
