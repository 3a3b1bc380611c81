// POST /containers/create: Docker's body (Config fields at the top level plus
// "HostConfig" and "NetworkingConfig") -> a validated Record, with the image's
// config merged in as Docker's daemon does (moby daemon/commit.go merge,
// daemon/create.go, daemon/container.go verifyContainerSettings).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/container/record.h"
#include "engine/image/image_config.h"

namespace stack::container {

// Decodes the create body. Unknown fields are ignored (as Go's json decoder); a
// known field of the wrong JSON type is EINVAL with Go's message shape:
// "json: cannot unmarshal string into Go struct field Config.Tty of type bool".
// Does not merge image defaults or validate.
Result<Config> decode_config(const nlohmann::json& body);
Result<HostConfig> decode_host_config(const nlohmann::json& host_config);

// Docker's merge of the image config into the user's (user env first, then
// image env keys the user did not set; labels; Cmd/Entrypoint; Healthcheck
// field by field; User/WorkingDir/StopSignal/Volumes/ExposedPorts).
void merge_image_config(Config& config, const image::RunConfig& image);

// Validation of Config and HostConfig with Docker's messages (EINVAL).
Result<void> validate_config(const Config& config);
Result<void> validate_host_config(const HostConfig& host_config);

// The whole create: decode, validate the name (EINVAL "Invalid container name
// (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"), merge the image, verify,
// fill Docker's create-time defaults (hostname = short id, ShmSize 64 MiB,
// IpcMode private, CgroupnsMode, MemorySwap = 2 x Memory, OomKillDisable),
// resolve Path/Args. `name` may be empty (the caller generates one: see
// names.h) or carry a leading "/". Generates the id; sets Created. Paths
// (log, hosts, ...) are left for the daemon, which knows the state root; see
// set_paths().
Result<Record> record_from_create(const nlohmann::json& body, const std::string& name,
                                  const image::ImageConfig& image, const std::string& image_id);

// Fills log_path, resolv_conf_path, hostname_path, hosts_path under
// <state_root>/containers/<id>/ as Docker does.
void set_paths(Record& r, const std::string& state_root);

}  // namespace stack::container
