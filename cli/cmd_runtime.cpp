// `stack runtime ...`: an OCI runtime with runc's command line, so bundles, tools and
// habits carry over. Each subcommand parses flags and calls one engine/runtime function.
// Runtime errors print "stack runtime: <message>" and exit 1; `run` exits with the
// container process's status (128+N for a signal, 127/126 for a command that could not
// be started, as Docker reports it).
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/image_format.h"
#include "common/files.h"
#include "common/strings.h"
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
  std::string console_socket;
  bool init = false;
  bool detach = false;
  std::string id;
};

void add_lifecycle_flags(CLI::App* c, LifecycleFlags& f) {
  c->add_option("-b,--bundle", f.bundle, "Path to the root of the bundle directory (default: current directory)");
  c->add_option("--pid-file", f.pid_file, "File to write the process id to");
  c->add_option("--console-socket", f.console_socket,
                "Path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal");
  c->add_flag("--init", f.init, "Run stack's built-in init as PID 1 (reaps zombies, forwards signals)");
  c->add_option("id", f.id, "Container ID")->required();
}

// runc resolves paths given relative to the caller's cwd before anything changes it.
std::string absolute(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return std::string(std::filesystem::current_path()) + "/" + path;
}

struct ExecFlags {
  ExecOptions options;
  std::string process_file;
  std::string user;
  std::string id;
};

Result<ExecOptions> exec_options(const std::string& root, ExecFlags& f, const std::vector<std::string>& rest) {
  ExecOptions o = f.options;
  o.root = root;
  if (rest.empty()) return fail("exec: a container ID is required");
  o.id = rest.front();
  o.args.assign(rest.begin() + 1, rest.end());
  if (!o.args.empty() && o.args.front() == "--") o.args.erase(o.args.begin());
  if (!f.process_file.empty()) {
    auto text = read_file(f.process_file);
    if (!text) return std::unexpected(text.error());
    auto p = parse_process(*text, f.process_file);
    if (!p) return std::unexpected(p.error());
    o.process = std::move(*p);
  } else if (o.args.empty()) {
    return fail("exec: a command is required (or --process)");
  }
  if (!f.user.empty()) {
    // UID[:GID], numeric as runc takes it.
    auto colon = f.user.find(':');
    std::string uid = f.user.substr(0, colon), gid = colon == std::string::npos ? "" : f.user.substr(colon + 1);
    auto number = [](const std::string& s) -> std::optional<unsigned> {
      if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
      return static_cast<unsigned>(std::stoul(s));
    };
    auto u = number(uid);
    if (!u || (colon != std::string::npos && !number(gid))) return fail("invalid --user \"" + f.user + "\": must be UID[:GID]");
    o.uid = *u;
    if (colon != std::string::npos) o.gid = *number(gid);
  }
  o.pid_file = absolute(o.pid_file);
  o.console_socket = absolute(o.console_socket);
  return o;
}

std::vector<std::string> split_whitespace(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// `ps ID [ps options]` as runc: the host's ps, only the lines of the container's pids.
int ps(const std::string& root, const std::string& id, const std::string& format, std::vector<std::string> ps_args) {
  auto pids = container_pids(root, id);
  if (!pids) return report(pids.error());
  if (format == "json") {
    std::cout << nlohmann::json(*pids).dump() << "\n";
    return 0;
  }
  if (format != "table") return report(Error{"invalid format option: " + format});
  if (!ps_args.empty() && ps_args.front() == "--") ps_args.erase(ps_args.begin());
  if (ps_args.empty()) ps_args = {"-ef"};
  std::string cmd = "ps";
  for (const auto& a : ps_args) {
    cmd += " '";
    for (char c : a) cmd += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += "'";
  }
  FILE* in = ::popen(cmd.c_str(), "r");
  if (!in) return report(Error{"run ps", errno});
  std::string text;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, in)) text.append(buf, n);
  int rc = ::pclose(in);
  if (rc != 0) return report(Error{"ps " + cmd.substr(3) + " failed"});
  auto lines = split(text, '\n');
  if (lines.empty()) return 0;
  // The PID column, found in the header.
  auto header = split_whitespace(lines.front());
  auto it = std::find(header.begin(), header.end(), "PID");
  if (it == header.end()) return report(Error{"couldn't find PID field in ps output"});
  size_t column = static_cast<size_t>(it - header.begin());
  std::cout << lines.front() << "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = split_whitespace(lines[i]);
    if (fields.size() <= column) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(fields[column].c_str()));
    if (std::binary_search(pids->begin(), pids->end(), pid)) std::cout << lines[i] << "\n";
  }
  return 0;
}

