// `stack container exec [-i] [-t] [-d] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...`,
// as docker's exec.go: POST /containers/{id}/exec, then POST /exec/{id}/start (hijacked
// unless -d), pump to EOF, then GET /exec/{id}/json for the ExitCode (the daemon sets
// 126/127 when the command could not be run).
#include <iostream>

#include "cli/attach.h"
#include "cli/cmd_container.h"
#include "cli/container_flags.h"
#include "common/files.h"
#include "engine/api/detach_keys.h"

namespace stack::cli::container {
namespace {

using nlohmann::json;

struct ExecFlags {
  bool interactive = false, tty = false, detach = false, privileged = false;
  std::vector<std::string> env, env_files;
  std::string workdir, user, detach_keys, container;
};

Result<std::vector<std::string>> exec_env(const ExecFlags& f) {
  std::vector<std::string> out;
  auto lookup = process_env_lookup();
  for (const auto& path : f.env_files) {
    auto text = read_file(path);
    if (!text) return fail("open " + path + ": no such file or directory");
    auto lines = parse_env_file(*text, lookup);
    if (!lines) return std::unexpected(lines.error());
    out.insert(out.end(), lines->begin(), lines->end());
  }
  for (const auto& e : f.env) {
    if (e.find('=') != std::string::npos) {
      out.push_back(e);
    } else if (auto v = lookup(e)) {
      out.push_back(e + "=" + *v);
    }
  }
  return out;
}

int exec(const StateFlags& state, const ExecFlags& f, const std::vector<std::string>& cmd) {
  if (cmd.empty()) {
    std::cerr << "\"stack container exec\" requires at least 2 arguments.\n";
    return 1;
  }
  auto env = exec_env(f);
  if (!env) return report(env.error());
  auto c = connect(state);
  if (!c) return 1;
  json body = {{"User", f.user},
               {"Privileged", f.privileged},
               {"Tty", f.tty},
               {"AttachStdin", f.interactive && !f.detach},
               {"AttachStderr", !f.detach},
               {"AttachStdout", !f.detach},
               {"Detach", f.detach},
               {"DetachKeys", f.detach_keys},
               {"Env", *env},
               {"WorkingDir", f.workdir},
               {"Cmd", cmd}};
  auto created = call_json(*c, "POST", "/containers/" + esc(f.container) + "/exec", body.dump());
  if (!created) return report(created.error());
  std::string id = created->value("Id", "");
  if (id.empty()) return report(Error{"exec create: the daemon returned no Id"});
  json start = {{"Detach", f.detach}, {"Tty", f.tty}};
  // As docker's CLI (API 1.42+): the terminal is made with our size, not resized after.
  if (int h = 0, w = 0; f.tty && !f.detach && (terminal_size(1, h, w) || terminal_size(0, h, w)))
    start["ConsoleSize"] = {h, w};
  if (f.detach) {
    auto r = call(*c, "POST", "/exec/" + id + "/start", start.dump());
    return r ? 0 : report(r.error());
  }
  auto conn = c->hijack("/exec/" + id + "/start", start.dump());
  if (!conn) return report(api_error(conn.error()));
  {
    std::optional<RawTerminal> raw_in, raw_out;
    if (f.tty) {
      if (f.interactive) raw_in.emplace(0);
      raw_out.emplace(1);
    }
    PumpOptions o;
    o.tty = f.tty;
    o.send_stdin = f.interactive;
    o.detach_keys = api::parse_detach_keys(f.detach_keys.empty() ? api::kDefaultDetachKeys : f.detach_keys).value_or("");
    if (f.tty) {
      auto* client = &*c;
      o.resize = [client, id](int h, int w) {
        (void)client->request("POST", "/exec/" + id + "/resize?h=" + std::to_string(h) + "&w=" + std::to_string(w));
      };
    }
    auto pumped = pump_stream(*conn, o);
    // Detached with the keys (docker: "read escape sequence", exit 1); the process goes on.
    if (!pumped && pumped.error().errno_value == kDetachedErrno) {
      std::cerr << kDetachedMessage << "\n";
      return 1;
    }
    if (!pumped) report(pumped.error());
  }
  auto inspect = call_json(*c, "GET", "/exec/" + id + "/json");
  if (!inspect) return report(inspect.error());
  auto code = inspect->find("ExitCode");
  if (code == inspect->end() || !code->is_number()) return 126;
  return code->get<int>();
}

}  // namespace

void add_exec_command(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  auto* c = parent.add_subcommand("exec", "Execute a command in a running container");
  auto f = std::make_shared<ExecFlags>();
  c->add_flag("-i,--interactive", f->interactive, "Keep STDIN open even if not attached");
  c->add_flag("-t,--tty", f->tty, "Allocate a pseudo-TTY");
  c->add_flag("-d,--detach", f->detach, "Detached mode: run command in the background");
  c->add_flag("--privileged", f->privileged, "Give extended privileges to the command");
  c->add_option("-e,--env", f->env, "Set environment variables")->allow_extra_args(false);
  c->add_option("--env-file", f->env_files, "Read in a file of environment variables")->allow_extra_args(false);
  c->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
  c->add_option("-u,--user", f->user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  c->add_option("--detach-keys", f->detach_keys, "Override the key sequence for detaching a container");
  c->add_option("container", f->container, "CONTAINER")->required();
  // CONTAINER COMMAND [ARG...]: everything after the name is the command, flags included.
  c->prefix_command();
  c->allow_extras();
  c->fallthrough(false);
  subs.push_back({c, [&state, c, f] { return exec(state, *f, c->remaining()); }});
}

}  // namespace stack::cli::container
