// Container ids and names as Docker makes and checks them.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace stack::container {

// 64 lower-case hex characters from getrandom(); never all digits (Docker
// retries those, a short id must not parse as a number).
std::string generate_id();

// Docker-style "adjective_surname" (without "/"). Tries up to 6 names, the later
// ones with a random digit suffix, as moby's generateNewName; when all are taken
// (`taken` gets the bare name), the first 12 characters of `id_fallback`.
std::string generate_name(const std::function<bool(const std::string&)>& taken, std::string_view id_fallback = {});

// "name" or "/name": [a-zA-Z0-9][a-zA-Z0-9_.-]+ ; EINVAL with Docker's text otherwise.
Result<void> validate_name(std::string_view name);

// "/name" for "name" or "/name".
std::string canonical_name(std::string_view name);

}  // namespace stack::container
