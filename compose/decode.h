// Canonical Node tree (CANONICAL.md) -> typed Project, with the type checks of
// the compose-spec JSON schema and compose-go's string casts ("true", "yes",
// "8080" are accepted where a boolean or integer is expected). Every decoded
// key's position is recorded in Project::sources.
//
// Errors (all located "file:line:col: key.path: message"):
//   additional properties 'imagee' not allowed      (unknown key; x-* keys are always allowed)
//   must be a string | an integer | a number | a boolean | a mapping | an array
//   invalid duration "5x"        invalid size "12Q"
#pragma once

#include <string_view>

#include "common/error.h"
#include "compose/node.h"
#include "compose/source_map.h"
#include "compose/types.h"

namespace stack::compose {

// `canonical` is the whole merged document; `project_name` becomes Project::name.
Result<Project> decode_project(const Node& canonical, std::string_view project_name);

// Services that profiles disabled (a mapping name -> service, as the profiles
// stage returns them) into project.disabled_services; null or empty is fine.
Result<void> decode_disabled_services(Project& project, const Node& disabled);

// One service mapping (as found under services.<name>); `sources` may be null.
Result<ServiceConfig> decode_service(const Node& service, std::string_view name, SourceMap* sources = nullptr);

}  // namespace stack::compose
