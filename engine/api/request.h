// One parsed API request: the path without its /v1.NN prefix, decoded query, route
// params, and Docker's rules for reading query values (api/server/httputils).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace stack::api {

struct Request {
  std::string method, target;  // target raw, as sent
  std::string path;            // percent-decoded, /v1.NN prefix removed
  std::string api_version;     // from the path, else kDefaultApiVersion
  std::multimap<std::string, std::string> query;  // decoded ('+' is a space, as Go's ParseQuery)
  std::map<std::string, std::string> params;      // route params: "{id}" -> params["id"]
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;

  // Case-insensitive; "" if absent.
  std::string header(std::string_view name) const;
  // The first value of `key`, nullopt if absent.
  std::optional<std::string> query_value(std::string_view key) const;
  // Every value of `key` (?names=a&names=b).
  std::vector<std::string> query_values(std::string_view key) const;
  // Docker's BoolValueOrDefault: absent -> fallback; "", "0", "no", "false", "none"
  // (any case, trimmed) -> false; anything else -> true.
  bool query_bool(std::string_view key, bool fallback = false) const;
  // Docker's Int64ValueOrDefault: absent or "" -> fallback; not a number -> EINVAL.
  Result<int64_t> query_int(std::string_view key, int64_t fallback) const;
};

// Percent-decoding; '+' becomes a space when `plus_is_space` (query strings).
std::string url_decode(std::string_view s, bool plus_is_space);
std::string url_encode(std::string_view s);  // for query values (the client)

// Fills path, api_version and query from `target` ("/v1.43/containers/json?all=1").
void parse_target(Request& request);

}  // namespace stack::api
