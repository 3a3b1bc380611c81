// RFC 3339 (with nanoseconds) <-> system_clock, for the record's time strings.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace stack::container {

using SysTime = std::chrono::system_clock::time_point;

// "2024-01-02T03:04:05.123456789Z" or with a "+hh:mm" offset; nullopt if malformed.
std::optional<SysTime> parse_time(std::string_view text);
// Go's time.RFC3339Nano in UTC (trailing zeros of the fraction trimmed).
std::string format_time(SysTime t);
// Docker's zero time "0001-01-01T00:00:00Z" (or empty).
bool is_zero_time(std::string_view text);

}  // namespace stack::container
