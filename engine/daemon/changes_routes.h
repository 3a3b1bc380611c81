// What a container changed and what to do with it: GET /containers/{id}/changes (docker
// diff), POST /commit (docker commit), POST /containers/{id}/update (docker update) and
// GET /system/df (docker system df). File work runs on the pool, holding a rootfs lease.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "engine/api/router.h"
#include "engine/daemon/container_service.h"

namespace stack::daemon {

void add_changes_routes(api::Router& router, ContainerService& service, boost::asio::thread_pool& pool);

}  // namespace stack::daemon
