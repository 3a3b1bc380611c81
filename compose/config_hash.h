// The service config hash docker compose stores in the
// `com.docker.compose.config-hash` label and compares to decide whether a
// container must be recreated (docker/compose pkg/compose/hash.go ServiceHash).
#pragma once

#include <string>

#include "compose/node.h"

namespace stack::compose {

// `encoded_service` is one service as encode_project() emits it (a mapping).
// Like ServiceHash, changes to these do not change the hash (they never force
// a recreate): build, pull_policy, scale, deploy.replicas, depends_on, profiles,
// and what Go's JSON never sees: the service's name and every x-* extension
// key of the service and of its nested objects (x-* keys inside user maps such
// as labels or environment are real entries and do count). Any other change
// does. Mapping keys are sorted before hashing, since compose's JSON has a
// fixed field order and sorted map keys: reordering keys never changes the hash.
// Returns the SHA-256 of the compact JSON as 64 lowercase hex digits.
std::string service_config_hash(const Node& encoded_service);

// The exact JSON text that service_config_hash digests (for tests and debugging).
std::string service_hash_document(const Node& encoded_service);

// Removes x-* extension keys the way Go's `json:"-"` on every Extensions field
// does, keeping x-* entries of user-keyed maps (labels, environment, ...).
// `node` is a service (or any object nested in one).
Node without_extensions(const Node& node);

}  // namespace stack::compose
