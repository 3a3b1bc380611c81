// Walks a document and applies the per-key rewrites of CANONICAL.md. The
// parsers of the bigger short forms live in transform_ports.cpp,
// transform_volumes.cpp, transform_devices.cpp and transform_mappings.cpp.
#include "compose/transform.h"

#include <spdlog/spdlog.h>

#include "compose/transform_internal.h"

namespace stack::compose {
namespace {

using namespace transform_detail;

bool is_extension(std::string_view key) { return key.starts_with("x-"); }

// A scalar S becomes the one-item sequence [S] (dns, tmpfs, label_file, ...).
void scalar_to_list(Node& node) {
  if (!node.is_scalar()) return;
  Node list = sequence_from(node);
  list.push_back(node);
  list.items().back().set_tag("");
  replace_with(node, std::move(list));
}

// A scalar S becomes {key: S} (build, extends).
void scalar_to_mapping(Node& node, std::string key) {
  if (!node.is_scalar()) return;
  Node mapping = mapping_from(node);
  Node value = node;
  value.set_tag("");
  mapping.set(std::move(key), std::move(value), node.mark());
  replace_with(node, std::move(mapping));
}

// command, entrypoint, hook commands: a string is split into words as a shell would.
Result<void> canonicalize_command(Node& node, std::string_view path) {
  if (!node.is_scalar()) return {};
  auto words = shell_split(node.value());
  if (!words) return fail_at(node.mark(), path, words.error().message);
  Node list = sequence_from(node);
  for (std::string& word : *words) list.push_back(string_from(std::move(word), node));
  replace_with(node, std::move(list));
  return {};
}

void canonicalize_healthcheck(Node& healthcheck) {
  if (!healthcheck.is_mapping()) return;
  Node* test = healthcheck.find("test");
  if (!test || !test->is_scalar()) return;
  Node list = sequence_from(*test);
  list.push_back(string_from("CMD-SHELL", *test));
  list.push_back(string_from(test->value(), *test));
  replace_with(*test, std::move(list));
}

Node depends_on_defaults(Node entry) {
  set_default(entry, "condition", string_from("service_started", entry));
  set_default(entry, "required", true_from(entry));
  return entry;
}

Result<void> canonicalize_depends_on(Node& node, std::string_view path) {
  if (node.is_mapping()) {
    for (Entry& e : node.entries()) {
      if (!e.value.is_mapping())
        return fail_at(e.value.mark(), path_key(path, e.key), "unsupported value " + e.value.kind_name() +
                                                                  ", expected a mapping");
      e.value = depends_on_defaults(std::move(e.value));
    }
    return {};
  }
  if (!node.is_sequence()) return {};
  Node mapping = mapping_from(node);
  for (size_t i = 0; i < node.items().size(); ++i) {
    const Node& name = node.items()[i];
    if (!name.is_scalar())
      return fail_at(name.mark(), path_index(path, i), "expected a service name, got " + name.kind_name());
    mapping.set(name.value(), depends_on_defaults(mapping_from(name)), name.mark());
  }
  replace_with(node, std::move(mapping));
  return {};
}

Node env_file_item(Node item) {
  if (item.is_scalar()) {
    Node path = item;
    path.set_tag("");
    Node mapping = mapping_from(item);
    mapping.set("path", std::move(path), item.mark());
    mapping.set("required", true_from(item), item.mark());
    replace_with(item, std::move(mapping));
    return item;
  }
  if (item.is_mapping()) set_default(item, "required", true_from(item));
  return item;
}

void canonicalize_env_file(Node& node) {
  scalar_to_list(node);
  if (!node.is_sequence()) return;
  for (Node& item : node.items()) item = env_file_item(std::move(item));
}

// secrets, configs, build.secrets: a name S becomes {source: S}.
void canonicalize_file_mounts(Node& node) {
  if (!node.is_sequence()) return;
  for (Node& item : node.items()) scalar_to_mapping(item, "source");
}

// networks, models: a list of names becomes name -> null.
void names_to_mapping(Node& node) {
  if (!node.is_sequence()) return;
  Node mapping = mapping_from(node);
  for (const Node& name : node.items())
    if (name.is_scalar()) mapping.set(name.value(), Node::null(name.mark()), name.mark());
  replace_with(node, std::move(mapping));
}

void canonicalize_expose(Node& node) {
  if (!node.is_sequence()) return;
  for (Node& item : node.items())
    if (item.is_scalar()) item.set_quoted(true);
}

// gpus: "all" becomes [{count: all}].
void canonicalize_gpus(Node& node) {
  if (!node.is_scalar()) return;
  Node request = mapping_from(node);
  request.set("count", string_from("all", node), node.mark());
  Node list = sequence_from(node);
  list.push_back(std::move(request));
  replace_with(node, std::move(list));
}

Result<void> canonicalize_build(Node& build, std::string_view path) {
  scalar_to_mapping(build, "context");
  if (!build.is_mapping()) return {};
  for (Entry& e : build.entries()) {
    std::string p = path_key(path, e.key);
    Result<void> done;
    if (e.key == "args")
      done = canonicalize_env_mapping(e.value, p);
    else if (e.key == "labels")
      done = canonicalize_label_mapping(e.value, p);
    else if (e.key == "extra_hosts")
      done = canonicalize_extra_hosts(e.value, p);
    else if (e.key == "additional_contexts")
      done = canonicalize_key_value_strict(e.value, p);
    else if (e.key == "ssh")
      done = canonicalize_ssh(e.value, p);
    else if (e.key == "secrets")
      canonicalize_file_mounts(e.value);
    if (!done) return done;
  }
  return {};
}

// post_start / pre_stop hooks.
Result<void> canonicalize_hooks(Node& hooks, std::string_view path) {
  if (!hooks.is_sequence()) return {};
  for (size_t i = 0; i < hooks.items().size(); ++i) {
    Node& hook = hooks.items()[i];
    if (!hook.is_mapping()) continue;
    std::string p = path_index(path, i);
    if (Node* command = hook.find("command"))
      if (auto ok = canonicalize_command(*command, path_key(p, "command")); !ok) return ok;
    if (Node* env = hook.find("environment"))
      if (auto ok = canonicalize_env_mapping(*env, path_key(p, "environment")); !ok) return ok;
  }
  return {};
}

void canonicalize_develop(Node& develop) {
  if (!develop.is_mapping()) return;
  Node* watch = develop.find("watch");
  if (!watch || !watch->is_sequence()) return;
  for (Node& rule : watch->items()) {
    if (!rule.is_mapping()) continue;
    if (Node* ignore = rule.find("ignore")) scalar_to_list(*ignore);
    if (Node* include = rule.find("include")) scalar_to_list(*include);
  }
}

Result<void> canonicalize_service_networks(Node& networks, std::string_view path) {
  names_to_mapping(networks);
  if (!networks.is_mapping()) return {};
  for (Entry& e : networks.entries()) {
    if (!e.value.is_mapping()) continue;
    if (Node* opts = e.value.find("driver_opts"))
      if (auto ok = canonicalize_label_mapping(*opts, path_key(path_key(path, e.key), "driver_opts")); !ok) return ok;
  }
  return {};
}

Result<void> canonicalize_service_key(Entry& e, std::string_view path, const TransformOptions& options) {
  Node& v = e.value;
  const std::string& key = e.key;
  if (is_null_like(v)) return {};  // null stays null (unset), whatever the key
  if (key == "build") return canonicalize_build(v, path);
  if (key == "command" || key == "entrypoint") return canonicalize_command(v, path);
  if (key == "depends_on") return canonicalize_depends_on(v, path);
  if (key == "environment") return canonicalize_env_mapping(v, path);
  if (key == "labels" || key == "annotations" || key == "sysctls") return canonicalize_label_mapping(v, path);
  if (key == "extra_hosts") return canonicalize_extra_hosts(v, path);
  if (key == "ports") return canonicalize_ports(v, path, options);
  if (key == "volumes") return canonicalize_service_volumes(v, path, options);
  if (key == "devices") return canonicalize_devices(v, path, options);
  if (key == "networks") return canonicalize_service_networks(v, path);
  if (key == "post_start" || key == "pre_stop") return canonicalize_hooks(v, path);
  if (key == "logging" || key == "deploy") {
    // logging.options and deploy.labels are KEY=VALUE mappings.
    Node* map = v.is_mapping() ? v.find(key == "logging" ? "options" : "labels") : nullptr;
    if (map) return canonicalize_label_mapping(*map, path_key(path, key == "logging" ? "options" : "labels"));
    return {};
  }
  if (key == "healthcheck")
    canonicalize_healthcheck(v);
  else if (key == "env_file")
    canonicalize_env_file(v);
  else if (key == "label_file" || key == "tmpfs" || key == "dns" || key == "dns_search")
    scalar_to_list(v);
  else if (key == "expose")
    canonicalize_expose(v);
  else if (key == "secrets" || key == "configs")
    canonicalize_file_mounts(v);
  else if (key == "models")
    names_to_mapping(v);
  else if (key == "extends")
    scalar_to_mapping(v, "service");
  else if (key == "gpus")
    canonicalize_gpus(v);
  else if (key == "develop")
    canonicalize_develop(v);
  return {};
}

// external: {name: N} is the deprecated spelling of name: N + external: true.
Result<void> canonicalize_external(Node& resource, std::string_view path) {
  Node* external = resource.find("external");
  if (!external || !external->is_mapping()) return {};
  const Node* external_name = external->find("name");
  bool has_name = external_name != nullptr;
  Node old_name = has_name ? *external_name : Node{};
  Mark at = external->mark();
  replace_with(*external, plain_from("true", *external));
  if (!has_name) return {};
  spdlog::warn("{}: external.name is deprecated. Please set name and external: true", path);
  if (const Node* name = resource.find("name")) {
    if (!(name->value() == old_name.value() && name->kind() == old_name.kind()))
      return fail_at(at, path, "name and external.name conflict; only use name");
    return {};
  }
  resource.set("name", std::move(old_name), at);
  return {};
}

Result<void> canonicalize_resources(Node& resources, std::string_view section) {
  if (!resources.is_mapping()) return {};
  for (Entry& e : resources.entries()) {
    if (is_extension(e.key)) continue;
    std::string path = path_key(section, e.key);
    if (is_null_like(e.value)) {
      replace_with(e.value, mapping_from(e.value));
      continue;
    }
    if (!e.value.is_mapping()) continue;
    if (auto ok = canonicalize_external(e.value, path); !ok) return ok;
    if (Node* labels = e.value.find("labels"))
      if (auto ok = canonicalize_label_mapping(*labels, path_key(path, "labels")); !ok) return ok;
    if (section == "networks" || section == "volumes")
      if (Node* opts = e.value.find("driver_opts"))
        if (auto ok = canonicalize_label_mapping(*opts, path_key(path, "driver_opts")); !ok) return ok;
  }
  return {};
}

void canonicalize_include(Node& include) {
  if (!include.is_sequence()) return;
  for (Node& item : include.items()) {
    scalar_to_mapping(item, "path");
    if (!item.is_mapping()) continue;
    if (Node* path = item.find("path")) scalar_to_list(*path);
    if (Node* env_file = item.find("env_file")) scalar_to_list(*env_file);
  }
}

}  // namespace

Result<void> canonicalize_service(Node& service, std::string_view path, const TransformOptions& options) {
  if (!service.is_mapping()) return {};
  for (Entry& e : service.entries()) {
    if (is_extension(e.key)) continue;
    if (auto ok = canonicalize_service_key(e, path_key(path, e.key), options); !ok) return ok;
  }
  return {};
}

Result<void> canonicalize_project(Node& project, const TransformOptions& options) {
  if (!project.is_mapping()) return {};
  for (Entry& e : project.entries()) {
    if (e.key == "services" && e.value.is_mapping()) {
      for (Entry& service : e.value.entries()) {
        if (is_extension(service.key)) continue;
        if (auto ok = canonicalize_service(service.value, path_key("services", service.key), options); !ok) return ok;
      }
    } else if (e.key == "networks" || e.key == "volumes" || e.key == "secrets" || e.key == "configs") {
      if (auto ok = canonicalize_resources(e.value, e.key); !ok) return ok;
    } else if (e.key == "include") {
      canonicalize_include(e.value);
    }
  }
  return {};
}

}  // namespace stack::compose
