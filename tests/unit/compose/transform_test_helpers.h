// Test helpers for the transform tests: run canonicalize_project on a YAML
// text and render a subtree as compact text. Quoted scalars (strings) print
// with quotes, plain scalars without, so the tests also check which nodes
// transform made strings: {mode: "ingress", target: 80, published: "8080"}.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "compose/transform.h"
#include "compose/yaml_load.h"

namespace stack::compose::transform_testing {

inline const std::shared_ptr<const std::string>& test_file() {
  static auto file = std::make_shared<const std::string>("compose.yml");
  return file;
}

inline std::string render(const Node& n) {
  std::string out = n.tag().empty() ? "" : n.tag() + " ";
  switch (n.kind()) {
    case Node::Kind::Null: return out + "null";
    case Node::Kind::Scalar: return out + (n.quoted() ? stack::quoted(n.value()) : n.value());
    case Node::Kind::Sequence: {
      out += "[";
      for (size_t i = 0; i < n.items().size(); ++i) out += (i ? ", " : "") + render(n.items()[i]);
      return out + "]";
    }
    case Node::Kind::Mapping: {
      out += "{";
      for (size_t i = 0; i < n.entries().size(); ++i)
        out += (i ? ", " : "") + n.entries()[i].key + ": " + render(n.entries()[i].value);
      return out + "}";
    }
  }
  return out;
}

// Follows a dot-separated key path ("services.web.ports"); null if missing.
inline const Node* at_path(const Node& root, std::string_view path) {
  const Node* n = &root;
  for (const std::string& key : split(path, '.')) {
    n = n->find(key);
    if (!n) return nullptr;
  }
  return n;
}

// Canonicalizes `yaml` and renders the node at `path`, or "error: <message>".
inline std::string canonical(std::string_view yaml, std::string_view path, const TransformOptions& options = {}) {
  auto doc = parse_yaml(yaml, test_file());
  if (!doc) return "yaml error: " + doc.error().to_string();
  if (auto ok = canonicalize_project(*doc, options); !ok) return "error: " + ok.error().to_string();
  const Node* n = at_path(*doc, path);
  return n ? render(*n) : "<missing>";
}

// The same for one key of service "web" written in flow style: service_key("ports", "['80']").
inline std::string service_key(std::string_view key, std::string_view value, const TransformOptions& options = {}) {
  std::string yaml = "services: {web: {" + std::string(key) + ": " + std::string(value) + "}}\n";
  return canonical(yaml, "services.web." + std::string(key), options);
}

}  // namespace stack::compose::transform_testing
