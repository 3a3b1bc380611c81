// Typed Project -> Node in the shape `docker compose config` prints (compose-go's
// MarshalYAML / MarshalJSON): fields in compose-go struct order, zero values
// omitted (Go `omitempty`), map keys in Go's order, services by name, durations
// as Go strings ("1m30s"), sizes and `published` as strings, x-* keys last.
// Strings are Node::string (quoted); numbers, booleans and null are unquoted, so
// the emitter can tell a JSON string from a number.
#pragma once

#include <string_view>

#include "compose/node.h"
#include "compose/types.h"

namespace stack::compose {

// YAML and JSON output differ in compose-go: JSON never omits nested structs
// (`ipam: {}`), always prints `command`/`entrypoint` (null when unset), drops
// x-* keys below the top level, and sorts top-level keys alphabetically.
enum class OutputFormat { Yaml, Json };

Node encode_project(const Project& project, OutputFormat format = OutputFormat::Yaml);
Node encode_service(const ServiceConfig& service, OutputFormat format = OutputFormat::Yaml);
// Free-form maps (x-* values, the raw model of `config --no-interpolate`) print with Go's map key order.
Node sort_mapping_keys(const Node& node, OutputFormat format);


}  // namespace stack::compose
