// Routes: METHOD + pattern, segments literal, "{name}" (one segment) or "{name:.*}"
// (one or more segments, greedy, as Docker's /images/{name:.*}/json). The first
// registered route that matches wins.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/request.h"
#include "engine/api/responder.h"

namespace stack::api {

using Handler = std::function<net::awaitable<void>(Request&, Responder&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler h);

  struct Match {
    const Handler* handler = nullptr;  // null: no route
    std::map<std::string, std::string> params;
  };
  // `path` is the decoded path without the version prefix. A path that matches only
  // under another method is "no route" (Docker answers 404 for both).
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the param name
    bool param = false;
    bool greedy = false;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool match_segments(const std::vector<Segment>& pattern, size_t pi, const std::vector<std::string>& parts,
                             size_t si, std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

}  // namespace stack::api
