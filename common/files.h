// Small file helpers with errors that name the path.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace stack {

Result<std::string> read_file(const std::string& path);
Result<std::string> read_all_fd(int fd, std::string_view name);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);

// Atomic replace: write a temp file beside it, fsync, rename, fsync the directory.
Result<void> write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace stack
