#include "compose/decode.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "common/strings.h"
#include "compose/fields.h"

namespace stack::compose {
namespace {

using Status = Result<void>;

std::unexpected<Error> must_be(const Node& n, std::string_view path, std::string_view what) {
  return fail_at(n.mark(), path, "must be " + std::string(what));
}

// The text of a scalar as compose-go's decoder sees it after its casts
// (numbers and booleans become their text).
Result<std::string> scalar_text(const Node& n, std::string_view path) {
  if (!n.is_scalar()) return must_be(n, path, "a string");
  return n.value();
}

std::optional<int64_t> parse_int_text(std::string_view text, bool allow_prefixes) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (allow_prefixes && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (allow_prefixes && s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (negative) {
    if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - magnitude);
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

Result<int64_t> decode_int(const Node& n, std::string_view path) {
  if (n.is_scalar()) {
    if (auto v = parse_int_text(n.value(), !n.quoted())) return *v;
  }
  return must_be(n, path, "an integer");
}

// YAML booleans, plus compose-go's cast of strings (y/yes/on, n/no/off).
Result<bool> decode_bool(const Node& n, std::string_view path) {
  if (n.is_scalar()) {
    std::string v = to_lower(n.value());
    if (v == "true" || v == "y" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "n" || v == "no" || v == "off") return false;
  }
  return must_be(n, path, "a boolean");
}

Result<double> decode_number(const Node& n, std::string_view path) {
  if (n.is_scalar() && !n.value().empty()) {
    const std::string& text = n.value();
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() + text.size() && std::isfinite(v) && !std::isspace(static_cast<unsigned char>(text[0])))
      return v;
  }
  return must_be(n, path, "a number");
}

// "K=V" -> (K, V); "K" -> (K, nullopt).
std::pair<std::string, std::optional<std::string>> split_assignment(const std::string& item) {
  size_t eq = item.find('=');
  if (eq == std::string::npos) return {item, std::nullopt};
  return {item.substr(0, eq), item.substr(eq + 1)};
}

// Rewrites a few short forms compose-go's transform accepts, in case a node
// reaches decode without passing through transform (tests, --no-normalize).
Node short_to_long(const Node& n, std::string_view long_key) {
  Node m = Node::mapping(n.mark());
  m.set(std::string(long_key), n, n.mark());
  return m;
}

class Decoder {
 public:
  explicit Decoder(SourceMap* sources) : sources_(sources) {}

  void record(const std::string& path, const Mark& mark) {
    if (sources_ && mark.known()) sources_->record(path, mark);
  }

  // Entry point for every field type.
  template <class T>
  Status decode(const Node& n, const std::string& path, T& out, FieldFlags flags) {
    if constexpr (std::is_same_v<T, std::string>) {
      auto text = scalar_text(n, path);
      if (!text) return std::unexpected(text.error());
      out = std::move(*text);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (n.is_null()) return {};
      auto v = decode_bool(n, path);
      if (!v) return std::unexpected(v.error());
      out = *v;
    } else if constexpr (std::is_same_v<T, int64_t>) {
      if (n.is_null()) return {};
      if ((flags & kDeviceCount) && n.is_scalar() && to_lower(n.value()) == "all") {
        out = -1;
        return {};
      }
      auto v = decode_int(n, path);
      if (!v) return std::unexpected(v.error());
      out = *v;
    } else if constexpr (std::is_same_v<T, uint64_t> || std::is_same_v<T, uint32_t>) {
      if (n.is_null()) return {};
      auto v = decode_int(n, path);
      if (!v) return std::unexpected(v.error());
      if (*v < 0) return fail_at(n.mark(), path, "must be greater than or equal to 0");
      if (static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) return must_be(n, path, "an integer");
      out = static_cast<T>(*v);
    } else if constexpr (std::is_same_v<T, float>) {
      if (n.is_null()) return {};
      auto v = decode_number(n, path);
      if (!v) return std::unexpected(v.error());
      out = static_cast<float>(*v);
    } else if constexpr (std::is_same_v<T, Duration>) {
      return decode_duration(n, path, out);
    } else if constexpr (std::is_same_v<T, UnitBytes>) {
      return decode_bytes(n, path, out);
    } else if constexpr (IsOptional<T>::value) {
      return decode_optional(n, path, out, flags);
    } else if constexpr (IsVector<T>::value) {
      return decode_vector(n, path, out, flags);
    } else if constexpr (IsMap<T>::value) {
      return decode_map(n, path, out);
    } else if constexpr (Reflected<T>) {
      return decode_struct(n, path, out);
    } else {
      static_assert(kAlwaysFalse<T>, "no decoder for this field type");
    }
    return {};
  }

  // Structs: every key must be a field or an x-* extension.
  template <class T>
  Status decode_struct(const Node& input, const std::string& path, T& out) {
    const Node* node = &input;
    std::optional<Node> rewritten = rewrite_short_form(input, out);
    if (rewritten) node = &*rewritten;
    if (!node->is_mapping()) return must_be(*node, path, "a mapping");

    std::vector<std::string> unknown;
    const Entry* first_unknown = nullptr;
    for (const Entry& e : node->entries()) {
      if (e.key.starts_with("x-") || has_field(out, e.key) || ignored_key(out, e.key)) continue;
      unknown.push_back("'" + e.key + "'");
      if (!first_unknown) first_unknown = &e;
    }
    if (first_unknown) {
      std::string message = "additional properties " + join(unknown, ", ") + " not allowed";
      return fail_at(first_unknown->key_mark.known() ? first_unknown->key_mark : first_unknown->value.mark(), path,
                     message);
    }

    for (const Entry& e : node->entries()) {
      std::string sub = path_key(path, e.key);
      record(sub, e.key_mark.known() ? e.key_mark : e.value.mark());
      Status status;
      visit_fields(out, [&](std::string_view key, auto& field, FieldFlags flags) {
        using F = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<F, Extensions>) {
          if (e.key.starts_with("x-")) field.entries.push_back(e);
        } else {
          if (key == e.key && status) status = decode(e.value, sub, field, flags);
        }
      });
      if (!status) return status;
    }
    return {};
  }

 private:
  template <class T>
  static bool has_field(T& out, std::string_view name) {
    bool found = false;
    visit_fields(out, [&](std::string_view key, auto&, FieldFlags) { found = found || (key == name && key != kExtensionsKey); });
    return found;
  }

  // Keys the schema allows but compose-go's model drops.
  template <class T>
  static bool ignored_key(const T&, std::string_view key) {
    if constexpr (std::is_same_v<T, ServiceConfig>) return key == "pull_refresh_after";
    return false;
  }

  // Short forms of single-valued objects (see CANONICAL.md) and the deprecated
  // `external: {name: x}` of top-level resources.
  template <class T>
  static std::optional<Node> rewrite_short_form(const Node& n, const T&) {
    if constexpr (std::is_same_v<T, BuildConfig>) {
      if (n.is_scalar()) return short_to_long(n, "context");
    } else if constexpr (std::is_same_v<T, ExtendsConfig>) {
      if (n.is_scalar()) return short_to_long(n, "service");
    } else if constexpr (std::is_same_v<T, EnvFile>) {
      if (n.is_scalar()) return short_to_long(n, "path");
    } else if constexpr (std::is_same_v<T, FileReferenceConfig>) {
      if (n.is_scalar()) return short_to_long(n, "source");
    } else if constexpr (std::is_same_v<T, HealthCheckConfig>) {
      const Node* test = n.is_mapping() ? n.find("test") : nullptr;
      if (test && test->is_scalar()) {
        Node copy = n;
        Node seq = Node::sequence(test->mark());
        seq.push_back(Node::string("CMD-SHELL", test->mark()));
        seq.push_back(*test);
        copy.set("test", std::move(seq));
        return copy;
      }
    } else if constexpr (std::is_same_v<T, NetworkConfig> || std::is_same_v<T, VolumeConfig> ||
                         std::is_same_v<T, FileObjectConfig>) {
      if (n.is_null()) return Node::mapping(n.mark());
      const Node* external = n.is_mapping() ? n.find("external") : nullptr;
      if (external && external->is_mapping()) {
        Node copy = n;
        const Node* ext_name = external->find("name");
        if (ext_name && !copy.contains("name")) copy.set("name", *ext_name);
        copy.set("external", Node::scalar("true", external->mark()));
        return copy;
      }
    }
    return std::nullopt;
  }

  Status decode_duration(const Node& n, const std::string& path, Duration& out) {
    if (n.is_null()) return {};
    if (!n.is_scalar()) return must_be(n, path, "a string");
    auto d = parse_duration(n.value());
    if (!d) return fail_at(n.mark(), path, d.error().message);
    out = *d;
    return {};
  }

  Status decode_bytes(const Node& n, const std::string& path, UnitBytes& out) {
    if (n.is_null()) return {};
    if (!n.is_scalar()) return must_be(n, path, "a string or number");
    auto b = parse_unit_bytes(n.value());
    if (!b) return fail_at(n.mark(), path, b.error().message);
    out = *b;
    return {};
  }

  template <class T>
  Status decode_optional(const Node& n, const std::string& path, std::optional<T>& out, FieldFlags flags) {
    if (n.is_null()) return {};
    if constexpr (std::is_same_v<T, int64_t>) {
      if (flags & kOctalMode) return decode_mode(n, path, out);
    }
    T value{};
    if (out) value = std::move(*out);
    auto status = decode(n, path, value, flags);
    if (!status) return status;
    out = std::move(value);
    return {};
  }

  // File modes: YAML 1.1 reads 0440 as octal, compose-go parses strings in base 8.
  Status decode_mode(const Node& n, const std::string& path, std::optional<int64_t>& out) {
    if (n.is_scalar()) {
      std::string_view text = n.value();
      bool octal = n.quoted() || (text.size() > 1 && text[0] == '0' && std::isdigit(static_cast<unsigned char>(text[1])));
      if (octal) {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 8);
        if (ec == std::errc() && end == text.data() + text.size()) {
          out = v;
          return {};
        }
      } else if (auto v = parse_int_text(text, true)) {
        out = *v;
        return {};
      }
    }
    return must_be(n, path, "an integer");
  }

