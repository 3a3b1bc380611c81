#include "compose/discovery.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/files.h"
#include "common/strings.h"

namespace stack::compose {
namespace {

struct Candidate {
  const char* name;
  const char* overrides[2];
};

// Compose v2's order of preference.
constexpr Candidate kCandidates[] = {
    {"compose.yaml", {"compose.override.yaml", "compose.override.yml"}},
    {"compose.yml", {"compose.override.yml", "compose.override.yaml"}},
    {"docker-compose.yaml", {"docker-compose.override.yaml", "docker-compose.override.yml"}},
    {"docker-compose.yml", {"docker-compose.override.yml", "docker-compose.override.yaml"}},
};

}  // namespace

std::vector<std::string> files_from_environment(const std::map<std::string, std::string>& env) {
  auto it = env.find("COMPOSE_FILE");
  if (it == env.end() || it->second.empty()) return {};
  char sep = ':';
  if (auto s = env.find("COMPOSE_PATH_SEPARATOR"); s != env.end() && !s->second.empty()) sep = s->second[0];
  std::vector<std::string> out;
  for (auto& part : split(it->second, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Result<std::vector<std::string>> discover_files(const std::string& start) {
  namespace fs = std::filesystem;
  fs::path dir = fs::absolute(start).lexically_normal();
  for (;;) {
    std::vector<std::string> found;
    const Candidate* chosen = nullptr;
    for (const auto& c : kCandidates) {
      if (path_exists((dir / c.name).string())) {
        found.push_back((dir / c.name).string());
        if (!chosen) chosen = &c;
      }
    }
    if (chosen) {
      if (found.size() > 1) {
        spdlog::warn("Found multiple config files with supported names: {}", join(found, ", "));
        spdlog::warn("Using {}", found.front());
      }
      std::vector<std::string> files{found.front()};
      for (const char* o : chosen->overrides) {
        if (path_exists((dir / o).string())) {
          files.push_back((dir / o).string());
          break;
        }
      }
      return files;
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return fail("no configuration file provided: not found");
}

}  // namespace stack::compose
