// `${VAR}` interpolation of compose files, with the grammar and messages of
// compose-go's template package (see compose-spec interpolation.md):
//   $VAR ${VAR}            value, "" when unset (warned once per variable)
//   ${VAR:-d} ${VAR-d}     default when unset or empty / when unset
//   ${VAR:?e} ${VAR?e}     error when unset or empty / when unset
//   ${VAR:+a} ${VAR+a}     alternative when set and non-empty / when set
//   $$                     a literal $
// Defaults, alternatives and error texts are themselves interpolated, lazily.
// A `$` followed by anything else stays literal; `${` that does not form a
// valid expression is an error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "compose/node.h"

namespace stack::compose {

// A variable's value, or nullopt when it is not set (an empty value is set).
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// One string; errors have no location (callers add it):
//   `Invalid template: "${FOO"`, `required variable FOO is missing a value: why`.
Result<std::string> interpolate_string(std::string_view text, const Lookup& lookup);

// Every scalar value of the tree, in place (mapping keys are left alone).
// Errors are located at the scalar and name its key path, worded as compose-go:
//   `compose.yml:3:12: invalid interpolation format for services.web.image.\n`
//   `You may need to escape any $ with another $.\n${FOO`
//   `compose.yml:3:12: error while interpolating services.web.image: required variable ...`
// `path` prefixes every key path (for documents nested in a larger one).
Result<void> interpolate_node(Node& node, const Lookup& lookup, std::string_view path = "");

}  // namespace stack::compose
