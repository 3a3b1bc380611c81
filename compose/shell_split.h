// Word splitting of command strings the way Docker Compose does it
// (mattn/go-shellwords v1.0.13 as Docker Compose v5 links it, with
// environment and backtick expansion off): quotes and backslashes are
// honoured, nothing is expanded, and an unquoted ; & | < > ends the command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace stack::compose {

// Splits `line` into words. "" and blank strings give an empty list.
// Fails with "invalid command line string" on unterminated quotes, a trailing
// backslash, a bare "(" or ")" or an unterminated "$(" or backtick.
Result<std::vector<std::string>> shell_split(std::string_view line);

}  // namespace stack::compose
