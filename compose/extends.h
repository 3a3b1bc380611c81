// Service `extends` (compose-spec 05-services.md#extends, compose-go
// loader/extends.go): a service is merged over the service it names, in the same
// file or another one, recursively. compose-go v2 inherits every key (older
// compose versions dropped depends_on, links, volumes_from, ...); the merge rules
// are those of merge_services.
#pragma once

#include <functional>
#include <string>

#include "common/error.h"
#include "compose/node.h"

namespace stack::compose {

// Reads, parses, interpolates and canonicalizes another compose file (the loader
// supplies it and may cache it). No include or extends applied.
using DocumentLoader = std::function<Result<Node>(const std::string& absolute_path)>;

// Resolves every `extends` in project.services in place and removes the keys.
// - `file` relative paths are taken against project_file's folder; run
//   resolve_project_paths first to have them against the project directory as
//   compose-go does (it leaves absolute ones alone).
// - Services of another file get their relative paths resolved against that
//   file's folder (home_dir expands "~") before they are merged, and their own
//   `extends` follow that file.
// - Errors in compose-go's words, located at the extends node:
//   `cannot extend service "web" in compose.yml: service "base" not found`,
//   `... service "base" not found in base.yml`, `... in /abs/base.yml: no services section`,
//   `extends.web.service is required`, and for cycles
//   "Circular reference:\n  a in compose.yml\n  extends b in compose.yml\n  extends a in compose.yml".
// Merge tags (!reset, !override) of the extending service are consumed by the merge.
Result<void> apply_extends(Node& project, const std::string& project_file, const DocumentLoader& load,
                           const std::string& home_dir = {});

}  // namespace stack::compose
