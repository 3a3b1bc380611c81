#include "compose/extends.h"

#include <algorithm>
#include <list>
#include <map>
#include <set>
#include <vector>

#include "common/strings.h"
#include "compose/merge.h"
#include "compose/paths.h"

namespace stack::compose {

namespace {

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The services of one file: the project's own, or those of a file named by `extends.file`.
struct Scope {
  std::string file;
  std::string dir;
  Node* services;
};

struct Link {
  size_t scope;
  std::string service;
  bool operator==(const Link&) const = default;
};

class ExtendsResolver {
 public:
  ExtendsResolver(const DocumentLoader& load, std::string home) : load_(load), home_(std::move(home)) {}

  size_t add_scope(std::string file, Node* services) {
    std::string dir = parent_dir(file);
    scopes_.push_back(Scope{std::move(file), std::move(dir), services});
    return scopes_.size() - 1;
  }

  // Resolves services[name] of `scope` in place (memoized) and returns it.
  Result<const Node*> resolve(size_t scope, const std::string& name, std::vector<Link> chain) {
    Node* service = scopes_[scope].services->find(name);
    const std::string path = path_key("services", name);
    if (done_.contains({scope, name}) || service->is_null()) return service;
    if (!service->is_mapping()) return fail_at(service->mark(), path, "must be a mapping");
    const Entry* extends = service->find_entry("extends");
    if (!extends) {
      done_.insert({scope, name});
      return service;
    }
    const Mark& at = extends->value.mark();
    const std::string ext_path = path_key(path, "extends");

    Link self{scope, name};
    if (std::find(chain.begin(), chain.end(), self) != chain.end()) {
      return fail_at(at, ext_path, cycle_message(chain, self));
    }
    chain.push_back(self);

    const Node* ref_node = extends->value.is_mapping() ? extends->value.find("service") : nullptr;
    if (!ref_node || !ref_node->is_scalar() || ref_node->value().empty()) {
      return fail_at(at, "", "extends." + name + ".service is required");
    }
    const std::string ref = ref_node->value();
    const Node* file_node = extends->value.find("file");
    const std::string here = scopes_[scope].file;  // a copy: loading a file may grow scopes_
    const std::string prefix = "cannot extend service " + quoted(name) + " in " + here + ": ";

    size_t target = scope;
    if (file_node && file_node->is_scalar() && !file_node->value().empty()) {
      const std::string& written = file_node->value();
      std::string abs = written.front() == '/' ? written : join_path(scopes_[scope].dir, written);
      auto loaded = scope_of_file(abs, at, ext_path, name);
      if (!loaded) return std::unexpected(loaded.error());
      target = *loaded;
      if (!scopes_[target].services->contains(ref)) {
        return fail_at(at, ext_path, prefix + "service " + quoted(ref) + " not found in " + written);
      }
    } else if (!scopes_[scope].services->contains(ref)) {
      return fail_at(at, ext_path, prefix + "service " + quoted(ref) + " not found");
    }

    auto base = resolve(target, ref, chain);
    if (!base) return base;
    // `service` still points at its entry: resolving replaces values, never adds entries.
    Node merged_base = (*base)->is_mapping() ? **base : Node::mapping((*base)->mark());
    Node own = *service;
    own.erase("extends");
    auto merged = merge_services(std::move(merged_base), own, path);
    if (!merged) return std::unexpected(merged.error());
    *service = std::move(*merged);
    done_.insert({scope, name});
    return service;
  }

 private:
  // Loads another file once per apply_extends, its paths made absolute against its folder.
  Result<size_t> scope_of_file(const std::string& abs, const Mark& at, const std::string& ext_path,
                               const std::string& name) {
    if (auto it = loaded_.find(abs); it != loaded_.end()) return it->second;
    auto doc = load_(abs);
    if (!doc) {
      Error e = doc.error();
      std::string where = at.str();
      e.wrap(where.empty() ? path_key(ext_path, "file") : where + ": " + path_key(ext_path, "file"));
      return std::unexpected(std::move(e));
    }
    const std::string prefix = "cannot extend service " + quoted(name) + " in " + abs + ": ";
    Node* services = doc->is_mapping() ? doc->find("services") : nullptr;
    if (!services) return fail_at(at, ext_path, prefix + "no services section");
    if (!services->is_mapping()) return fail_at(at, ext_path, prefix + "services must be a mapping");
    Node& owned = owned_.emplace_back(std::move(*services));
    const std::string dir = parent_dir(abs);
    for (Entry& e : owned.entries()) resolve_service_paths(e.value, dir, home_);
    size_t index = add_scope(abs, &owned);
    loaded_.emplace(abs, index);
    return index;
  }

  std::string cycle_message(const std::vector<Link>& chain, const Link& repeated) const {
    std::string out = "Circular reference:\n  " + chain.front().service + " in " + scopes_[chain.front().scope].file;
    for (size_t i = 1; i < chain.size(); ++i) {
      out += "\n  extends " + chain[i].service + " in " + scopes_[chain[i].scope].file;
    }
    out += "\n  extends " + repeated.service + " in " + scopes_[repeated.scope].file;
    return out;
  }

  const DocumentLoader& load_;
  std::string home_;
  std::vector<Scope> scopes_;
  std::map<std::string, size_t> loaded_;
  std::list<Node> owned_;  // services of loaded files; a list keeps their addresses stable
  std::set<std::pair<size_t, std::string>> done_;
};

}  // namespace

Result<void> apply_extends(Node& project, const std::string& project_file, const DocumentLoader& load,
                           const std::string& home_dir) {
  Node* services = project.is_mapping() ? project.find("services") : nullptr;
  if (!services || !services->is_mapping()) return {};
  ExtendsResolver resolver(load, home_dir);
  size_t main = resolver.add_scope(project_file, services);
  std::vector<std::string> names;
  for (const Entry& e : services->entries()) names.push_back(e.key);
  for (const std::string& name : names) {
    if (auto r = resolver.resolve(main, name, {}); !r) return std::unexpected(r.error());
  }
  return {};
}

}  // namespace stack::compose
