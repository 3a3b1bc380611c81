// Docker's image routes (api/server/router/image): list, inspect, history, tag, delete,
// load, save, import and prune, over the image store. Store calls run on the pool.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "engine/api/router.h"
#include "engine/image/store.h"

namespace stack::daemon {

namespace net = boost::asio;

// Publishes one event: type ("image"), action ("tag", "untag", "delete", "load",
// "import", "save", "prune"), object ID, attributes (Docker's: "name" and the image labels).
using EventSink = std::function<void(std::string type, std::string action, std::string id,
                                     std::map<std::string, std::string> attributes)>;

// Which container (if any) uses an image ID: "<id>" and whether it runs. Deleting an image
// a container uses needs force (and a running container's image cannot go), as in Docker.
struct ImageUser {
  std::string container_id;
  bool running = false;
};
using ImageUsage = std::function<std::optional<ImageUser>(const std::string& image_id)>;

void add_image_routes(api::Router& router, image::Store& store, net::thread_pool& pool, EventSink events,
                      ImageUsage usage = {});

}  // namespace stack::daemon
