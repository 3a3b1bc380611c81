#include "engine/container/changes_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "common/unique_fd.h"
#include "engine/image/overlay_upper.h"

namespace stack::container {

namespace {


// Opens `rel` inside `layer` following no symlink on the way (a lower layer's symlink is
// content, never a path to the host); an invalid fd when it is not there.
Result<UniqueFd> open_in_layer(const std::string& layer, const std::string& rel, int flags) {
  UniqueFd root(::open(layer.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open layer " + layer);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  std::string relative = rel.substr(1);
  long fd = ::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV) return UniqueFd(-1);
    return fail_errno("open " + layer + rel);
  }
  return UniqueFd(static_cast<int>(fd));
}

// lstat of `rel` inside `layer`: nullopt when it is not there.
Result<std::optional<struct stat>> stat_in_layer(const std::string& layer, const std::string& rel) {
  auto fd = open_in_layer(layer, rel, O_PATH);
  if (!fd) return std::unexpected(fd.error());
  if (!*fd) return std::optional<struct stat>{};
  struct stat st {};
  if (::fstatat(fd->get(), "", &st, AT_EMPTY_PATH) != 0) return fail_errno("stat " + layer + rel);
  return std::optional<struct stat>{st};
}

// Go's sameFsTime: equal, or equal seconds where one side has no nanoseconds.
bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && (a.tv_nsec == b.tv_nsec || a.tv_nsec == 0 || b.tv_nsec == 0);
}

struct Walk {
  const std::vector<std::string>& lower;
  const std::set<std::string>& skip;
  std::vector<Change> out;
  std::set<std::string> changed_dirs;

  // The names the image has in directory `path` that the upper dir `name` (under `dirfd`)
  // does not: the lower layers from the top down, stopping below an opaque one.
  Result<std::vector<std::string>> hidden_children(int dirfd, const std::string& name, const std::string& path) {
    UniqueFd up(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!up) return fail_errno("open " + path + " in the upper dir");
    auto upper_names = image::sorted_names(up.get(), path);
    if (!upper_names) return std::unexpected(upper_names.error());
    std::set<std::string> have(upper_names->begin(), upper_names->end()), hidden;
    for (const std::string& layer : lower) {
      auto found = stat_in_layer(layer, path);
      if (!found) return std::unexpected(found.error());
      if (!*found || !S_ISDIR((*found)->st_mode)) continue;
      auto opened = open_in_layer(layer, path, O_RDONLY | O_DIRECTORY);
      if (!opened) return std::unexpected(opened.error());
      UniqueFd d = std::move(*opened);
      if (!d) continue;
      auto names = image::sorted_names(d.get(), layer + path);
      if (!names) return std::unexpected(names.error());
      for (const std::string& n : *names) {
        struct stat st {};
        if (::fstatat(d.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && image::is_whiteout(st)) {
          have.insert(n);  // deleted in the image already
          continue;
        }
        if (!have.contains(n)) hidden.insert(n);
      }
      char value[2] = {};
      if (::fgetxattr(d.get(), "trusted.overlay.opaque", value, sizeof value) == 1 && value[0] == 'y') break;
    }
    return std::vector<std::string>(hidden.begin(), hidden.end());
  }

  Result<void> dir(int dirfd, const std::string& rel, const std::string& host_path) {
    auto names = image::sorted_names(dirfd, host_path);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
      std::string path = (rel == "/" ? "" : rel) + "/" + name;
      if (skip.contains(path)) continue;
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed by the running container since the readdir
        return fail_errno("stat " + host_path + "/" + name);
      }
      const bool is_dir = S_ISDIR(st.st_mode);
      Change change{path, ChangeKind::Added};
      bool record = true;
      const bool opaque = is_dir && image::is_opaque(dirfd, name);
      if (image::is_whiteout(st)) {
        change.kind = ChangeKind::Deleted;
      } else {
        for (const std::string& layer : lower) {
          auto found = stat_in_layer(layer, path);
          if (!found) return std::unexpected(found.error());
          if (!*found) continue;
          const struct stat& l = **found;
          if (is_dir && S_ISDIR(l.st_mode) && st.st_mode == l.st_mode) {
            bool child_mount = std::any_of(skip.begin(), skip.end(), [&](const std::string& s) {
              return s.size() > path.size() && s.starts_with(path) && s[path.size()] == '/' &&
                     s.find('/', path.size() + 1) == std::string::npos;
            });
            if (!opaque && (child_mount || (st.st_size == l.st_size && same_time(st.st_mtim, l.st_mtim)))) record = false;
          }
          change.kind = ChangeKind::Modified;
          break;
        }
      }
      if (record) {
        if (is_dir) changed_dirs.insert(path);
        if (change.kind != ChangeKind::Modified) {
          std::string parent = rel;
          if (parent != "/" && !changed_dirs.contains(parent)) {
            out.push_back(Change{parent, ChangeKind::Modified});
            changed_dirs.insert(parent);
          }
        }
        out.push_back(change);
      }
      // A directory deleted and made again (opaque) hides what the image had in it: Docker
      // lists those entries as deleted (not what is below them).
      if (opaque) {
        auto hidden = hidden_children(dirfd, name, path);
        if (!hidden) return std::unexpected(hidden.error());
        for (const std::string& h : *hidden) out.push_back(Change{path + "/" + h, ChangeKind::Deleted});
      }
      if (is_dir) {
        UniqueFd child(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child && errno == ENOENT) continue;
        if (!child) return fail_errno("open " + host_path + "/" + name);
        if (auto r = dir(child.get(), path, host_path + "/" + name); !r) return r;
      }
    }
    return {};
  }
};

}  // namespace

const std::set<std::string>& runtime_made_paths() {
  static const std::set<std::string> paths = {"/.dockerenv", "/dev",        "/etc/hostname", "/etc/hosts",
                                              "/etc/mtab",   "/etc/resolv.conf", "/proc",     "/sys"};
  return paths;
}

Result<std::vector<Change>> scan_changes(const std::string& upper, const std::vector<std::string>& lower,
                                         const std::set<std::string>& skip) {
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open upper dir " + upper);
  Walk walk{lower, skip, {}, {}};
  if (auto r = walk.dir(root.get(), "/", upper); !r) return std::unexpected(r.error().wrapped("changes of " + upper));
  return std::move(walk.out);
}

char change_letter(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::Modified: return 'C';
    case ChangeKind::Added: return 'A';
    case ChangeKind::Deleted: return 'D';
  }
  return '?';
}

}  // namespace stack::container