  template <class T>
  Status decode_vector(const Node& n, const std::string& path, std::vector<T>& out, FieldFlags flags) {
    if (n.is_null()) return {};
    if constexpr (std::is_same_v<T, SSHKey>) {
      return decode_ssh(n, path, out);
    } else {
      if constexpr (std::is_same_v<T, DeviceRequest>) {
        // gpus: all
        if (n.is_scalar()) {
          if (to_lower(n.value()) != "all") return must_be(n, path, "\"all\" or an array");
          DeviceRequest all;
          all.count = -1;
          out.assign(1, std::move(all));
          return {};
        }
      }
      if (n.is_scalar() && (flags & kStringOrList)) {
        T item{};
        auto status = decode(n, path_index(path, 0), item, kFieldDefault);
        if (!status) return status;
        out.assign(1, std::move(item));
        return {};
      }
      if (!n.is_sequence()) return must_be(n, path, "an array");
      out.clear();
      for (size_t i = 0; i < n.items().size(); ++i) {
        const Node& item = n.items()[i];
        std::string sub = path_index(path, i);
        record(sub, item.mark());
        T value{};
        auto status = decode(item, sub, value, kFieldDefault);
        if (!status) return status;
        out.push_back(std::move(value));
      }
    }
    return {};
  }

  // build.ssh: {id: path-or-null} or ["default", "id=path"]; kept sorted by id.
  Status decode_ssh(const Node& n, const std::string& path, std::vector<SSHKey>& out) {
    out.clear();
    if (n.is_mapping()) {
      for (const Entry& e : n.entries()) {
        SSHKey key{.id = e.key, .path = {}};
        if (!e.value.is_null()) {
          auto text = scalar_text(e.value, path_key(path, e.key));
          if (!text) return std::unexpected(text.error());
          key.path = *text;
        }
        out.push_back(std::move(key));
      }
    } else if (n.is_sequence()) {
      for (size_t i = 0; i < n.items().size(); ++i) {
        auto text = scalar_text(n.items()[i], path_index(path, i));
        if (!text) return std::unexpected(text.error());
        auto [id, key_path] = split_assignment(*text);
        if (!key_path && id != "default") return fail_at(n.items()[i].mark(), path_index(path, i), "invalid ssh key " + quoted(*text));
        out.push_back(SSHKey{.id = id, .path = key_path.value_or("")});
      }
    } else {
      return must_be(n, path, "a mapping or an array");
    }
    std::sort(out.begin(), out.end(), [](const SSHKey& a, const SSHKey& b) { return a.id < b.id; });
    return {};
  }

