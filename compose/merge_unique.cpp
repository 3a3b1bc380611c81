// compose-go's EnforceUnicity (override/uncity.go): sequences that are really
// sets keep one item per key; a later item replaces the earlier one in place.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "compose/merge.h"
#include "compose/merge_path.h"

namespace stack::compose {

using merge_detail::DocPath;

namespace {

using Indexer = Result<std::string> (*)(const Node& item, const std::string& path);

std::string scalar_text(const Node* n) { return n && n->is_scalar() ? n->value() : std::string(); }

// "KEY=VALUE" -> "KEY"; a plain string is its own key.
Result<std::string> key_value_key(const Node& item, const std::string& path) {
  if (!item.is_scalar()) return fail_at(item.mark(), path, "expected a string, got " + item.kind_name());
  const std::string& text = item.value();
  return text.substr(0, text.find('='));
}

Result<std::string> expose_key(const Node& item, const std::string& path) {
  if (!item.is_scalar()) return fail_at(item.mark(), path, "unsupported expose value, got " + item.kind_name());
  return item.value();
}

Result<std::string> volume_key(const Node& item, const std::string& path) {
  if (item.is_scalar()) return item.value();
  const Node* target = item.is_mapping() ? item.find("target") : nullptr;
  if (!target || !target->is_scalar()) return fail_at(item.mark(), path, "service volume is missing a mount target");
  return target->value();
}

Result<std::string> device_key(const Node& item, const std::string& path) {
  if (item.is_scalar()) {
    // SRC[:DST[:PERMS]]: DST, or SRC when alone.
    const std::string& text = item.value();
    size_t colon = text.find(':');
    if (colon == std::string::npos) return text;
    return text.substr(colon + 1, text.find(':', colon + 1) - colon - 1);
  }
  const Node* target = item.is_mapping() ? item.find("target") : nullptr;
  if (!target || !target->is_scalar()) return fail_at(item.mark(), path, "service device is missing a mount target");
  return target->value();
}

// A secret or config without target is mounted at <dir>/<source>.
template <const char* Dir>
Result<std::string> mount_key(const Node& item, const std::string& path) {
  if (item.is_scalar()) return std::string(Dir) + "/" + item.value();
  if (!item.is_mapping()) return fail_at(item.mark(), path, "expected a mapping, got " + item.kind_name());
  if (const Node* target = item.find("target")) return scalar_text(target);
  return std::string(Dir) + "/" + scalar_text(item.find("source"));
}
constexpr char kSecretsDir[] = "/run/secrets";
constexpr char kConfigsDir[] = "";

// host_ip:published:target/protocol, with compose-go's defaults for the absent
// parts; `mode` and `name` are not part of the key.
Result<std::string> port_key(const Node& item, const std::string& path) {
  if (item.is_scalar()) return item.value();
  if (!item.is_mapping()) return fail_at(item.mark(), path, "expected a mapping, got " + item.kind_name());
  const Node* target = item.find("target");
  if (!target) return fail_at(item.mark(), path, "service port is missing a target port");
  const Node* host = item.find("host_ip");
  const Node* published = item.find("published");
  const Node* protocol = item.find("protocol");
  return (host ? scalar_text(host) : "0.0.0.0") + ":" + (published ? scalar_text(published) : "<nil>") + ":" +
         scalar_text(target) + "/" + (protocol ? scalar_text(protocol) : "tcp");
}

Result<std::string> env_file_key(const Node& item, const std::string& path) {
  if (item.is_scalar()) return item.value();
  const Node* file = item.is_mapping() ? item.find("path") : nullptr;
  if (!file) return fail_at(item.mark(), path, "environment path attribute is missing");
  return scalar_text(file);
}

struct UniqueRule {
  std::string_view pattern;
  Indexer key;
};

// compose-go's `unique` table. The key=value ones only matter while a map is
// still a list: canonical environment/labels/... are mappings already.
constexpr UniqueRule kUnique[] = {
    {"networks.*.labels", key_value_key},
    {"networks.*.ipam.options", key_value_key},
    {"services.*.annotations", key_value_key},
    {"services.*.build.args", key_value_key},
    {"services.*.build.additional_contexts", key_value_key},
    {"services.*.build.tags", key_value_key},
    {"services.*.build.labels", key_value_key},
    {"services.*.cap_add", key_value_key},
    {"services.*.cap_drop", key_value_key},
    {"services.*.configs", mount_key<kConfigsDir>},
    {"services.*.deploy.labels", key_value_key},
    {"services.*.devices", device_key},
    {"services.*.dns", key_value_key},
    {"services.*.dns_opt", key_value_key},
    {"services.*.dns_search", key_value_key},
    {"services.*.environment", key_value_key},
    {"services.*.env_file", env_file_key},
    {"services.*.expose", expose_key},
    {"services.*.labels", key_value_key},
    {"services.*.links", key_value_key},
    {"services.*.networks.*.aliases", key_value_key},
    {"services.*.networks.*.link_local_ips", key_value_key},
    {"services.*.ports", port_key},
    {"services.*.profiles", key_value_key},
    {"services.*.secrets", mount_key<kSecretsDir>},
    {"services.*.sysctls", key_value_key},
    {"services.*.tmpfs", key_value_key},
    {"services.*.volumes", volume_key},
};

Result<void> dedupe(Node& seq, Indexer key_of, const DocPath& at) {
  std::vector<Node> kept;
  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < seq.items().size(); ++i) {
    Node& item = seq.items()[i];
    auto key = key_of(item, at.index(i).text);
    if (!key) return std::unexpected(key.error());
    if (auto it = position.find(*key); it != position.end()) {
      kept[it->second] = std::move(item);
    } else {
      position.emplace(std::move(*key), kept.size());
      kept.push_back(std::move(item));
    }
  }
  seq.items() = std::move(kept);
  return {};
}

// Sequences are not walked into: compose-go's unique paths never sit below one.
Result<void> walk(Node& node, const DocPath& at) {
  if (node.is_mapping()) {
    for (Entry& e : node.entries()) {
      auto done = walk(e.value, at.key(e.key));
      if (!done) return done;
    }
  } else if (node.is_sequence()) {
    for (const auto& rule : kUnique)
      if (at.matches(rule.pattern)) return dedupe(node, rule.key, at);
  }
  return {};
}

}  // namespace

Result<void> enforce_unique_items(Node& project) { return walk(project, DocPath{}); }

Result<void> enforce_unique_service_items(Node& service, std::string_view path) {
  return walk(service, merge_detail::service_path(path));
}

}  // namespace stack::compose
