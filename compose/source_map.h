// Where each key of the decoded project came from, so stages after decoding
// (normalize, validate) can point at file:line:col for a typed value.
#pragma once

#include <string>
#include <unordered_map>
#include <string_view>

#include "compose/node.h"

namespace stack::compose {

class SourceMap {
 public:
  // Records the mark of `key_path` ("services.web.ports[0].target").
  void record(std::string key_path, Mark mark);
  // The mark of `key_path`, or of its nearest recorded ancestor
  // ("services.web.networks.front" falls back to "services.web.networks", then
  // "services.web", ...); an unknown mark when nothing matches.
  Mark find(std::string_view key_path) const;
  bool contains(std::string_view key_path) const { return marks_.find(key_path) != marks_.end(); }
  size_t size() const { return marks_.size(); }

 private:
  // Hashed: decode records a mark for every key of the project (thousands for big files).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Mark, Hash, std::equal_to<>> marks_;
};

// The parent of a key path: "a.b[2]" -> "a.b", "a.b" -> "a", "a" -> "".
std::string_view parent_key_path(std::string_view key_path);

}  // namespace stack::compose
