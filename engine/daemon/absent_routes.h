// Inspect routes of object kinds stack has none of yet (plugins; networks and
// volumes until the netplane and volumes issues): `docker inspect NAME` probes
// each kind, so each answers Docker's own 404 message for a missing object; and the
// prunes of those kinds (`docker system prune`), which have nothing to remove.
#pragma once

#include "engine/api/router.h"

namespace stack::daemon {

void add_absent_object_routes(api::Router& router);

}  // namespace stack::daemon
