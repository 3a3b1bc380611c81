#include "engine/daemon/absent_routes.h"

#include <string>

#include <nlohmann/json.hpp>

namespace stack::daemon {

namespace {

namespace net = boost::asio;
using api::Request;
using api::Responder;

// Docker's messages: moby's plugin store, network controller and volume service.
api::Handler not_found(std::string prefix, std::string suffix) {
  return [prefix, suffix](Request& req, Responder& res) -> net::awaitable<void> {
    std::string message = prefix + req.params["name"] + suffix;
    co_await res.error(404, message);
  };
}

}  // namespace

void add_absent_object_routes(api::Router& router) {
  router.add("GET", "/plugins/{name}/json", not_found("plugin \"", "\" not found"));
  router.add("GET", "/networks/{name}", not_found("network ", " not found"));
  router.add("GET", "/volumes/{name}", not_found("get ", ": no such volume"));
  // `docker system prune` prunes every kind; with none of these there is nothing to remove.
  router.add("POST", "/networks/prune", [](Request&, Responder& res) -> net::awaitable<void> {
    nlohmann::ordered_json j;
    j["NetworksDeleted"] = nlohmann::ordered_json::array();
    co_await res.json(200, j);
  });
  router.add("POST", "/build/prune", [](Request&, Responder& res) -> net::awaitable<void> {
    nlohmann::ordered_json j;
    j["CachesDeleted"] = nlohmann::ordered_json::array();
    j["SpaceReclaimed"] = 0;
    co_await res.json(200, j);
  });
}

}  // namespace stack::daemon
