// Terse Node builders for tests: map_of({{"k", str("v")}}), seq_of({raw("1")}).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "compose/node.h"

namespace stack::compose::node_builders {

inline Node map_of(std::initializer_list<std::pair<std::string, Node>> entries) {
  Node m = Node::mapping();
  for (const auto& [k, v] : entries) m.entries().push_back(Entry{k, {}, v});
  return m;
}

inline Node seq_of(std::initializer_list<Node> items) {
  Node s = Node::sequence();
  for (const Node& n : items) s.push_back(n);
  return s;
}

// A string scalar (quoted: never read as a number or bool) and a plain one.
inline Node str(std::string s) { return Node::string(std::move(s)); }
inline Node raw(std::string s) { return Node::scalar(std::move(s)); }

}  // namespace stack::compose::node_builders
