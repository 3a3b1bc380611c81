#include "compose/encode.h"

#include "compose/yaml_emit.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <type_traits>

#include "compose/fields.h"

namespace stack::compose {
namespace {


Node str(std::string s) { return Node::string(std::move(s)); }
Node plain(std::string s) { return Node::scalar(std::move(s)); }

std::string capitalized(std::string_view key) {
  std::string out(key);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

class Encoder {
 public:
  explicit Encoder(OutputFormat format) : format_(format) {}

  bool json() const { return format_ == OutputFormat::Json; }

  // Go's omitempty: is this value the zero value of its Go type?
  template <class T>
  bool is_zero(const T& v) const {
    if constexpr (std::is_same_v<T, std::string>) {
      return v.empty();
    } else if constexpr (std::is_arithmetic_v<T>) {
      return v == T{};
    } else if constexpr (std::is_same_v<T, Duration> || std::is_same_v<T, UnitBytes>) {
      return v.is_zero();
    } else if constexpr (IsOptional<T>::value) {
      return !v.has_value();
    } else if constexpr (IsVector<T>::value || IsMap<T>::value) {
      return v.empty();
    } else if constexpr (std::is_same_v<T, Extensions>) {
      return v.empty();
    } else if constexpr (Reflected<T>) {
      bool zero = true;
      visit_fields(v, [&](std::string_view, const auto& field, FieldFlags flags) {
        using F = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<F, bool>) {
          // compose-go OptOut: true is its zero value.
          zero = zero && ((flags & kOptOut) ? field : !field);
        } else {
          zero = zero && is_zero(field);
        }
      });
      return zero;
    } else {
      static_assert(kAlwaysFalse<T>, "no zero test for this field type");
    }
  }

  // Should this field be printed at all?
  template <class T>
  bool printed(const T& v, FieldFlags flags) const {
    if (flags & kAlways) return true;
    if (flags & kOptOut) {
      if constexpr (std::is_same_v<T, bool>) return !v;
    }
    if ((flags & kJsonAlways) && json()) return true;
    if constexpr (Reflected<T>) {
      if (json()) return true;  // encoding/json ignores omitempty on structs
    }
    return !is_zero(v);
  }

  template <class T>
  Node encode(const T& v, FieldFlags flags) const {
    if constexpr (std::is_same_v<T, std::string>) {
      return str(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      return plain(v ? "true" : "false");
    } else if constexpr (std::is_same_v<T, float>) {
      return plain(format_float32(v));
    } else if constexpr (std::is_integral_v<T>) {
      return plain(std::to_string(v));
    } else if constexpr (std::is_same_v<T, Duration>) {
      return str(format_duration(v));
    } else if constexpr (std::is_same_v<T, UnitBytes>) {
      return str(std::to_string(v.bytes));
    } else if constexpr (IsOptional<T>::value) {
      if (!v) return Node::null();
      if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
        if (flags & kOctalMode) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "0%llo", static_cast<unsigned long long>(*v));
          return str(buf);
        }
      }
      return encode(*v, flags);
    } else if constexpr (std::is_same_v<T, std::vector<SSHKey>>) {
      Node seq = Node::sequence();
      for (const SSHKey& key : v) seq.push_back(str(key.path.empty() ? key.id : key.id + ": " + key.path));
      return seq;
    } else if constexpr (IsVector<T>::value) {
      Node seq = Node::sequence();
      for (const auto& item : v) seq.push_back(encode(item, kFieldDefault));
      return seq;
    } else if constexpr (std::is_same_v<T, HostsList>) {
      // compose-go prints extra_hosts as sorted "host=ip" strings.
      std::vector<std::string> list;
      for (const auto& [host, ips] : v)
        for (const std::string& ip : ips) list.push_back(host + "=" + ip);
      std::sort(list.begin(), list.end());
      Node seq = Node::sequence();
      for (std::string& item : list) seq.push_back(str(std::move(item)));
      return seq;
    } else if constexpr (IsMap<T>::value) {
      return encode_map(v);
    } else if constexpr (Reflected<T>) {
      return encode_struct(v);
    } else {
      static_assert(kAlwaysFalse<T>, "no encoder for this field type");
    }
  }

  template <class V>
  Node encode_map(const std::map<std::string, V>& m) const {
    std::vector<const std::string*> keys;
    for (const auto& [key, value] : m) keys.push_back(&key);
    sort_keys(keys);
    Node out = Node::mapping();
    for (const std::string* key : keys) out.set(*key, encode_map_value(m.at(*key)));
    return out;
  }