  template <class V>
  Status decode_map(const Node& n, const std::string& path, std::map<std::string, V>& out) {
    if (n.is_null()) return {};
    // List forms ("K=V" items, or bare names) of labels, environment, networks, depends_on.
    if (n.is_sequence()) return decode_map_list(n, path, out);
    if (!n.is_mapping()) return must_be(n, path, "a mapping");
    for (const Entry& e : n.entries()) {
      std::string sub = path_key(path, e.key);
      record(sub, e.key_mark.known() ? e.key_mark : e.value.mark());
      V value{};
      if (auto it = out.find(e.key); it != out.end()) value = std::move(it->second);
      auto status = decode_map_value(e.value, sub, value);
      if (!status) return status;
      out.insert_or_assign(e.key, std::move(value));
    }
    return {};
  }

  template <class V>
  Status decode_map_value(const Node& n, const std::string& path, V& out) {
    if constexpr (std::is_same_v<V, std::string>) {
      // Labels, options: numbers and booleans become their text; null is "".
      if (n.is_null()) {
        out.clear();
        return {};
      }
      if (!n.is_scalar()) return must_be(n, path, "a string, number, boolean or null");
      out = n.value();
      return {};
    } else if constexpr (std::is_same_v<V, std::optional<std::string>>) {
      if (n.is_null()) {
        out.reset();
        return {};
      }
      if (!n.is_scalar()) return must_be(n, path, "a string, number, boolean or null");
      out = n.value();
      return {};
    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
      // extra_hosts and provider options: one value or a list of values.
      if (n.is_null()) {
        out.clear();
        return {};
      }
      return decode_vector(n, path, out, kStringOrList);
    } else if constexpr (std::is_same_v<V, UlimitsConfig>) {
      return decode_ulimit(n, path, out);
    } else {
      return decode(n, path, out, kFieldDefault);
    }
  }

