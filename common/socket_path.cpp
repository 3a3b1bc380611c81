#include "common/socket_path.h"

#include <fcntl.h>
#include <sys/un.h>

namespace stack {

Result<SocketPath> usable_socket_path(const std::string& path) {
  SocketPath out;
  if (path.size() < sizeof(sockaddr_un{}.sun_path)) {
    out.path = path;
    return out;
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  out.dir = UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!out.dir) return fail_errno("open " + dir + " (for the socket " + path + ")");
  out.path = "/proc/self/fd/" + std::to_string(out.dir.get()) + "/" + name;
  if (out.path.size() >= sizeof(sockaddr_un{}.sun_path)) return fail("socket path too long: " + path, ENAMETOOLONG);
  return out;
}

}  // namespace stack