Result<CreateOptions> create_options(const std::string& root, const LifecycleFlags& f) {
  CreateOptions o;
  o.root = root;
  o.id = f.id;
  auto bundle = bundle_path(f.bundle);
  if (!bundle) return std::unexpected(bundle.error());
  o.bundle = *bundle;
  o.pid_file = absolute(f.pid_file);
  o.console_socket = absolute(f.console_socket);
  o.init = f.init;
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
    c->add_flag("-d,--detach", f->detach, "Detach from the container's process (create + start)");
    subs.push_back({c, [root, f] {
                      auto o = create_options(*root, *f);
                      if (!o) return report(o.error());
                      if (f->detach) {
                        if (auto r = create_container(*o); !r) return report(r.error());
                        if (auto r = start_container(*root, f->id); !r) return report(r.error());
                        return 0;
                      }
                      if (!o->console_socket.empty())
                        return report(Error{"cannot use console socket if stack runtime will not detach or allocate tty"});
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
    auto* c = rt->add_subcommand("exec", "Execute a new process inside the container");
    auto f = std::make_shared<ExecFlags>();
    auto& o = f->options;
    c->add_option("--console-socket", o.console_socket, "Path to an AF_UNIX socket which will receive the console's pty master");
    c->add_option("--cwd", o.cwd, "Current working directory in the container");
    c->add_option("-e,--env", o.env, "Set environment variables (KEY=VALUE)")->allow_extra_args(false);
    c->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
    c->add_option("-u,--user", f->user, "UID (format: <uid>[:<gid>])");
    c->add_option("-p,--process", f->process_file, "Path to the process.json");
    c->add_flag("-d,--detach", o.detach, "Detach from the container's process");
    c->add_option("--pid-file", o.pid_file, "File to write the process id to");
    c->add_option("-c,--cap", o.caps, "Add a capability to the bounding set for the process")->allow_extra_args(false);
    c->add_flag("--no-new-privs", o.no_new_privileges, "Set the no new privileges value for the process");
    // ID, then everything after it is the command (as runc: `exec ID sh -c ...`).
    c->add_option("id", f->id, "Container ID")->required();
    c->prefix_command();
    c->allow_extras();
    c->fallthrough(false);
    subs.push_back({c, [root, f, c] {
                      std::vector<std::string> rest = {f->id};
                      for (const auto& r : c->remaining()) rest.push_back(r);
                      auto o = exec_options(*root, *f, rest);
                      if (!o) return report(o.error());
                      auto status = exec_container(*o);
                      if (!status) {
                        report(status.error());
                        return exit_code_for_start_error(status.error().message);
                      }
                      return *status;
                    }});
  }
  {
    auto* c = rt->add_subcommand("ps", "Display the processes running inside a container");
    auto id = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("table");
    c->add_option("-f,--format", *format, "Select one of: table or json");
    auto args = std::make_shared<std::vector<std::string>>();
    c->add_option("id", *id, "Container ID")->required();
    c->add_option("ps-options", *args, "Options for ps (after --), default -ef");
    c->fallthrough(false);
    subs.push_back({c, [root, id, format, args] { return ps(*root, *id, *format, *args); }});
  }
  {
    auto* c = rt->add_subcommand("pause", "Suspend all processes inside the container (cgroup freezer)");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "Container ID")->required();
    subs.push_back({c, [root, id] {
                      if (auto r = pause_container(*root, *id); !r) return report(r.error());
                      return 0;
                    }});
  }
  {
    auto* c = rt->add_subcommand("resume", "Resume all processes that were paused");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "Container ID")->required();
    subs.push_back({c, [root, id] {
                      if (auto r = resume_container(*root, *id); !r) return report(r.error());
                      return 0;
                    }});
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
