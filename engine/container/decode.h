// Go-json-like field readers for Docker's request bodies: null leaves the
// default, a wrong JSON type is EINVAL with Go's encoding/json message,
// prefixed "invalid JSON: " as moby's runconfig does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace stack::container::detail {

// Where a field sits: Go's UnmarshalTypeError names the innermost struct type
// and the field path from the root ("HostConfig" / "HostConfig.Memory").
struct FieldCtx {
  std::string_view go_struct;
  std::string path_prefix;  // "" at the top, "HostConfig." below it
};

class Reader {
 public:
  Reader(const nlohmann::json& obj, FieldCtx ctx) : obj_(obj), ctx_(std::move(ctx)) {}

  const nlohmann::json* find(std::string_view key) const;
  Result<void> str(std::string_view key, std::string& out, std::string_view go_type = "string") const;
  Result<void> boolean(std::string_view key, bool& out) const;
  Result<void> opt_boolean(std::string_view key, std::optional<bool>& out) const;
  Result<void> i64(std::string_view key, int64_t& out, std::string_view go_type = "int64") const;
  Result<void> opt_i64(std::string_view key, std::optional<int64_t>& out, std::string_view go_type = "int64") const;
  Result<void> i32(std::string_view key, int& out, std::string_view go_type = "int") const;
  Result<void> strings(std::string_view key, std::vector<std::string>& out) const;
  Result<void> opt_strings(std::string_view key, std::optional<std::vector<std::string>>& out) const;
  // strslice.StrSlice: an array of strings or a single string.
  Result<void> strslice(std::string_view key, std::optional<std::vector<std::string>>& out) const;
  Result<void> string_map(std::string_view key, std::map<std::string, std::string>& out) const;
  // map[string]struct{}: the keys.
  Result<void> key_set(std::string_view key, std::set<std::string>& out, std::string_view go_type) const;
  // An object (or null -> nullptr); a wrong type is an error.
  Result<const nlohmann::json*> object(std::string_view key, std::string_view go_type) const;

  std::unexpected<Error> type_error(std::string_view key, const nlohmann::json& value, std::string_view go_type) const;

 private:
  const nlohmann::json& obj_;
  FieldCtx ctx_;
};

// Go's name for a JSON value's kind in UnmarshalTypeError: "string", "number 1.5", "bool", "array", "object".
std::string go_json_kind(const nlohmann::json& value);

std::string to_upper_ascii(std::string_view s);

}  // namespace stack::container::detail