  // nofile: 1024  or  nofile: {soft: 1024, hard: 2048}
  Status decode_ulimit(const Node& n, const std::string& path, UlimitsConfig& out) {
    out = UlimitsConfig{};
    if (n.is_scalar()) {
      auto v = decode_int(n, path);
      if (!v) return std::unexpected(v.error());
      out.single = *v;
      return {};
    }
    if (!n.is_mapping()) return must_be(n, path, "an integer or a mapping");
    for (const Entry& e : n.entries()) {
      std::string sub = path_key(path, e.key);
      record(sub, e.key_mark);
      if (e.key.starts_with("x-")) {
        out.extensions.entries.push_back(e);
      } else if (e.key == "soft" || e.key == "hard") {
        auto v = decode_int(e.value, sub);
        if (!v) return std::unexpected(v.error());
        (e.key == "soft" ? out.soft : out.hard) = *v;
      } else {
        return fail_at(e.key_mark, path, "additional properties '" + e.key + "' not allowed");
      }
    }
    return {};
  }

  template <class V>
  Status decode_map_list(const Node& n, const std::string& path, std::map<std::string, V>& out) {
    for (size_t i = 0; i < n.items().size(); ++i) {
      const Node& item = n.items()[i];
      std::string sub = path_index(path, i);
      auto text = scalar_text(item, sub);
      if (!text) return std::unexpected(text.error());
      if constexpr (std::is_same_v<V, std::string>) {
        auto [key, value] = split_assignment(*text);
        out.insert_or_assign(key, value.value_or(""));
      } else if constexpr (std::is_same_v<V, std::optional<std::string>>) {
        auto [key, value] = split_assignment(*text);
        out.insert_or_assign(key, value);
      } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
        // extra_hosts: "host:ip" or "host=ip"
        size_t sep = text->find('=');
        if (sep == std::string::npos) sep = text->find(':');
        if (sep == std::string::npos) return fail_at(item.mark(), sub, "invalid additional host, missing IP: " + *text);
        std::string ip = text->substr(sep + 1);
        if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
        out[text->substr(0, sep)].push_back(ip);
      } else if constexpr (std::is_same_v<V, ServiceDependency>) {
        ServiceDependency dependency;
        dependency.condition = "service_started";
        out.insert_or_assign(*text, std::move(dependency));
      } else if constexpr (IsOptional<V>::value) {
        out.insert_or_assign(*text, std::nullopt);  // networks, models: listed without options
      } else {
        return must_be(n, path, "a mapping");
      }
      record(path_key(path, *text), item.mark());
    }
    return {};
  }

