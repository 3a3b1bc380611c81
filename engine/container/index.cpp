#include "engine/container/index.h"

#include <cerrno>

#include "engine/container/names.h"

namespace stack::container {

std::string name_conflict_message(const std::string& name, const std::string& id) {
  return "Conflict. The container name \"" + canonical_name(name) + "\" is already in use by container \"" + id +
         "\". You have to remove (or rename) that container to be able to reuse that name.";
}

Result<void> Index::add(const std::string& id, const std::string& name) {
  std::string n = canonical_name(name);
  auto it = by_name_.find(n);
  if (it != by_name_.end() && it->second != id) return fail(name_conflict_message(n, it->second), EEXIST);
  if (auto old = name_of_.find(id); old != name_of_.end()) by_name_.erase(old->second);
  ids_.insert(id);
  by_name_[n] = id;
  name_of_[id] = n;
  return {};
}

void Index::remove(const std::string& id) {
  if (auto it = name_of_.find(id); it != name_of_.end()) {
    by_name_.erase(it->second);
    name_of_.erase(it);
  }
  ids_.erase(id);
}

Result<void> Index::rename(const std::string& id, const std::string& new_name) {
  if (!ids_.contains(id)) return fail("No such container: " + id, ENOENT);
  return add(id, new_name);
}

Result<std::string> Index::resolve(std::string_view ref) const {
  if (ref.empty()) return fail("invalid container name or ID: value is empty", EINVAL);
  std::string r(ref);
  if (ids_.contains(r)) return r;
  if (auto it = by_name_.find(canonical_name(r)); it != by_name_.end()) return it->second;
  // A unique id prefix (moby's ViewDB.GetByPrefix).
  std::string found;
  for (auto it = ids_.lower_bound(r); it != ids_.end() && it->starts_with(r); ++it) {
    if (!found.empty()) return fail("multiple IDs found with provided prefix: " + r, EINVAL);
    found = *it;
  }
  if (found.empty()) return fail("No such container: " + r, ENOENT);
  return found;
}

bool Index::name_taken(std::string_view name) const { return by_name_.contains(canonical_name(name)); }

std::string Index::name_of(const std::string& id) const {
  auto it = name_of_.find(id);
  return it == name_of_.end() ? std::string{} : it->second;
}

}  // namespace stack::container
