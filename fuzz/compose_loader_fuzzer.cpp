// Feeds arbitrary bytes to the whole compose pipeline as `-f -`, then prints the
// result as YAML and JSON. Any crash, sanitizer report or escaping exception is a bug:
// bad input must always come back as an Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compose/encode.h"
#include "compose/json_emit.h"
#include "compose/loader.h"
#include "compose/yaml_emit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  stack::compose::LoadOptions opts;
  opts.files = {"-"};
  opts.working_dir = "/nonexistent-stack-fuzz";
  opts.project_name = "fuzz";
  opts.environment = {{"HOME", "/nonexistent-stack-fuzz"}, {"SET", "value"}, {"EMPTY", ""}};
  opts.read_stdin = [&text]() -> stack::Result<std::string> { return text; };
  auto project = stack::compose::load_project(opts);
  if (project) {
    auto node = stack::compose::encode_project(*project);
    auto yaml = stack::compose::emit_yaml(node);
    auto json = stack::compose::emit_json(node);
    if (yaml.empty() || json.empty()) __builtin_trap();
  }
  return 0;
}
