// Name and id lookup as Docker's daemon.GetContainer: full id, full name (with
// or without "/"), then a unique id prefix.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"

namespace stack::container {

class Index {
 public:
  // EEXIST with Docker's conflict text when the name is taken.
  Result<void> add(const std::string& id, const std::string& name);
  void remove(const std::string& id);
  // EEXIST when new_name is taken by another container; ENOENT for an unknown id.
  Result<void> rename(const std::string& id, const std::string& new_name);
  // ENOENT "No such container: x"; an ambiguous prefix is EINVAL
  // "multiple IDs found with provided prefix: x"; "" is EINVAL.
  Result<std::string> resolve(std::string_view ref) const;
  bool name_taken(std::string_view name) const;
  // "/name" of an id ("" when unknown).
  std::string name_of(const std::string& id) const;
  size_t size() const { return ids_.size(); }

 private:
  std::set<std::string> ids_;
  std::map<std::string, std::string> by_name_;  // "/name" -> id
  std::map<std::string, std::string> name_of_;  // id -> "/name"
};

// Docker's name-in-use text (EEXIST).
std::string name_conflict_message(const std::string& name, const std::string& id);

}  // namespace stack::container
