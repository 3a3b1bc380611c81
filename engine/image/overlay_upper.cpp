#include "engine/image/overlay_upper.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace stack::image {

Result<std::vector<std::string>> sorted_names(int dirfd, const std::string& what) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail_errno("dup " + what);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    int saved = errno;
    ::close(dup);
    return fail("opendir " + what, saved);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int saved = errno;
  ::closedir(d);
  if (saved != 0) return fail("readdir " + what, saved);
  std::sort(names.begin(), names.end());
  return names;
}

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && ::major(st.st_rdev) == 0 && ::minor(st.st_rdev) == 0; }

bool is_opaque(int dirfd, const std::string& name) {
  // Through /proc/self/fd: lgetxattr on the entry without following a symlink anywhere.
  std::string at = "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
  char value[2] = {};
  ssize_t n = ::lgetxattr(at.c_str(), "trusted.overlay.opaque", value, sizeof value);
  return n == 1 && value[0] == 'y';
}

}  // namespace stack::image
