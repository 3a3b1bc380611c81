#include "compose/include.h"

#include <algorithm>

#include "common/files.h"
#include "common/strings.h"
#include "compose/merge.h"
#include "compose/paths.h"

namespace stack::compose {

namespace {

// The files being included right now, outermost first. Nested includes are loaded
// by the IncludeLoader, which calls apply_include again on this thread, so the
// chain needs no help from the loader to catch a file that includes itself.
thread_local std::vector<std::string> include_chain;

struct ChainGuard {
  size_t size = include_chain.size();
  ~ChainGuard() { include_chain.resize(size); }
};

std::string against(const std::string& base_dir, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return join_path(base_dir, path);
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A `path` or `env_file` value: canonical form is a sequence, but accept a string.
Result<std::vector<std::pair<std::string, const Node*>>> strings_of(const Node& node, const std::string& path) {
  std::vector<std::pair<std::string, const Node*>> out;
  if (node.is_scalar()) {
    out.emplace_back(node.value(), &node);
    return out;
  }
  if (!node.is_sequence()) return fail_at(node.mark(), path, "must be a string or a list of strings");
  for (size_t i = 0; i < node.items().size(); ++i) {
    const Node& item = node.items()[i];
    if (!item.is_scalar()) return fail_at(item.mark(), path_index(path, i), "must be a string");
    out.emplace_back(item.value(), &item);
  }
  return out;
}

Result<IncludeLoadRequest> request_for(const Node& entry, const std::string& base_dir, const std::string& where) {
  if (!entry.is_mapping()) return fail_at(entry.mark(), where, "must be a string or a mapping");
  IncludeLoadRequest req;
  const Node* paths = entry.find("path");
  if (!paths) return fail_at(entry.mark(), where, "missing property \"path\"");
  auto files = strings_of(*paths, path_key(where, "path"));
  if (!files) return std::unexpected(files.error());
  if (files->empty()) return fail_at(paths->mark(), path_key(where, "path"), "must not be empty");
  for (const auto& [file, node] : *files) req.files.push_back(against(base_dir, file));

  const Node* dir = entry.find("project_directory");
  if (dir && dir->is_scalar() && !dir->value().empty()) {
    req.project_directory = against(base_dir, dir->value());
  } else {
    req.project_directory = parent_dir(req.files.front());
  }

  if (const Node* env = entry.find("env_file"); env && !env->is_null()) {
    auto env_files = strings_of(*env, path_key(where, "env_file"));
    if (!env_files) return std::unexpected(env_files.error());
    for (size_t i = 0; i < env_files->size(); ++i) {
      const auto& [file, node] = (*env_files)[i];
      std::string abs = against(base_dir, file);
      // compose-go checks only the relative ones; an absolute missing file fails when read.
      if (file.empty() || file.front() != '/') {
        std::string at = env->is_sequence() ? path_index(path_key(where, "env_file"), i) : path_key(where, "env_file");
        if (!path_exists(abs)) return fail_at(node->mark(), at, "stat " + abs + ": no such file or directory");
        if (is_directory(abs)) return fail_at(node->mark(), at, abs + " is not a file");
      }
      req.env_files.push_back(std::move(abs));
    }
  }
  if (req.env_files.empty()) {
    std::string dot_env = join_path(req.project_directory, ".env");
    if (path_exists(dot_env) && !is_directory(dot_env)) req.env_files.push_back(dot_env);
  }
  return req;
}

Result<void> import_kind(Node& project, const Node& imported, const std::string& kind) {
  const Node* from = imported.find(kind);
  if (!from || !from->is_mapping() || from->size() == 0) return {};
  Node* to = project.find(kind);
  if (!to || !to->is_mapping()) to = &project.set(kind, Node::mapping(from->mark()));
  for (const Entry& e : from->entries()) {
    Entry* local = to->find_entry(e.key);
    if (!local) {
      to->entries().push_back(e);
      continue;
    }
    // The including project refines what it includes (compose-go importResource).
    Result<Node> merged;
    if (kind == "services") {
      merged = merge_services(e.value, local->value, path_key(kind, e.key));
    } else {
      Node base = Node::mapping();
      base.set(kind, Node::mapping()).set(e.key, e.value, e.key_mark);
      Node over = Node::mapping();
      over.set(kind, Node::mapping()).set(e.key, local->value, local->key_mark);
      auto doc = merge_projects(std::move(base), over);
      if (!doc) return std::unexpected(doc.error());
      merged = std::move(*doc->find(kind)->find(e.key));
    }
    if (!merged) return std::unexpected(merged.error());
    local->value = std::move(*merged);
  }
  return {};
}

}  // namespace

Result<void> apply_include(Node& project, const std::string& base_dir, const IncludeLoader& load,
                           const std::string& current_file) {
  const Node* include = project.is_mapping() ? project.find("include") : nullptr;
  if (!include) return {};
  if (include->is_null()) {
    project.erase("include");
    return {};
  }
  if (!include->is_sequence()) return fail_at(include->mark(), "include", "must be a list");

  ChainGuard guard;
  if (!current_file.empty() && (include_chain.empty() || include_chain.back() != current_file)) {
    include_chain.push_back(current_file);
  }

  // Copy: loading may take a while and `project` is changed as we go.
  const Node entries = *include;
  for (size_t i = 0; i < entries.items().size(); ++i) {
    const Node& item = entries.items()[i];
    std::string where = path_index("include", i);
    Node entry = item;
    if (item.is_scalar()) {
      entry = Node::mapping(item.mark());
      Node paths = Node::sequence(item.mark());
      paths.push_back(item);
      entry.set("path", std::move(paths));
    }
    auto req = request_for(entry, base_dir, where);
    if (!req) return std::unexpected(req.error());

    const std::string& main_file = req->files.front();
    if (std::find(include_chain.begin(), include_chain.end(), main_file) != include_chain.end()) {
      std::string message = "include cycle detected:\n" + include_chain.front();
      for (size_t k = 1; k < include_chain.size(); ++k) message += "\n include " + include_chain[k];
      message += "\n include " + main_file;
      return fail_at(item.mark(), where, message);
    }
    include_chain.push_back(main_file);
    auto imported = load(*req);
    include_chain.pop_back();
    if (!imported) return std::unexpected(imported.error());
    if (!imported->is_mapping()) continue;

    for (const char* kind : {"services", "volumes", "networks", "secrets", "configs", "models"}) {
      if (auto r = import_kind(project, *imported, kind); !r) return r;
    }
  }
  project.erase("include");
  return {};
}

}  // namespace stack::compose
