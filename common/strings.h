// String helpers used across modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stack {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
// Quotes a string for messages: "text" with " and \ escaped.
std::string quoted(std::string_view s);

}  // namespace stack
