// Logging set-up: spdlog to stderr; level from --log-level, else STACK_LOG, else "warn".
#pragma once

#include <string>

#include "common/error.h"

namespace stack {

Result<void> setup_logging(const std::string& level_from_flag);

}  // namespace stack
