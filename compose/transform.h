// The `transform` stage: rewrites every Compose short syntax of one file's
// document into the canonical long form described in compose/CANONICAL.md,
// so that merge, extends, include, profiles and decode only ever see one form.
// It parses what a short form needs (ports, volumes, devices, command strings,
// KEY=VALUE lists) and otherwise leaves type checking to decode.
#pragma once

#include <string_view>
#include <vector>

#include "common/error.h"
#include "compose/node.h"
#include "compose/shell_split.h"

namespace stack::compose {

struct TransformOptions {
  // Keep a port, volume or device short form that does not parse as it was
  // written instead of failing, as Compose does with --no-interpolate (the
  // text may still hold ${VAR}). Later stages then see that scalar.
  bool keep_unparsable = false;
};

// Whole document (top-level networks/volumes/secrets/configs/include and every service). In place.
Result<void> canonicalize_project(Node& project, const TransformOptions& options = {});

// One service mapping; `path` like "services.web" prefixes error paths. Used by extends too.
Result<void> canonicalize_service(Node& service, std::string_view path, const TransformOptions& options = {});

// A short port spec (string or bare number) -> one canonical port mapping per
// port of the range: {mode: ingress, host_ip?, target: N, published?: "S", protocol}.
Result<std::vector<Node>> parse_port_spec(const Node& scalar, std::string_view path);

// A short volume spec "[SRC:]DST[:MODE]" -> canonical volume mapping.
Result<Node> parse_volume_spec(const Node& scalar, std::string_view path);

// A short device spec "SRC[:DST[:PERMS]]" -> {source, target, permissions}.
Result<Node> parse_device_spec(const Node& scalar, std::string_view path);

}  // namespace stack::compose
