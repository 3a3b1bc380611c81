#include "compose/source_map.h"

namespace stack::compose {

void SourceMap::record(std::string key_path, Mark mark) {
  marks_.insert_or_assign(std::move(key_path), std::move(mark));
}

Mark SourceMap::find(std::string_view key_path) const {
  while (true) {
    if (auto it = marks_.find(key_path); it != marks_.end()) return it->second;
    if (key_path.empty()) return {};
    key_path = parent_key_path(key_path);
  }
}

std::string_view parent_key_path(std::string_view key_path) {
  size_t cut = key_path.find_last_of(".[");
  if (cut == std::string_view::npos) return {};
  return key_path.substr(0, cut);
}

}  // namespace stack::compose
