#include "engine/image/overlay_upper.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <utility>
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

uint64_t tree_size(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode) || st.st_size == 0) continue;
    if (st.st_nlink > 1 && !seen.emplace(st.st_dev, st.st_ino).second) continue;
    total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace stack::image
