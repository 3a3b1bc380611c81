#include "compose/paths.h"

#include <filesystem>
#include <system_error>
#include <vector>

namespace stack::compose {

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == ".") {
      // nothing
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string join_path(std::string_view dir, std::string_view path) {
  if (dir.empty()) return path.empty() ? "" : clean_path(path);
  if (path.empty()) return clean_path(dir);
  std::string joined(dir);
  joined += '/';
  joined += path;
  return clean_path(joined);
}

std::string expand_user(std::string_view path, std::string_view home_dir) {
  if (path.empty() || path.front() != '~' || home_dir.empty()) return std::string(path);
  return join_path(home_dir, path.substr(1));
}

std::string absolute_path(std::string_view path, std::string_view base_dir, std::string_view home_dir) {
  std::string expanded = expand_user(path, home_dir);
  if (expanded.empty() || expanded.front() == '/') return expanded;
  return join_path(base_dir, expanded);
}

bool is_remote_context(std::string_view context) {
  if (context.find("://") != std::string_view::npos) return true;  // docker-image://, oci-layout://, ...
  if (context.starts_with("service:")) return true;                // another service's image
  for (std::string_view prefix : {"github.com/", "git@"}) {
    if (context.starts_with(prefix)) return true;
  }
  return false;
}

namespace {

bool is_separator(char c) { return c == '/' || c == '\\'; }

// "C:\x", "C:/x" and UNC "\\host\share": absolute for a Windows daemon, so
// compose-go leaves them alone for bind sources and secret files.
bool is_windows_absolute(std::string_view p) {
  if (p.size() >= 3 && p[1] == ':' && is_separator(p[2])) return true;
  return p.size() >= 2 && p[0] == '\\' && p[1] == '\\';
}

// A remote extends file (git or OCI reference) is fetched, not resolved.
bool is_remote_resource(std::string_view p) {
  return p.find("://") != std::string_view::npos || p.starts_with("git@");
}

using Rewrite = std::string (*)(std::string_view value, const std::string& base, const std::string& home);

std::string rewrite_abs(std::string_view v, const std::string& base, const std::string& home) {
  return absolute_path(v, base, home);
}

std::string rewrite_unix_or_windows(std::string_view v, const std::string& base, const std::string& home) {
  // Unlike absolute_path, an empty value becomes base itself (compose-go maybeUnixPath).
  std::string expanded = expand_user(v, home);
  if (!expanded.empty() && (expanded.front() == '/' || is_windows_absolute(expanded))) return expanded;
  return join_path(base, expanded);
}

std::string rewrite_context(std::string_view v, const std::string& base, const std::string& home) {
  if (is_remote_context(v)) return std::string(v);
  return absolute_path(v, base, home);
}

std::string rewrite_extends_file(std::string_view v, const std::string& base, const std::string& home) {
  if (is_remote_resource(v)) return std::string(v);
  return absolute_path(v, base, home);
}

// develop.watch paths: compose-go replaces the first symlinked component by its target.
std::string rewrite_watch_path(std::string_view v, const std::string& base, const std::string& home) {
  std::string abs = absolute_path(v, base, home);
  if (abs.empty() || abs.front() != '/') return abs;
  std::string current;
  size_t start = 1;
  while (start <= abs.size()) {
    size_t end = abs.find('/', start);
    if (end == std::string::npos) end = abs.size();
    if (end > start) {
      current += '/';
      current.append(abs, start, end - start);
      std::error_code ec;
      if (std::filesystem::is_symlink(std::filesystem::symlink_status(current, ec))) {
        auto target = std::filesystem::canonical(current, ec);
        if (ec) return abs;
        return target.string() + abs.substr(current.size());
      }
    }
    start = end + 1;
  }
  return abs;
}

void rewrite_scalar(Node* node, Rewrite rewrite, const std::string& base, const std::string& home) {
  if (node && node->is_scalar()) node->set_value(rewrite(node->value(), base, home));
}

void rewrite_items(Node* seq, Rewrite rewrite, const std::string& base, const std::string& home) {
  if (!seq) return;
  if (seq->is_scalar()) return rewrite_scalar(seq, rewrite, base, home);
  if (!seq->is_sequence()) return;
  for (Node& item : seq->items()) rewrite_scalar(&item, rewrite, base, home);
}

// Values of a mapping, or the part after "=" of "key=value" sequence items.
void rewrite_keyed_values(Node* node, Rewrite rewrite, const std::string& base, const std::string& home) {
  if (!node) return;
  if (node->is_mapping()) {
    for (Entry& e : node->entries()) rewrite_scalar(&e.value, rewrite, base, home);
  } else if (node->is_sequence()) {
    for (Node& item : node->items()) {
      if (!item.is_scalar()) continue;
      size_t eq = item.value().find('=');
      if (eq == std::string::npos) continue;
      std::string key = item.value().substr(0, eq);
      item.set_value(key + "=" + rewrite(std::string_view(item.value()).substr(eq + 1), base, home));
    }
  }
}

void resolve_build(Node& build, const std::string& base, const std::string& home) {
  if (!build.is_mapping()) return;
  rewrite_scalar(build.find("context"), rewrite_context, base, home);
  rewrite_keyed_values(build.find("additional_contexts"), rewrite_context, base, home);
  rewrite_keyed_values(build.find("ssh"), rewrite_unix_or_windows, base, home);
}

void resolve_volumes(Node& volumes, const std::string& base, const std::string& home) {
  if (!volumes.is_sequence()) return;
  for (Node& volume : volumes.items()) {
    if (!volume.is_mapping()) continue;
    const Node* type = volume.find("type");
    if (!type || !type->is_scalar() || type->value() != "bind") continue;
    rewrite_scalar(volume.find("source"), rewrite_unix_or_windows, base, home);
  }
}

void resolve_env_files(Node& env_files, const std::string& base, const std::string& home) {
  if (!env_files.is_sequence()) return;
  for (Node& item : env_files.items()) {
    if (item.is_mapping()) rewrite_scalar(item.find("path"), rewrite_abs, base, home);
  }
}

void resolve_watch(Node& develop, const std::string& base, const std::string& home) {
  Node* watch = develop.is_mapping() ? develop.find("watch") : nullptr;
  if (!watch || !watch->is_sequence()) return;
  for (Node& rule : watch->items()) {
    if (rule.is_mapping()) rewrite_scalar(rule.find("path"), rewrite_watch_path, base, home);
  }
}

void resolve_file_resources(Node* resources, const std::string& base, const std::string& home) {
  if (!resources || !resources->is_mapping()) return;
  for (Entry& e : resources->entries()) {
    if (e.value.is_mapping()) rewrite_scalar(e.value.find("file"), rewrite_unix_or_windows, base, home);
  }
}

// A local volume with `o: bind` is a bind mount of driver_opts.device.
void resolve_volume_devices(Node* volumes, const std::string& base, const std::string& home) {
  if (!volumes || !volumes->is_mapping()) return;
  for (Entry& e : volumes->entries()) {
    if (!e.value.is_mapping()) continue;
    const Node* driver = e.value.find("driver");
    if (!driver || !driver->is_scalar() || driver->value() != "local") continue;
    Node* opts = e.value.find("driver_opts");
    if (!opts || !opts->is_mapping()) continue;
    const Node* o = opts->find("o");
    if (!o || !o->is_scalar() || o->value() != "bind") continue;
    rewrite_scalar(opts->find("device"), rewrite_unix_or_windows, base, home);
  }
}

void resolve_includes(Node* include, const std::string& base, const std::string& home) {
  if (!include || !include->is_sequence()) return;
  for (Node& item : include->items()) {
    if (!item.is_mapping()) continue;
    rewrite_items(item.find("path"), rewrite_abs, base, home);
    rewrite_scalar(item.find("project_directory"), rewrite_abs, base, home);
    rewrite_items(item.find("env_file"), rewrite_abs, base, home);
  }
}

}  // namespace

void resolve_service_paths(Node& service, const std::string& base_dir, const std::string& home_dir) {
  if (!service.is_mapping()) return;
  if (Node* build = service.find("build")) resolve_build(*build, base_dir, home_dir);
  if (Node* env_files = service.find("env_file")) resolve_env_files(*env_files, base_dir, home_dir);
  rewrite_items(service.find("label_file"), rewrite_abs, base_dir, home_dir);
  if (Node* volumes = service.find("volumes")) resolve_volumes(*volumes, base_dir, home_dir);
  if (Node* extends = service.find("extends"); extends && extends->is_mapping()) {
    rewrite_scalar(extends->find("file"), rewrite_extends_file, base_dir, home_dir);
  }
  if (Node* develop = service.find("develop")) resolve_watch(*develop, base_dir, home_dir);
}

void resolve_project_paths(Node& project, const std::string& base_dir, const std::string& home_dir) {
  if (!project.is_mapping()) return;
  if (Node* services = project.find("services"); services && services->is_mapping()) {
    for (Entry& e : services->entries()) resolve_service_paths(e.value, base_dir, home_dir);
  }
  resolve_file_resources(project.find("configs"), base_dir, home_dir);
  resolve_file_resources(project.find("secrets"), base_dir, home_dir);
  resolve_volume_devices(project.find("volumes"), base_dir, home_dir);
  resolve_includes(project.find("include"), base_dir, home_dir);
}

}  // namespace stack::compose
