// Shared by the cmd_container_*.cpp files: each adds its `stack container` subcommands;
// API calls go through these helpers so every command reports errors as docker does
// ("Error response from daemon: No such container: x").
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/state_flags.h"
#include "common/error.h"
#include "engine/client/client.h"

namespace stack::cli::container {

// A failed API call: the daemon's answer ("Error response from daemon: ...", errno from
// the status) or why we could not talk to it (the transport's message).
Error api_error(const Error& e);
Error api_error(const client::Response& r);
bool is_daemon_error(const Error& e);

// Calls returning the response only for a 2xx status (304 counts as success too: docker
// treats "already stopped/started" as done).
Result<client::Response> call(client::Client& c, std::string_view method, std::string_view target,
                              std::string_view body = {});
Result<nlohmann::json> call_json(client::Client& c, std::string_view method, std::string_view target,
                                 std::string_view body = {});

// Prints an error as docker's CLI does on stderr; returns `code`.
int report(const Error& e, int code = 1);

// A client for the daemon (auto-started); prints the error and returns nullopt on failure.
std::optional<client::Client> connect(const StateFlags& state);

// Percent-encoded path segment / query value.
std::string esc(std::string_view s);

// docker run's exit code for a failed start: 126 (cannot execute), 127 (not found), else 125.
int start_error_code(const std::string& message);

void add_run_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);        // run, create, start
void add_lifecycle_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);  // stop ... wait
void add_query_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);      // ls inspect top stats
void add_logs_command(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);
void add_exec_command(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);
void add_cp_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);     // cp export
void add_changes_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs);  // diff commit update
void add_df_command(CLI::App& system, const StateFlags& state, std::vector<Command>& subs);         // system df

}  // namespace stack::cli::container
