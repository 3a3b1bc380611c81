// Which compose files a project is made of when -f is not given: COMPOSE_FILE,
// else compose.yaml / compose.yml / docker-compose.yaml / docker-compose.yml in the
// working directory or the nearest parent, plus the matching override file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.h"

namespace stack::compose {

// COMPOSE_FILE split on COMPOSE_PATH_SEPARATOR (default ":"); empty when unset.
std::vector<std::string> files_from_environment(const std::map<std::string, std::string>& env);

// Searches `dir` and its parents; the override file comes second when present.
Result<std::vector<std::string>> discover_files(const std::string& dir);

}  // namespace stack::compose
