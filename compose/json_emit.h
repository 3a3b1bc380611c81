// Node -> JSON text the way Go's encoding/json writes it, which is what
// `docker compose config --format json` prints (json.MarshalIndent(v, "", "  "))
// and what the config hash digests (json.Marshal).
#pragma once

#include <string>

#include "compose/node.h"

namespace stack::compose {

// Quoted scalars are strings. Unquoted scalars that YAML resolves to a number,
// bool or null become JSON numbers (normalized to decimal when the YAML form,
// like 0x1F, 1_000 or .5, is not valid JSON), true/false, null; other unquoted
// scalars are strings. Key order is the Node's. Strings are escaped like Go,
// including its HTML-safe escapes (<, >, & as \u003c, \u003e, \u0026).

// Two-space indentation, empty collections as {} and []; no trailing newline
// (compose prints MarshalIndent's bytes as they are).
std::string emit_json(const Node& node);

// Compact, no whitespace at all, as json.Marshal.
std::string emit_json_compact(const Node& node);

}  // namespace stack::compose
