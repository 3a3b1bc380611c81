// Node -> YAML text exactly as `docker compose config` prints it: Go yaml.v3's
// encoder with SetIndent(2) (block style, sequences indented under their key,
// empty collections as `{}` / `[]`, yaml.v3's quoting and literal-block rules).
#pragma once

#include <string>
#include <string_view>

#include "compose/node.h"

namespace stack::compose {

// What an unquoted scalar means to Go yaml.v3's resolver (resolve.go); the
// emitters use it to decide when a string must be quoted and what an
// unquoted scalar's JSON type is.
enum class PlainTag { Str, Null, Bool, Int, Float, Timestamp };
PlainTag resolve_plain(std::string_view text);

// True when yaml.v3 cannot print the string `s` plain because reading it back
// would not give the same string (it resolves to another type, or is a YAML 1.1
// bool like "yes"/"off", or a YAML 1.1 base-60 number like "1:30").
bool yaml_string_needs_quotes(std::string_view s);

// The order yaml.v3 gives the string keys of a Go map (sorter.go keyList.Less):
// letters before other characters, and runs of digits compared as numbers
// ("web2" < "web10"). compose-go's YAML prints map-typed fields (services,
// labels, environment, ...) in this order; its JSON sorts them bytewise.
// Non-ASCII characters count as letters, never as digits.
bool yaml_key_less(std::string_view a, std::string_view b);

// The whole document, ending in a newline. Quoted scalars are strings; an
// unquoted scalar that resolves to a number, bool or null is printed as its
// text (null as `null`); any other unquoted scalar is printed as a string.
// Tags (`!reset`) are not printed.
std::string emit_yaml(const Node& node);

}  // namespace stack::compose
