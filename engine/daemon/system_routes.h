// /_ping, /version, /info, /events.
#pragma once

#include <string>

#include "engine/api/router.h"
#include "engine/daemon/container_service.h"

namespace stack::daemon {

struct SystemInfo {
  std::string id;  // stable daemon id (from <root>/engine-id)
  std::string root;
  std::string name;  // hostname
};

void add_system_routes(api::Router& router, ContainerService& service, SystemInfo info);

}  // namespace stack::daemon
