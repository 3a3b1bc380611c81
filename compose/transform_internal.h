// Shared by the transform_*.cpp files: building nodes that carry the mark of
// the node they came from, and the per-key rewrites each file provides.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "compose/node.h"
#include "compose/transform.h"

namespace stack::compose::transform_detail {

// New nodes located where `origin` was written.
inline Node string_from(std::string text, const Node& origin) { return Node::string(std::move(text), origin.mark()); }
inline Node plain_from(std::string text, const Node& origin) { return Node::scalar(std::move(text), origin.mark()); }
inline Node mapping_from(const Node& origin) { return Node::mapping(origin.mark()); }
inline Node sequence_from(const Node& origin) { return Node::sequence(origin.mark()); }
inline Node true_from(const Node& origin) { return plain_from("true", origin); }

// Null, or a tagged plain null ("!reset null" stays a scalar when tagged).
inline bool is_null_like(const Node& node) { return node.is_null() || (node.is_scalar() && node.looks_like_null()); }

// Replaces `node` by its rewritten form; the rewrite keeps the mark and any
// !reset / !override tag the short form carried.
inline void replace_with(Node& node, Node rewritten) {
  rewritten.set_tag(node.tag());
  rewritten.set_mark(node.mark());
  node = std::move(rewritten);
}

// Sets key to value unless the mapping already has it; the new entry is
// located at the mapping.
inline void set_default(Node& mapping, std::string key, Node value) {
  if (!mapping.contains(key)) mapping.set(std::move(key), std::move(value), mapping.mark());
}

// services.*.ports (transform_ports.cpp)
Result<void> canonicalize_ports(Node& ports, std::string_view path, const TransformOptions& options);
// services.*.volumes (transform_volumes.cpp)
Result<void> canonicalize_service_volumes(Node& volumes, std::string_view path, const TransformOptions& options);
// services.*.devices (transform_devices.cpp)
Result<void> canonicalize_devices(Node& devices, std::string_view path, const TransformOptions& options);

// KEY=VALUE lists (transform_mappings.cpp).
// environment, build.args, hooks' environment: "K=V" -> K: "V", "K" -> K: null.
Result<void> canonicalize_env_mapping(Node& node, std::string_view path);
// labels and the like: "K=V" -> K: "V", "K" -> K: "".
Result<void> canonicalize_label_mapping(Node& node, std::string_view path);
// extra_hosts: "host:ip" / "host=ip" -> host: [ip, ...].
Result<void> canonicalize_extra_hosts(Node& node, std::string_view path);
// build.additional_contexts: "name=value" -> name: value; no "=" is an error.
Result<void> canonicalize_key_value_strict(Node& node, std::string_view path);
// build.ssh: "id=path" -> id: path, "default" -> default: null.
Result<void> canonicalize_ssh(Node& node, std::string_view path);

}  // namespace stack::compose::transform_detail
