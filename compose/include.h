// Top-level `include` (compose-spec include.md, compose-go loader/include.go):
// each entry is loaded as a project of its own (own project directory, own
// .env for interpolation) and its resources are added to the including one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "compose/node.h"

namespace stack::compose {

struct IncludeLoadRequest {
  std::vector<std::string> files;  // absolute; merged in order like -f files
  std::string project_directory;   // absolute; default: the first file's folder
  // Absolute env files for interpolation. When the entry names none: the project
  // directory's .env if it is a file, else empty. "/dev/null" is passed through
  // (it reads as empty), so a loader that treats an empty list as "use the
  // default .env" still reads nothing when the entry asked for /dev/null.
  std::vector<std::string> env_files;
};

// Loads an included project completely (its own interpolation with its own env,
// its own includes and extends), returns its canonical document.
using IncludeLoader = std::function<Result<Node>(const IncludeLoadRequest&)>;

// Applies top-level `include` and removes the key. Relative path, project_directory
// and env_file are taken against base_dir (the including project's directory).
// Services, networks, volumes, secrets, configs and models of the included project
// are added; a resource defined on both sides is merged with the including
// project's definition over the included one (compose-go v2.10+; earlier
// versions refused with "services.x conflicts with imported resource").
// Include cycles are detected across nested calls on the same thread (the loader
// calls apply_include again from inside `load`); `current_file` names the file
// holding this `include` for the cycle message, when known.
Result<void> apply_include(Node& project, const std::string& base_dir, const IncludeLoader& load,
                           const std::string& current_file = {});

}  // namespace stack::compose
