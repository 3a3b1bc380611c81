// Output helpers for `stack image`, shaped like the docker CLI's: go-units sizes and
// durations, text/tabwriter tables (minwidth 10, padding 3), and the small part of Go
// templates that scripts use with --format ({{.Field}}, {{.A.B}}, {{json .X}}, "table ").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace stack::cli {

// go-units HumanSizeWithPrecision: decimal units, "%.<precision>g" ("1.23MB", "0B").
std::string human_size(double bytes, int precision);
// go-units HumanDuration ("Less than a second", "About an hour", "3 days").
std::string human_duration(int64_t seconds);
// Go's time.Time String() for a local time: "2024-01-02 03:04:05 +0000 UTC".
std::string go_time_string(int64_t epoch_seconds);
// RFC 3339 in local time, seconds precision ("2024-01-02T03:04:05Z" / "+01:00").
std::string rfc3339_local(int64_t epoch_seconds);

// Lays rows out as Go's tabwriter with the docker CLI's settings; the last column is not padded.
std::string tabwrite(const std::vector<std::vector<std::string>>& rows);

// Renders one object through a Go-style template. Values print as Go prints them
// (strings raw, arrays "[a b]", maps "map[k:v]", null "<no value>"); `\t` and `\n` escapes expand.
std::string render_template(const std::string& tmpl, const nlohmann::ordered_json& value);
// Field names a "table ..." template refers to, in order ({{.ID}} -> "ID").
std::vector<std::string> template_fields(const std::string& tmpl);

// Go's path.Match, as docker's reference filter uses it ('*' stops at '/').
bool path_match(const std::string& pattern, const std::string& name);

}  // namespace stack::cli
