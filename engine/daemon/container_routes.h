// The /containers and /exec routes of the API (Docker Engine API shape).
#pragma once

#include "engine/api/router.h"
#include "engine/daemon/container_service.h"

namespace stack::daemon {

void add_container_routes(api::Router& router, ContainerService& service);
void add_exec_routes(api::Router& router, ContainerService& service);

}  // namespace stack::daemon
