#include "engine/api/filters.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>

namespace stack::api {

Result<Filters> parse_filters(std::string_view text) {
  Filters out;
  if (text.empty()) return out;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  // moby api/types/filters FromJSON: neither form parses -> invalidFilter{} ("invalid filter").
  auto invalid = [] { return fail("invalid filter", EINVAL); };
  if (doc.is_discarded() || !doc.is_object()) return invalid();
  for (const auto& [key, value] : doc.items()) {
    auto& values = out[key];
    if (value.is_object()) {
      // {"label":{"a=b":true}}: the keys are the values (Docker keeps them whatever the bool).
      for (const auto& [v, flag] : value.items()) {
        if (!flag.is_boolean()) return invalid();
        values.push_back(v);
      }
    } else if (value.is_array()) {
      // The legacy form: {"label":["a=b"]}.
      for (const auto& v : value) {
        if (!v.is_string()) return invalid();
        values.push_back(v.get<std::string>());
      }
    } else if (!value.is_null()) {
      return invalid();
    }
  }
  return out;
}

Result<void> validate_filters(const Filters& filters, const std::vector<std::string_view>& accepted) {
  for (const auto& [key, values] : filters) {
    if (std::find(accepted.begin(), accepted.end(), key) == accepted.end()) {
      return fail("invalid filter '" + key + "'", EINVAL);
    }
  }
  return {};
}

bool filter_exact(const Filters& filters, const std::string& key, std::string_view value) {
  auto it = filters.find(key);
  if (it == filters.end() || it->second.empty()) return true;
  return std::find(it->second.begin(), it->second.end(), value) != it->second.end();
}

}  // namespace stack::api
