#include "compose/environment.h"

#include "common/files.h"
#include "compose/dotenv.h"

namespace stack::compose {
namespace {

Result<void> resolve_service(const std::string& name, ServiceConfig& service, const SourceMap* sources,
                             const Lookup& variables, bool discard_env_files) {
  OptionalStringMap resolved;
  for (size_t i = 0; i < service.env_file.size(); ++i) {
    const EnvFile& file = service.env_file[i];
    if (!path_exists(file.path)) {
      if (!file.required) continue;
      std::string path = "services." + name + ".env_file[" + std::to_string(i) + "]";
      Mark mark = sources ? sources->find(path) : Mark{};
      return fail_at(mark, path, "env file " + file.path + " not found: stat " + file.path +
                                     ": no such file or directory");
    }
    // Variables in an env file see the project's variables and the file's own earlier lines.
    auto vars = read_dotenv_file(file.path, variables);
    if (!vars) return std::unexpected(vars.error());
    for (auto& [k, v] : *vars) resolved[k] = v;
  }
  for (const auto& [k, v] : service.environment) resolved[k] = v;
  for (auto& [k, v] : resolved) {
    if (!v) v = variables(k);
  }
  service.environment = std::move(resolved);
  if (discard_env_files) service.env_file.clear();
  return {};
}

}  // namespace

Result<void> resolve_environment(Project& project, const Lookup& variables, bool discard_env_files) {
  for (auto& [name, service] : project.services) {
    if (auto r = resolve_service(name, service, project.sources.get(), variables, discard_env_files); !r) return r;
  }
  return {};
}

}  // namespace stack::compose
