#include "engine/container/decode.h"

#include <cerrno>
#include <cmath>
#include <limits>

namespace stack::container::detail {

std::string go_json_kind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "bool";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::number_float:
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "number " + value.dump();
    default:
      return "null";
  }
}

std::string to_upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

const nlohmann::json* Reader::find(std::string_view key) const {
  if (!obj_.is_object()) return nullptr;
  auto it = obj_.find(std::string(key));
  if (it == obj_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::unexpected<Error> Reader::type_error(std::string_view key, const nlohmann::json& value,
                                          std::string_view go_type) const {
  std::string kind = go_json_kind(value);
  // Go names a number by its kind alone unless it is a number into a numeric type.
  if (kind.starts_with("number ") && go_type.find("int") == std::string_view::npos) kind = "number";
  return fail("invalid JSON: json: cannot unmarshal " + kind + " into Go struct field " + std::string(ctx_.go_struct) +
                  "." + ctx_.path_prefix + std::string(key) + " of type " + std::string(go_type),
              EINVAL);
}

Result<void> Reader::str(std::string_view key, std::string& out, std::string_view go_type) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_string()) return type_error(key, *v, go_type);
  out = v->get<std::string>();
  return {};
}

Result<void> Reader::boolean(std::string_view key, bool& out) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_boolean()) return type_error(key, *v, "bool");
  out = v->get<bool>();
  return {};
}

Result<void> Reader::opt_boolean(std::string_view key, std::optional<bool>& out) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_boolean()) return type_error(key, *v, "bool");
  out = v->get<bool>();
  return {};
}

Result<void> Reader::i64(std::string_view key, int64_t& out, std::string_view go_type) const {
  const auto* v = find(key);
  if (!v) return {};
  if (v->is_number_integer()) {
    out = v->get<int64_t>();
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return type_error(key, *v, go_type);
    return {};
  }
  if (v->is_number_float()) {
    // Go accepts no fraction or exponent for an integer field.
    return type_error(key, *v, go_type);
  }
  return type_error(key, *v, go_type);
}

Result<void> Reader::opt_i64(std::string_view key, std::optional<int64_t>& out, std::string_view go_type) const {
  const auto* v = find(key);
  if (!v) return {};
  int64_t value = 0;
  if (auto r = i64(key, value, go_type); !r) return r;
  out = value;
  return {};
}

Result<void> Reader::i32(std::string_view key, int& out, std::string_view go_type) const {
  int64_t value = out;
  if (auto r = i64(key, value, go_type); !r) return r;
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
    return type_error(key, *find(key), go_type);
  out = static_cast<int>(value);
  return {};
}

Result<void> Reader::strings(std::string_view key, std::vector<std::string>& out) const {
  std::optional<std::vector<std::string>> v;
  if (auto r = opt_strings(key, v); !r) return r;
  if (v) out = std::move(*v);
  return {};
}

Result<void> Reader::opt_strings(std::string_view key, std::optional<std::vector<std::string>>& out) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_array()) return type_error(key, *v, "[]string");
  std::vector<std::string> items;
  for (const auto& item : *v) {
    if (item.is_null()) {
      items.emplace_back();
      continue;
    }
    if (!item.is_string()) return type_error(key, item, "string");
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
  return {};
}

Result<void> Reader::strslice(std::string_view key, std::optional<std::vector<std::string>>& out) const {
  const auto* v = find(key);
  if (!v) return {};
  if (v->is_string()) {
    out = std::vector<std::string>{v->get<std::string>()};
    return {};
  }
  if (!v->is_array()) {
    // StrSlice's own UnmarshalJSON reports the inner failure without a field.
    return fail("invalid JSON: json: cannot unmarshal " + go_json_kind(*v).substr(0, go_json_kind(*v).find(' ')) +
                    " into Go value of type string",
                EINVAL);
  }
  std::vector<std::string> items;
  for (const auto& item : *v) {
    if (item.is_null()) {
      items.emplace_back();
      continue;
    }
    if (!item.is_string())
      return fail("invalid JSON: json: cannot unmarshal " + go_json_kind(item).substr(0, go_json_kind(item).find(' ')) +
                      " into Go value of type string",
                  EINVAL);
    items.push_back(item.get<std::string>());
  }
  out = std::move(items);
  return {};
}

Result<void> Reader::string_map(std::string_view key, std::map<std::string, std::string>& out) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_object()) return type_error(key, *v, "map[string]string");
  std::map<std::string, std::string> m;
  for (const auto& [k, item] : v->items()) {
    if (item.is_null()) {
      m[k];
      continue;
    }
    if (!item.is_string()) return type_error(key, item, "string");
    m[k] = item.get<std::string>();
  }
  out = std::move(m);
  return {};
}

Result<void> Reader::key_set(std::string_view key, std::set<std::string>& out, std::string_view go_type) const {
  const auto* v = find(key);
  if (!v) return {};
  if (!v->is_object()) return type_error(key, *v, go_type);
  std::set<std::string> s;
  for (const auto& [k, item] : v->items()) {
    if (!item.is_null() && !item.is_object()) return type_error(key, item, "struct {}");
    s.insert(k);
  }
  out = std::move(s);
  return {};
}

Result<const nlohmann::json*> Reader::object(std::string_view key, std::string_view go_type) const {
  const auto* v = find(key);
  if (!v) return nullptr;
  if (!v->is_object()) return type_error(key, *v, go_type);
  return v;
}

}  // namespace stack::container::detail
