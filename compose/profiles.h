// Profiles and service selection, as docker compose applies them after loading
// (compose-go Project.WithProfiles, checkConsistency's depends_on rule,
// WithServicesEnabled, WithSelectedServices).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "compose/node.h"

namespace stack::compose {

struct ProfileSelection {
  std::vector<std::string> profiles;  // --profile / COMPOSE_PROFILES; "*" enables every service
  std::vector<std::string> services;  // services named on the command line (glob patterns allowed)
  bool check_dependencies = true;     // false with --no-consistency: skip the depends_on check
};

// Moves services that are not enabled out of project.services into the returned
// mapping (name -> service, in document order). In compose's order:
//  1. a service is enabled when it has no profiles or one of them is active;
//  2. every enabled service's depends_on must name an enabled service, except a
//     `required: false` one on a disabled service (compose-go's consistency check);
//  3. each named service that is disabled adds its own profiles to the active set;
//  4. when services are named, only they and their depends_on closure stay enabled
//     ("no such service: x" for a name or required dependency that is not enabled),
//     and depends_on entries on services left out are dropped.
Result<Node> apply_profiles(Node& project, const ProfileSelection& selection);

// Every profile named by any service, sorted and unique (for `config --profiles`).
std::vector<std::string> all_profiles(const Node& project);

}  // namespace stack::compose
