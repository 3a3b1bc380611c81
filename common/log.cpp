#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace stack {

Result<void> setup_logging(const std::string& level_from_flag) {
  std::string level = level_from_flag;
  if (level.empty()) {
    const char* env = std::getenv("STACK_LOG");
    level = env && *env ? env : "warn";
  }
  auto parsed = spdlog::level::from_str(level);
  // from_str maps unknown names to "off"; only accept that for the word itself.
  if (parsed == spdlog::level::off && level != "off") {
    return fail("invalid log level \"" + level + "\" (use trace, debug, info, warn, error, critical or off)");
  }
  auto logger = spdlog::stderr_color_mt("stack");
  logger->set_pattern("%^%l%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace stack
