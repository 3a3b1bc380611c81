// `stack container ...`: the command table and the helpers its parts share. Each part
// (cmd_container_run, _lifecycle, _query, _logs, _exec) parses docker's flags and makes
// the API calls docker's CLI makes, over <run>/stack.sock.
#include "cli/cmd_container.h"

#include <iostream>

#include "cli/container_flags.h"
#include "cli/daemon_launcher.h"

namespace stack::cli {
namespace container {

bool is_daemon_error(const Error& e) { return e.message.starts_with("Error response from daemon: "); }

Error api_error(const Error& e) {
  if (is_daemon_error(e)) return e;
  // client::error_from() messages come from the daemon; transport failures name what failed.
  static const char* kTransport[] = {"Cannot connect", "read the daemon", "read from the stack daemon",
                                     "write to the stack daemon", "create a socket", "connect to the stack daemon",
                                     "decode the daemon", "shut down the write side"};
  for (const char* t : kTransport)
    if (e.message.starts_with(t)) return e;
  return Error{"Error response from daemon: " + e.message, e.errno_value};
}

Error api_error(const client::Response& r) { return api_error(client::error_from(r)); }

Result<client::Response> call(client::Client& c, std::string_view method, std::string_view target, std::string_view body) {
  auto r = c.request(method, target, body);
  if (!r) return std::unexpected(r.error());
  if (r->status >= 300 && r->status != 304) return std::unexpected(api_error(*r));
  return r;
}

Result<nlohmann::json> call_json(client::Client& c, std::string_view method, std::string_view target, std::string_view body) {
  auto r = call(c, method, target, body);
  if (!r) return std::unexpected(r.error());
  return r->json();
}

int report(const Error& e, int code) {
  // Docker prints the daemon's message alone; a connection failure without strerror.
  std::string text = is_daemon_error(e) || e.message.starts_with("Cannot connect") ? e.message : e.to_string();
  std::cerr << text << "\n";
  return code;
}

std::optional<client::Client> connect(const StateFlags& state) {
  auto c = connect_daemon(state);
  if (!c) {
    report(c.error());
    return std::nullopt;
  }
  return std::move(*c);
}

std::string esc(std::string_view s) { return url_encode(s); }

int start_error_code(const std::string& message) {
  // docker/cli run.go: the OCI runtime's words decide between "cannot run" and "not found".
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos ||
      message.find("system cannot find the file specified") != std::string::npos)
    return 127;
  if (message.find("permission denied") != std::string::npos ||
      message.find("cannot be executed") != std::string::npos || message.find("exec format error") != std::string::npos)
    return 126;
  return 125;
}

}  // namespace container

Command add_container_command(CLI::App& app, const StateFlags& state) {
  auto* cmd = app.add_subcommand("container", "Manage containers");
  cmd->require_subcommand(1);
  std::vector<Command> subs;
  container::add_run_commands(*cmd, state, subs);
  container::add_lifecycle_commands(*cmd, state, subs);
  container::add_query_commands(*cmd, state, subs);
  container::add_logs_command(*cmd, state, subs);
  container::add_exec_command(*cmd, state, subs);
  container::add_cp_commands(*cmd, state, subs);
  container::add_changes_commands(*cmd, state, subs);
  return {cmd, [subs] {
            for (const auto& s : subs)
              if (s.app->parsed()) return s.run();
            return 1;
          }};
}

}  // namespace stack::cli
