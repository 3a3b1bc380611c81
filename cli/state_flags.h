// Where the engine keeps its state: --root (env STACK_ROOT, default /var/lib/stack)
// and --run-root (env STACK_RUN, default /run/stack). Tests give each instance its own.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <string>

namespace stack::cli {

struct StateFlags {
  std::string root;
  std::string run_root;

  std::string state_root() const { return pick(root, "STACK_ROOT", "/var/lib/stack"); }
  std::string run_dir() const { return pick(run_root, "STACK_RUN", "/run/stack"); }

 private:
  static std::string pick(const std::string& flag, const char* env, const char* fallback) {
    if (!flag.empty()) return flag;
    const char* v = std::getenv(env);
    return v && *v ? v : fallback;
  }
};

inline void add_state_flags(CLI::App& app, StateFlags& flags) {
  app.add_option("--root", flags.root, "Engine state root (env STACK_ROOT, default /var/lib/stack)");
  app.add_option("--run-root", flags.run_root, "Engine run directory (env STACK_RUN, default /run/stack)");
}

}  // namespace stack::cli