  SourceMap* sources_;
};

template <class T>
Status decode_named_map(Decoder& decoder, const Node& n, const std::string& path, std::map<std::string, T>& out) {
  if (n.is_null()) return {};
  if (!n.is_mapping()) return must_be(n, path, "a mapping");
  for (const Entry& e : n.entries()) {
    std::string sub = path_key(path, e.key);
    decoder.record(sub, e.key_mark.known() ? e.key_mark : e.value.mark());
    T value{};
    auto status = decoder.decode_struct(e.value, sub, value);
    if (!status) return status;
    if constexpr (std::is_same_v<T, ServiceConfig>) value.name = e.key;
    out.insert_or_assign(e.key, std::move(value));
  }
  return {};
}

}  // namespace

Result<ServiceConfig> decode_service(const Node& service, std::string_view name, SourceMap* sources) {
  Decoder decoder(sources);
  ServiceConfig out;
  std::string path = path_key("services", name);
  auto status = decoder.decode_struct(service, path, out);
  if (!status) return std::unexpected(status.error());
  out.name = std::string(name);
  return out;
}

Result<void> decode_disabled_services(Project& project, const Node& disabled) {
  if (!project.sources) project.sources = std::make_shared<SourceMap>();
  Decoder decoder(project.sources.get());
  return decode_named_map(decoder, disabled, "services", project.disabled_services);
}

Result<Project> decode_project(const Node& canonical, std::string_view project_name) {
  Project project;
  project.name = std::string(project_name);
  project.sources = std::make_shared<SourceMap>();
  if (canonical.is_null()) return project;
  if (!canonical.is_mapping()) return must_be(canonical, "", "a mapping");
  Decoder decoder(project.sources.get());

  static const std::vector<std::string_view> kTopLevel = {"version", "name",    "include", "services", "models",
                                                          "networks", "volumes", "secrets", "configs"};
  std::vector<std::string> unknown;
  const Entry* first_unknown = nullptr;
  for (const Entry& e : canonical.entries()) {
    if (e.key.starts_with("x-") || std::ranges::find(kTopLevel, e.key) != kTopLevel.end()) continue;
    unknown.push_back("'" + e.key + "'");
    if (!first_unknown) first_unknown = &e;
  }
  if (first_unknown)
    return fail_at(first_unknown->key_mark, "", "additional properties " + join(unknown, ", ") + " not allowed");

  for (const Entry& e : canonical.entries()) {
    decoder.record(e.key, e.key_mark.known() ? e.key_mark : e.value.mark());
    Status status;
    if (e.key == "services") {
      status = decode_named_map(decoder, e.value, e.key, project.services);
    } else if (e.key == "networks") {
      status = decode_named_map(decoder, e.value, e.key, project.networks);
    } else if (e.key == "volumes") {
      status = decode_named_map(decoder, e.value, e.key, project.volumes);
    } else if (e.key == "secrets") {
      status = decode_named_map(decoder, e.value, e.key, project.secrets);
    } else if (e.key == "configs") {
      status = decode_named_map(decoder, e.value, e.key, project.configs);
    } else if (e.key == "models") {
      status = decode_named_map(decoder, e.value, e.key, project.models);
    } else if (e.key.starts_with("x-")) {
      project.extensions.entries.push_back(e);
    }
    // version, name and include were consumed by earlier stages.
    if (!status) return std::unexpected(status.error());
  }
  return project;
}

}  // namespace stack::compose
