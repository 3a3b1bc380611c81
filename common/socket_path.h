// Unix socket paths longer than sun_path (108 bytes) — a deep state dir plus a 64-hex id
// gets there — are reached through the parent directory's fd: /proc/self/fd/N/name.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace stack {

struct SocketPath {
  std::string path;  // what to pass to bind/connect
  UniqueFd dir;      // holds the parent directory open while path is used (if needed)
};

Result<SocketPath> usable_socket_path(const std::string& path);

}  // namespace stack
