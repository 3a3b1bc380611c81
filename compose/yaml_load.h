// YAML text -> Node: libyaml parses; we build Nodes from its events, expanding aliases and
// merge keys (<<), keeping tags (!reset, !override) and positions, and
// rejecting duplicate keys as Compose does.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "compose/node.h"

namespace stack::compose {

// Every document of the stream (an empty stream gives none).
Result<std::vector<Node>> parse_yaml_documents(std::string_view text, std::shared_ptr<const std::string> file);

// The single document of `text` (null node for an empty file); several documents are merged by the caller.
Result<Node> parse_yaml(std::string_view text, std::shared_ptr<const std::string> file);

}  // namespace stack::compose
