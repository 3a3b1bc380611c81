// Internal to the merge stage: where in the document a value sits, both as
// segments (for compose-go style rule patterns like "services.*.ulimits.*")
// and as the text used in error messages ("services.web.ports[0]").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compose/node.h"

namespace stack::compose::merge_detail {

struct DocPath {
  // Keys from the root; a sequence item is the segment "[]". Kept as segments,
  // not a dotted string, so names containing '.' still match "*".
  std::vector<std::string> segments;
  std::string text;

  DocPath key(std::string_view k) const {
    DocPath p = *this;
    p.segments.emplace_back(k);
    p.text = path_key(text, k);
    return p;
  }
  DocPath index(size_t i) const {
    DocPath p = *this;
    p.segments.emplace_back("[]");
    p.text = path_index(text, i);
    return p;
  }

  // `pattern` is dotted; "*" matches any one segment.
  bool matches(std::string_view pattern) const {
    size_t seg = 0;
    while (true) {
      size_t dot = pattern.find('.');
      std::string_view part = pattern.substr(0, dot);
      if (seg >= segments.size()) return false;
      if (part != "*" && part != segments[seg]) return false;
      ++seg;
      if (dot == std::string_view::npos) break;
      pattern.remove_prefix(dot + 1);
    }
    return seg == segments.size();
  }
};

// The path of a service named by `path` ("services.web"): rules of "services.*" apply.
inline DocPath service_path(std::string_view path) {
  return DocPath{{"services", "*"}, std::string(path)};
}

}  // namespace stack::compose::merge_detail
