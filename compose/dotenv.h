// `.env` files (the project .env, --env-file, env_file:, label_file:) parsed as
// compose-go's dotenv package does (a fork of joho/godotenv):
//   KEY=VALUE, export KEY=VALUE, KEY: VALUE, spaces around `=` or `:`
//   # comments on their own line, and after an unquoted value when preceded by a space
//   'single quoted'  literal, may span lines, \' is a quote
//   "double quoted"  may span lines; \n \t \r \a \b \f \v \\ \" \$ and \0NNN (octal)
//                    are unescaped, then ${VAR} is interpolated
//   unquoted values are trimmed and interpolated (no escapes)
//   KEY alone        takes the value from `lookup`; skipped when unset
// Keys may hold letters, digits, `_ . - [ ]`. A UTF-8 BOM and CRLF line ends are accepted.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "compose/interpolate.h"

namespace stack::compose {

// Keys in the order they first appear; a key defined again keeps its first
// position and takes the later value (compose-go keeps a map: last value wins).
using EnvList = std::vector<std::pair<std::string, std::string>>;

// `lookup` resolves ${VAR} in values and bare `KEY` lines. Values interpolate
// against `lookup` first, then against keys defined earlier in the same file
// (compose-go's order, so the shell environment wins over the file).
// Errors: `<file_name>:<line>: unexpected character "$" in variable name "FOO$=1"`.
Result<EnvList> parse_dotenv(std::string_view text, std::string_view file_name, const Lookup& lookup);

// Reads and parses `path`; errors name it (`open .env: No such file or directory`).
Result<EnvList> read_dotenv_file(const std::string& path, const Lookup& lookup);

}  // namespace stack::compose
