// Lists of "KEY=VALUE" strings turned into mappings: environment, labels,
// extra_hosts, build.additional_contexts, build.ssh. Parsing and wording follow
// compose-go's decoders for these types (types/mapping.go, labels.go,
// hostList.go) and its transform package (mapping.go, ssh.go).
#include <string_view>

#include "common/strings.h"
#include "compose/transform_internal.h"

namespace stack::compose::transform_detail {
namespace {

struct KeyValue {
  std::string key;
  std::string value;
  bool has_value = false;
};

KeyValue cut(std::string_view text, char sep) {
  size_t pos = text.find(sep);
  if (pos == std::string_view::npos) return {std::string(text), "", false};
  return {std::string(text.substr(0, pos)), std::string(text.substr(pos + 1)), true};
}

// List items must be scalars (numbers are fine: their text is used).
Result<const Node*> list_item(const Node& list, size_t i, std::string_view path) {
  const Node& item = list.items()[i];
  if (!item.is_scalar()) return fail_at(item.mark(), path_index(path, i), "expected a string, got " + item.kind_name());
  return &item;
}

bool ends_with_space(std::string_view key) {
  if (key.empty()) return false;
  char last = key.back();
  return last == ' ' || last == '\t' || last == '\n' || last == '\r' || last == '\v' || last == '\f';
}

}  // namespace

Result<void> canonicalize_env_mapping(Node& node, std::string_view path) {
  if (!node.is_sequence()) return {};
  Node mapping = mapping_from(node);
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto item = list_item(node, i, path);
    if (!item) return std::unexpected(item.error());
    KeyValue kv = cut((*item)->value(), '=');
    if (ends_with_space(kv.key))
      return fail_at((*item)->mark(), path_index(path, i),
                     "environment variable " + kv.key + " is declared with a trailing space");
    // A bare KEY is null: its value comes from the environment later.
    Node value = kv.has_value ? string_from(kv.value, **item) : Node::null((*item)->mark());
    mapping.set(kv.key, std::move(value), (*item)->mark());
  }
  replace_with(node, std::move(mapping));
  return {};
}

Result<void> canonicalize_label_mapping(Node& node, std::string_view path) {
  if (!node.is_sequence()) return {};
  Node mapping = mapping_from(node);
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto item = list_item(node, i, path);
    if (!item) return std::unexpected(item.error());
    KeyValue kv = cut((*item)->value(), '=');
    mapping.set(kv.key, string_from(kv.value, **item), (*item)->mark());
  }
  replace_with(node, std::move(mapping));
  return {};
}

namespace {

// "[::1]" -> "::1", as compose-go's HostsList cleanup.
std::string strip_ip_brackets(std::string ip) {
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') return ip.substr(1, ip.size() - 2);
  return ip;
}

Result<void> check_host_name(std::string_view host, const Mark& mark, std::string_view path) {
  if (host.empty() || host.find_first_of(":=") != std::string_view::npos)
    return fail_at(mark, path, "bad host name '" + std::string(host) + "'");
  return {};
}

void strip_brackets_in(Node& ips) {
  for (Node& ip : ips.items())
    if (ip.is_scalar()) ip.set_value(strip_ip_brackets(ip.value()));
}

}  // namespace

Result<void> canonicalize_extra_hosts(Node& node, std::string_view path) {
  if (node.is_mapping()) {
    for (Entry& e : node.entries()) {
      std::string entry_path = path_key(path, e.key);
      if (auto ok = check_host_name(e.key, e.key_mark, entry_path); !ok) return ok;
      if (e.value.is_null()) {
        replace_with(e.value, [&] {
          Node ips = sequence_from(e.value);
          ips.push_back(string_from("", e.value));
          return ips;
        }());
      } else if (e.value.is_scalar()) {
        Node ips = sequence_from(e.value);
        ips.push_back(e.value);
        replace_with(e.value, std::move(ips));
      }
      if (e.value.is_sequence()) strip_brackets_in(e.value);
    }
    return {};
  }
  if (!node.is_sequence()) return {};
  Node mapping = mapping_from(node);
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto item = list_item(node, i, path);
    if (!item) return std::unexpected(item.error());
    const Node& entry = **item;
    std::string item_path = path_index(path, i);
    // "=" is tried first so "host=::1" keeps the IPv6 address whole.
    KeyValue kv = cut(entry.value(), '=');
    if (!kv.has_value) kv = cut(entry.value(), ':');
    if (!kv.has_value) return fail_at(entry.mark(), item_path, "invalid additional host, missing IP: " + entry.value());
    if (auto ok = check_host_name(kv.key, entry.mark(), item_path); !ok) return ok;
    Node* ips = mapping.find(kv.key);
    if (!ips) ips = &mapping.set(kv.key, sequence_from(entry), entry.mark());
    for (std::string& ip : split(kv.value, ',')) ips->push_back(string_from(strip_ip_brackets(std::move(ip)), entry));
  }
  replace_with(node, std::move(mapping));
  return {};
}

Result<void> canonicalize_key_value_strict(Node& node, std::string_view path) {
  if (!node.is_sequence()) return {};
  Node mapping = mapping_from(node);
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto item = list_item(node, i, path);
    if (!item) return std::unexpected(item.error());
    KeyValue kv = cut((*item)->value(), '=');
    if (!kv.has_value)
      return fail_at((*item)->mark(), path_index(path, i),
                     "invalid value " + (*item)->value() + ", expected key=value");
    mapping.set(kv.key, string_from(kv.value, **item), (*item)->mark());
  }
  replace_with(node, std::move(mapping));
  return {};
}

Result<void> canonicalize_ssh(Node& node, std::string_view path) {
  if (!node.is_sequence()) return {};
  Node mapping = mapping_from(node);
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto item = list_item(node, i, path);
    if (!item) return std::unexpected(item.error());
    const Node& entry = **item;
    KeyValue kv = cut(entry.value(), '=');
    if (!kv.has_value) {
      // Only the default agent may be named without a path.
      if (kv.key != "default") return fail_at(entry.mark(), path_index(path, i), "invalid ssh key " + quoted(entry.value()));
      mapping.set(kv.key, Node::null(entry.mark()), entry.mark());
      continue;
    }
    mapping.set(kv.key, string_from(kv.value, entry), entry.mark());
  }
  replace_with(node, std::move(mapping));
  return {};
}

}  // namespace stack::compose::transform_detail
