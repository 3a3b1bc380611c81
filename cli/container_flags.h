// `stack container run|create` flags, as the docker CLI spells them, and their
// conversion to the body of POST /containers/create (Docker Engine API 1.43:
// container.Config with HostConfig and NetworkingConfig inline). The conversion is
// pure (the environment is passed in), so it is unit-tested without a daemon.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "engine/api/request.h"

namespace stack::cli {

struct ContainerFlags {
  // What runs.
  std::string image;
  std::vector<std::string> command;  // after IMAGE; empty means the image's CMD
  std::optional<std::string> entrypoint;  // set (possibly to "") only when --entrypoint was given
  std::string name;

  // Process.
  std::vector<std::string> env, env_files, labels;
  std::string workdir, user, hostname;
  std::string detach_keys;  // --detach-keys ("" = ctrl-p,ctrl-q)
  bool interactive = false, tty = false, detach = false, auto_remove = false, init = false;

  // Security and limits.
  bool read_only = false, privileged = false;
  std::vector<std::string> cap_add, cap_drop, security_opt;
  std::string memory, cpus;
  std::optional<int64_t> pids_limit;
  std::vector<std::string> ulimits, sysctls, tmpfs;

  // Lifecycle.
  std::string restart;
  std::string health_cmd, health_interval, health_timeout, health_start_period, health_start_interval;
  std::optional<int> health_retries;
  bool no_healthcheck = false;
  std::string stop_signal;
  std::optional<int> stop_timeout;
  std::string log_driver;
  std::vector<std::string> log_opts;
  std::string network;
};

// Registers the flags on `cmd` (run has -d; both have --rm as docker's create does).
// -h is --hostname, as docker's; help is --help only.
void add_container_flags(CLI::App& cmd, ContainerFlags& flags, bool run);

// Parses `run`/`create` arguments as docker does (flag parsing stops at IMAGE, so every
// word after it, flags included, is the command): the flags before IMAGE go through
// the CLI11 table of add_container_flags, IMAGE and the rest are taken as they are.
// Returns false when --help was asked for (the help is printed to stdout). Errors are
// the flag errors (`unknown flag: --x`, `"run" requires at least 1 argument.`).
Result<bool> parse_container_args(const std::vector<std::string>& args, ContainerFlags& flags, bool run);

// Looks a variable up in the client's environment (-e NAME, bare NAME in --env-file).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env_lookup();

// docker's --env-file syntax: KEY=VALUE taken literally (no quotes, no expansion),
// leading blanks trimmed, `#` lines and blank lines skipped, a bare KEY passes the
// client's value or is dropped. Error: `variable 'A B' contains whitespaces`.
Result<std::vector<std::string>> parse_env_file(std::string_view text, const EnvLookup& lookup);

// "on-failure:3" -> {"Name":"on-failure","MaximumRetryCount":3}; "" -> "no". The
// daemon validates the policy name and count; the client only splits (as docker's).
Result<nlohmann::json> parse_restart_flag(std::string_view text);
// "nofile=1024:2048" -> {"Name":"nofile","Soft":1024,"Hard":2048} (go-units ParseUlimit).
Result<nlohmann::json> parse_ulimit(std::string_view text);

// The create request body. Reads --env-file and seccomp profile files named by the flags.
// Errors are the docker CLI's (exit 125 for run and create).
Result<nlohmann::json> create_request_body(const ContainerFlags& flags, const EnvLookup& lookup);

// `?name=` query for the create request ("" when no name).
std::string create_query(const ContainerFlags& flags);

// Percent-encodes a query parameter value (the API layer's encoder).
using api::url_encode;

}  // namespace stack::cli
