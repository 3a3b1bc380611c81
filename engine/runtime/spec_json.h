// config.json -> Spec. Every error names the JSON path of the problem, as
// "config.json: process.args: must be an array of strings". Unknown fields are ignored,
// as the OCI runtime spec allows.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// Parses a config.json document; `source` names it in errors ("config.json").
Result<Spec> parse_spec(std::string_view json_text, std::string_view source = "config.json");

// Reads and parses BUNDLE/config.json.
Result<Spec> load_spec(const std::string& bundle);

// The default config.json `stack runtime spec` writes: runc spec's defaults (busybox-ready:
// args ["sh"], Docker-like mounts, masked and read-only paths), except terminal false,
// because stack runtime has no --console-socket yet.
std::string default_spec_json();

}  // namespace stack::runtime
