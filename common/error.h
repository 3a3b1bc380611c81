// Error type shared by every module: a message naming what was done to what,
// the errno where there is one, and context added on the way up.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>

namespace stack {

struct Error {
  std::string message;
  int errno_value = 0;

  // "message: strerror(errno)" when errno is set, else the message.
  std::string to_string() const;

  // Adds context in front: wrap("load compose.yml") gives "load compose.yml: <message>".
  Error& wrap(std::string_view context);
  Error wrapped(std::string_view context) const;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message, int errno_value = 0) {
  return std::unexpected(Error{std::move(message), errno_value});
}

// For a failed syscall: captures the current errno.
inline std::unexpected<Error> fail_errno(std::string what) {
  int saved = errno;
  return std::unexpected(Error{std::move(what), saved});
}

}  // namespace stack
