// Docker's container file routes (api/server/router/container/copy.go): HEAD/GET/PUT
// /containers/{id}/archive (docker cp) and GET /containers/{id}/export, on the
// container's leased rootfs (running or stopped). File work runs on the pool; tars are
// streamed through a pipe, never held whole in memory.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "engine/api/router.h"
#include "engine/daemon/container_service.h"

namespace stack::daemon {

void add_archive_routes(api::Router& router, ContainerService& service, boost::asio::thread_pool& pool);

}  // namespace stack::daemon
