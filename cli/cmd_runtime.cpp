// `stack runtime ...`: an OCI runtime with runc's command line, so bundles, tools and
// habits carry over. Each subcommand parses flags and calls one engine/runtime function.
// Runtime errors print "stack runtime: <message>" and exit 1; `run` exits with the
// container process's status (128+N for a signal, 127/126 for a command that could not
// be started, as Docker reports it).
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/image_format.h"
#include "common/files.h"
#include "engine/runtime/container.h"
#include "engine/runtime/process_setup.h"
#include "engine/runtime/spec_json.h"
#include "engine/runtime/state.h"
#include "engine/runtime/syscalls.h"

namespace stack::cli {
namespace {

using namespace stack::runtime;

int report(const Error& e) {
  std::cerr << "stack runtime: " << e.to_string() << "\n";
  return 1;
}

// The bundle as an absolute path; the current directory by default.
Result<std::string> bundle_path(const std::string& flag) {
  std::string b = flag.empty() ? "." : flag;
  char resolved[PATH_MAX];
  if (!::realpath(b.c_str(), resolved)) return fail_errno("bundle " + b);
  return std::string(resolved);
}

struct LifecycleFlags {
  std::string bundle;
  std::string pid_file;
  std::string id;
};

void add_lifecycle_flags(CLI::App* c, LifecycleFlags& f) {
  c->add_option("-b,--bundle", f.bundle, "Path to the root of the bundle directory (default: current directory)");
  c->add_option("--pid-file", f.pid_file, "File to write the process id to");
  c->add_option("id", f.id, "Container ID")->required();
}

Result<CreateOptions> create_options(const std::string& root, const LifecycleFlags& f) {
  CreateOptions o;
  o.root = root;
  o.id = f.id;
  auto bundle = bundle_path(f.bundle);
  if (!bundle) return std::unexpected(bundle.error());
  o.bundle = *bundle;
  if (!f.pid_file.empty()) {
    // runc resolves it before changing anything, so a relative path means the caller's cwd.
    o.pid_file = f.pid_file.front() == '/' ? f.pid_file : std::string(std::filesystem::current_path()) + "/" + f.pid_file;
  }
  return o;
}

int list(const std::string& root, const std::string& format, bool quiet) {
  auto all = list_containers(root);
  if (!all) return report(all.error());
  if (quiet) {
    for (const auto& c : *all) std::cout << c.state.id << "\n";
    return 0;
  }
  if (format == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& c : *all) arr.push_back(oci_state_json(c.state, c.status));
    std::cout << arr.dump() << "\n";
    return 0;
  }
  if (format != "table") return report(Error{"invalid format option: " + format});
  std::vector<std::vector<std::string>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& c : *all)
    rows.push_back({c.state.id, std::to_string(c.status == Status::Stopped ? 0 : c.state.pid), to_string(c.status),
                    c.state.bundle, c.state.created, "root"});
  std::cout << tabwrite(rows);
  return 0;
}

}  // namespace

Command add_runtime_command(CLI::App& app) {
  auto* rt = app.add_subcommand("runtime", "OCI container runtime (runc's command line)");
  rt->require_subcommand(1);
  auto root = std::make_shared<std::string>(kDefaultRuntimeRoot);
  rt->add_option("--root", *root, "Root directory for container state (default /run/stack/runtime)");
  // Accepted for runc compatibility (tools pass them); stack logs to stderr.
  auto ignored = std::make_shared<std::string>();
  rt->add_option("--log", *ignored, "Ignored (runc compatibility)");
  rt->add_option("--log-format", *ignored, "Ignored (runc compatibility)");
  std::vector<Command> subs;

  {
    auto* c = rt->add_subcommand("create", "Create a container");
    auto f = std::make_shared<LifecycleFlags>();
    add_lifecycle_flags(c, *f);
    subs.push_back({c, [root, f] {
                      auto o = create_options(*root, *f);
                      if (!o) return report(o.error());
                      if (auto r = create_container(*o); !r) return report(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = rt->add_subcommand("run", "Create and run a container");
    auto f = std::make_shared<LifecycleFlags>();
    add_lifecycle_flags(c, *f);
    subs.push_back({c, [root, f] {
                      auto o = create_options(*root, *f);
                      if (!o) return report(o.error());
                      auto status = run_container(*o);
                      if (!status) {
                        report(status.error());
                        return exit_code_for_start_error(status.error().message);
                      }
                      return *status;
                    }});
  }
  {
    auto* c = rt->add_subcommand("start", "Execute the user-defined process in a created container");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "Container ID")->required();
    subs.push_back({c, [root, id] {
                      if (auto r = start_container(*root, *id); !r) return report(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = rt->add_subcommand("state", "Output the state of a container");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "Container ID")->required();
    subs.push_back({c, [root, id] {
                      auto s = container_state(*root, *id);
                      if (!s) return report(s.error());
                      std::cout << s->dump(2) << "\n";
                      return 0;
                    }});
  }
  {
    auto* c = rt->add_subcommand("kill", "Send a signal (default SIGTERM) to the container's init process");
    auto id = std::make_shared<std::string>();
    auto signal = std::make_shared<std::string>("SIGTERM");
    c->add_option("id", *id, "Container ID")->required();
    c->add_option("signal", *signal, "Signal name or number");
    subs.push_back({c, [root, id, signal] {
                      auto sig = parse_signal(*signal);
                      if (!sig) return report(sig.error());
                      if (auto r = kill_container(*root, *id, *sig); !r) return report(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = rt->add_subcommand("delete", "Delete a container and what it holds");
    auto id = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    c->add_flag("-f,--force", *force, "Forcibly delete the container if it is still running (uses SIGKILL)");
    c->add_option("id", *id, "Container ID")->required();
    subs.push_back({c, [root, id, force] {
                      auto r = delete_container(*root, *id, *force);
                      if (!r && !(*force && r.error().errno_value == ENOENT)) return report(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = rt->add_subcommand("list", "List containers started by stack runtime with the given root");
    c->alias("ls");
    auto format = std::make_shared<std::string>("table");
    auto quiet = std::make_shared<bool>(false);
    c->add_option("-f,--format", *format, "Select one of: table or json");
    c->add_flag("-q,--quiet", *quiet, "Display only container IDs");
    subs.push_back({c, [root, format, quiet] { return list(*root, *format, *quiet); }});
  }
  {
    auto* c = rt->add_subcommand("spec", "Create a new specification file (config.json)");
    auto bundle = std::make_shared<std::string>();
    c->add_option("-b,--bundle", *bundle, "Path to the root of the bundle directory");
    subs.push_back({c, [bundle] {
                      std::string path = (bundle->empty() ? std::string(".") : *bundle) + "/config.json";
                      if (path_exists(path)) return report(Error{"File " + path + " exists. Remove it first"});
                      if (auto r = write_file_replace(path, default_spec_json(), 0644); !r) return report(r.error());
                      return 0;
                    }});
  }

  return {rt, [subs] {
            for (const Command& s : subs)
              if (s.app->parsed()) return s.run();
            return 1;
          }};
}

}  // namespace stack::cli
