// config.json -> Spec. Every error names the JSON path of the problem, as
// "config.json: process.args: must be an array of strings". Unknown fields are ignored,
// as the OCI runtime spec allows.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// Parses a config.json document; `source` names it in errors ("config.json").
Result<Spec> parse_spec(std::string_view json_text, std::string_view source = "config.json");

// Reads and parses BUNDLE/config.json.
Result<Spec> load_spec(const std::string& bundle);

// A process.json as `runc exec --process` takes it (the config.json "process" object);
// errors name the path within it ("process.json: cwd: is required").
Result<Process> parse_process(std::string_view json_text, std::string_view source = "process.json");

// A Process as its config.json object (what parse_process reads back); the state of a
// container keeps its process this way, for exec.
nlohmann::json process_to_json(const Process& process);

// The default config.json `stack runtime spec` writes: runc spec's defaults (busybox-ready:
// args ["sh"], Docker-like mounts, masked and read-only paths), except terminal false,
// so that a bundle made by it runs without a console socket or a terminal on stdin.
std::string default_spec_json();

}  // namespace stack::runtime
