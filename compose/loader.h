// The one entry point of compose/: files + environment + options -> Project.
// Stages, each in its own file, run in this order for every file:
//   yaml_load -> interpolate -> transform (canonical long form)
// then: merge (-f files in order) -> include -> extends -> profiles ->
//       decode (typed) -> environment (env_file, bare keys) -> normalize (defaults) -> validate.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "compose/node.h"
#include "compose/types.h"

namespace stack::compose {

struct LoadOptions {
  // -f files in order; "-" reads stdin. Empty: COMPOSE_FILE, then the default names in working_dir.
  std::vector<std::string> files;
  std::optional<std::string> project_name;       // -p
  std::optional<std::string> project_directory;  // --project-directory
  std::vector<std::string> env_files;            // --env-file (repeatable); replaces <project dir>/.env
  std::vector<std::string> profiles;             // --profile (repeatable); COMPOSE_PROFILES when empty
  std::vector<std::string> services;             // services named on the command line enable their profiles
  bool interpolate = true;                       // false: --no-interpolate
  bool resolve_paths = true;                     // make relative paths absolute against the project directory
  bool resolve_environment = true;               // fold env_file and bare keys into environment
  bool normalize = true;                         // fill defaults (default network, names, ...)
  bool consistency = true;                       // run semantic validation

  // The process environment and working directory; injected so tests need not touch the real ones.
  std::map<std::string, std::string> environment;
  std::string working_dir;
  std::function<Result<std::string>()> read_stdin;  // for "-f -"
};

// Fills environment and working_dir from the running process.
LoadOptions options_from_process();

Result<Project> load_project(const LoadOptions& options);

// The merged, interpolated, canonical document before decoding (for tests and `config --no-normalize`).
Result<Node> load_document(const LoadOptions& options);

}  // namespace stack::compose
