// Semantic validation of a decoded project: the checks Docker Compose makes
// after the schema, each error located at the key it is about.
#pragma once

#include <string_view>

#include "common/error.h"
#include "compose/types.h"

namespace stack::compose {

// What `docker compose config` rejects, worded as compose-go words it, in the
// order compose-go runs the checks: key names the schema allows, compose-go's
// validation package (external volumes, secrets/configs sources, port host_ip,
// watch paths, device requests), loader/validate.go checkConsistency (services
// in name order, then secrets, then dependency cycles), and finally
// Project.CheckContainerNameUnicity.
Result<void> validate_project(const Project& project);

// What Docker Compose and the engine reject only when creating containers
// (`docker compose config` accepts them): restart policies, published port
// ranges, healthcheck start_interval without start_period, static IPs on
// networks without a configured subnet. For up/create/run, after validate_project.
Result<void> validate_for_create(const Project& project);

// An error at a key of the decoded project: "compose.yml:12:7: <path>: <message>",
// the mark being that of `path` (or its nearest recorded ancestor) in project.sources.
std::unexpected<Error> fail_at_key(const Project& project, std::string_view path, std::string_view message);

}  // namespace stack::compose
