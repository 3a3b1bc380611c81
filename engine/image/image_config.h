// The OCI/Docker image config (the blob whose digest is the image ID): what a container
// inherits from its image. Parsed with nlohmann/json; unknown fields are kept in `raw`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace stack::image {

struct HealthConfig {
  std::vector<std::string> test;  // ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};

// The "config" object (Docker's container.Config subset that images carry).
struct RunConfig {
  std::string user;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> env;         // "K=V"
  std::optional<std::vector<std::string>> cmd;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<HealthConfig> healthcheck;
  std::set<std::string> volumes;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::vector<std::string> on_build;
  bool args_escaped = false;
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string architecture = "amd64";
  std::string os = "linux";
  std::string variant;
  std::string created;  // RFC 3339, may be empty
  std::string author;
  std::string docker_version;
  std::string comment;
  RunConfig config;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, bottom layer first
  std::vector<HistoryEntry> history;
  nlohmann::json raw;  // the whole document as read
};

Result<ImageConfig> parse_image_config(std::string_view text);
// Serializes for a new image (import): field names as Docker writes them.
std::string serialize_image_config(const ImageConfig& config);

// Docker's image-inspect "Config" object (every field, Docker's order).
nlohmann::ordered_json inspect_run_config(const RunConfig& config);

// Sets a "KEY=VALUE" in an env list, replacing an existing KEY.
void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value);

// The host's architecture as OCI names it ("amd64", "arm64", ...).
std::string host_architecture();
// Now as RFC 3339 with nanoseconds, UTC ("2024-01-02T03:04:05.123456789Z").
std::string rfc3339_now();
// Parses RFC 3339 into seconds since the epoch (fraction dropped); nullopt if malformed.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace stack::image
