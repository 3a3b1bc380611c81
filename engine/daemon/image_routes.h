// Docker's image routes (api/server/router/image): list, inspect, history, tag, delete,
// load, save, import and prune, over the image store. Store calls run on the pool.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <map>
#include <string>

#include "engine/api/router.h"
#include "engine/image/store.h"

namespace stack::daemon {

namespace net = boost::asio;

// Publishes one event: type ("image"), action ("tag", "untag", "delete", "load",
// "import", "save", "prune"), object ID, attributes (Docker's: "name" and the image labels).
using EventSink = std::function<void(std::string type, std::string action, std::string id,
                                     std::map<std::string, std::string> attributes)>;

void add_image_routes(api::Router& router, image::Store& store, net::thread_pool& pool, EventSink events);

}  // namespace stack::daemon