  template <class V>
  Node encode_map_value(const V& v) const {
    if constexpr (std::is_same_v<V, UlimitsConfig>) {
      if (v.single != 0) return plain(std::to_string(v.single));
      Node out = Node::mapping();
      // YAML: an anonymous struct without omitempty; JSON: the struct's own tags.
      if (!json() || v.soft != 0) out.set("soft", plain(std::to_string(v.soft)));
      if (!json() || v.hard != 0) out.set("hard", plain(std::to_string(v.hard)));
      return out;
    } else {
      return encode(v, kFieldDefault);
    }
  }

  template <class T>
  Node encode_struct(const T& s) const {
    Node out = Node::mapping();
    const Extensions* extensions = nullptr;
    visit_fields(s, [&](std::string_view key, const auto& field, FieldFlags flags) {
      using F = std::remove_cvref_t<decltype(field)>;
      if constexpr (std::is_same_v<F, Extensions>) {
        extensions = &field;
      } else {
        if (!printed(field, flags)) return;
        std::string name = (json() && (flags & kJsonCapitalized)) ? capitalized(key) : std::string(key);
        out.set(std::move(name), encode(field, flags));
      }
    });
    // Go prints inline maps after the struct fields, sorted; JSON drops them (`json:"-"`).
    if (extensions && !json()) append_extensions(out, *extensions);
    return out;
  }

  void append_extensions(Node& out, const Extensions& extensions) const {
    std::vector<const Entry*> sorted;
    for (const Entry& e : extensions.entries) sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Entry* a, const Entry* b) { return key_less(a->key, b->key); });
    for (const Entry* e : sorted) out.set(e->key, sort_mapping_keys(e->value, format_));
  }


  bool key_less(std::string_view a, std::string_view b) const { return json() ? a < b : yaml_key_less(a, b); }

  void sort_keys(std::vector<const std::string*>& keys) const {
    std::sort(keys.begin(), keys.end(), [&](const std::string* a, const std::string* b) { return key_less(*a, *b); });
  }

  template <class T>
  Node encode_named(const std::map<std::string, T>& m) const {
    std::vector<const std::string*> keys;
    for (const auto& [key, value] : m) keys.push_back(&key);
    sort_keys(keys);
    Node out = Node::mapping();
    for (const std::string* key : keys) {
      out.set(*key, encode_struct(m.at(*key)));
    }
    return out;
  }

 private:
  OutputFormat format_;
};

// Secrets never print their inline content; configs taken from an environment
// variable do not print it either (compose-go SecretConfig/ConfigObjConfig MarshalYAML).
std::map<std::string, FileObjectConfig> without_content(const std::map<std::string, FileObjectConfig>& objects,
                                                        bool secrets) {
  std::map<std::string, FileObjectConfig> out = objects;
  for (auto& [name, object] : out)
    if (secrets || !object.environment.empty()) object.content.clear();
  return out;
}

}  // namespace


Node sort_mapping_keys(const Node& in, OutputFormat format) {
  Node out = in;
  if (out.is_sequence()) {
    for (Node& item : out.items()) item = sort_mapping_keys(item, format);
  } else if (out.is_mapping()) {
    for (Entry& e : out.entries()) e.value = sort_mapping_keys(e.value, format);
    std::stable_sort(out.entries().begin(), out.entries().end(), [&](const Entry& a, const Entry& b) {
      return format == OutputFormat::Json ? a.key < b.key : yaml_key_less(a.key, b.key);
    });
  }
  return out;
}

Node encode_service(const ServiceConfig& service, OutputFormat format) {
  return Encoder(format).encode_struct(service);
}

Node encode_project(const Project& project, OutputFormat format) {
  Encoder encoder(format);
  std::vector<Entry> top;
  auto add = [&](std::string key, Node value) { top.push_back(Entry{std::move(key), {}, std::move(value)}); };

  if (!project.name.empty() || format == OutputFormat::Json) add("name", Node::string(project.name));
  add("services", encoder.encode_named(project.services));
  if (!project.networks.empty()) add("networks", encoder.encode_named(project.networks));
  if (!project.volumes.empty()) add("volumes", encoder.encode_named(project.volumes));
  if (!project.secrets.empty()) add("secrets", encoder.encode_named(without_content(project.secrets, true)));
  if (!project.configs.empty()) add("configs", encoder.encode_named(without_content(project.configs, false)));
  if (!project.models.empty() && format == OutputFormat::Yaml) add("models", encoder.encode_named(project.models));

  Node out = Node::mapping();
  for (Entry& e : top) out.set(std::move(e.key), std::move(e.value));
  encoder.append_extensions(out, project.extensions);
  if (format == OutputFormat::Json) {
    // compose-go builds a Go map for JSON: keys come out sorted.
    std::stable_sort(out.entries().begin(), out.entries().end(),
                     [](const Entry& a, const Entry& b) { return a.key < b.key; });
  }
  return out;
}

}  // namespace stack::compose
