#include "common/error.h"

#include <cstring>

namespace stack {

std::string Error::to_string() const {
  if (errno_value == 0) return message;
  return message + ": " + std::strerror(errno_value);
}

Error& Error::wrap(std::string_view context) {
  message = std::string(context) + ": " + message;
  return *this;
}

Error Error::wrapped(std::string_view context) const {
  Error copy = *this;
  copy.wrap(context);
  return copy;
}

}  // namespace stack
