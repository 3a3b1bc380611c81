// Where each key of the decoded project came from, so stages after decoding
// (normalize, validate) can point at file:line:col for a typed value.
#pragma once

#include <map>
#include <string>
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
  std::map<std::string, Mark, std::less<>> marks_;
};

// The parent of a key path: "a.b[2]" -> "a.b", "a.b" -> "a", "a" -> "".
std::string_view parent_key_path(std::string_view key_path);

}  // namespace stack::compose
