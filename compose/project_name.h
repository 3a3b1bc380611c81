// Project-name rules of compose v2 (compose-go cli/options.go, loader.go).
// Names given on purpose (-p, COMPOSE_PROJECT_NAME) must already be valid;
// names inferred from a directory are normalized; the top-level `name` is
// normalized by compose-go too (after interpolation), so callers pick the rule
// by where the name came from.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace stack::compose {

// The name itself when it consists only of lowercase letters, digits, '-' and
// '_' and starts with a letter or digit; otherwise compose's error
// `invalid project name "My App": must consist only of lowercase alphanumeric
// characters, hyphens, and underscores as well as start with a letter or number`.
// An empty name fails with "project name must not be empty".
Result<std::string> validate_project_name(std::string_view name);

// Lowercases, drops every character outside [a-z0-9_-], then drops leading '-'
// and '_' ("My App!" -> "myapp", "_x" -> "x"); may return "".
std::string normalize_project_name(std::string_view name);

}  // namespace stack::compose
