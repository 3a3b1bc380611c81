#include "engine/image/layer_diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "engine/image/overlay_upper.h"

namespace stack::image {

namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

class TarWriter {
 public:
  TarWriter(archive* a, std::set<std::string> skip) : a_(a), skip_(std::move(skip)) {}

  Result<void> dir(int dirfd, const std::string& rel, const std::string& host_path) {
    auto names = sorted_names(dirfd, host_path);
    if (!names) return std::unexpected(names.error());
    for (const std::string& name : *names) {
      std::string path = rel + name;  // "etc/passwd"
      if (skip_.contains("/" + path)) continue;
      struct stat st {};
      const std::string host = host_path + "/" + name;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed since the readdir (a commit without pause)
        return fail_errno("stat " + host);
      }
      if (S_ISSOCK(st.st_mode)) continue;
      if (is_whiteout(st)) {
        if (auto r = marker(rel + ".wh." + name, st); !r) return r;
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        // Held back until something inside is written: a directory the runtime changed only
        // by making its mount points (/etc for /etc/hosts) is no change of the container's.
        if (auto r = header(path + "/", st, dirfd, name, host, ""); !r) return r;
        if (is_opaque(dirfd, name))
          if (auto r = marker(path + "/.wh..wh..opq", st); !r) return r;
        UniqueFd child(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child && errno == ENOENT) {
          pending_.pop_back();
          continue;
        }
        if (!child) return fail_errno("open " + host);
        if (auto r = dir(child.get(), path + "/", host); !r) return r;
        if (!pending_.empty() && pending_.back().path == path + "/") {
          if (holds_skipped("/" + path)) {
            pending_.pop_back();
          } else if (auto r = flush_pending(); !r) {
            return r;
          }
        }
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
        if (n < 0) return fail_errno("readlink " + host);
        target.resize(static_cast<size_t>(n));
        if (auto r = header(path, st, dirfd, name, host, target); !r) return r;
        continue;
      }
      if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = links_.find(key); it != links_.end()) {
          if (auto r = hardlink(path, st, it->second); !r) return r;
          continue;
        }
        links_.emplace(key, path);
      }
      if (auto r = header(path, st, dirfd, name, host, ""); !r) return r;
      if (S_ISREG(st.st_mode))
        if (auto r = data(dirfd, name, host); !r) return r;
    }
    return {};
  }

  LayerDiffStats stats() const { return stats_; }

 private:
  struct PendingDir {
    EntryPtr entry;
    std::string path;
  };

  bool holds_skipped(const std::string& dir) const {
    return std::any_of(skip_.begin(), skip_.end(), [&](const std::string& s) {
      return s.size() > dir.size() && s.starts_with(dir) && s[dir.size()] == '/' &&
             s.find('/', dir.size() + 1) == std::string::npos;
    });
  }

  Result<void> put(archive_entry* e, const std::string& what) {
    if (archive_write_header(a_, e) != ARCHIVE_OK)
      return fail("write tar header for " + what + ": " + archive_error_string(a_), archive_errno(a_));
    ++stats_.entries;
    return {};
  }

  // The directories above an entry go first.
  Result<void> flush_pending() {
    for (auto& d : pending_)
      if (auto r = put(d.entry.get(), d.path); !r) return r;
    pending_.clear();
    return {};
  }

  Result<void> write_header(archive_entry* e, const std::string& what) {
    if (auto r = flush_pending(); !r) return r;
    return put(e, what);
  }

  // An empty regular file, mode 0: a whiteout or the opaque marker.
  Result<void> marker(const std::string& path, const struct stat& like) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_uid(e.get(), like.st_uid);
    archive_entry_set_gid(e.get(), like.st_gid);
    archive_entry_set_mtime(e.get(), like.st_mtim.tv_sec, like.st_mtim.tv_nsec);
    return write_header(e.get(), path);
  }

  Result<void> header(const std::string& path, const struct stat& st, int dirfd, const std::string& name,
                      const std::string& host, const std::string& symlink) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_nlink(e.get(), 1);
    archive_entry_unset_atime(e.get());
    archive_entry_unset_ctime(e.get());
    archive_entry_unset_birthtime(e.get());
    if (!S_ISREG(st.st_mode)) archive_entry_set_size(e.get(), 0);
    if (S_ISLNK(st.st_mode)) archive_entry_set_symlink(e.get(), symlink.c_str());
    if (auto r = copy_xattrs(e.get(), dirfd, name, host); !r) return r;
    if (S_ISDIR(st.st_mode)) {
      pending_.push_back(PendingDir{std::move(e), path});
      return {};
    }
    return write_header(e.get(), path);
  }

  Result<void> hardlink(const std::string& path, const struct stat& st, const std::string& target) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_copy_stat(e.get(), &st);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_hardlink(e.get(), target.c_str());
    archive_entry_set_size(e.get(), 0);
    archive_entry_unset_atime(e.get());
    archive_entry_unset_ctime(e.get());
    return write_header(e.get(), path);
  }

  // Extended attributes a layer carries (file capabilities, user.*); overlayfs's own
  // trusted.overlay.* bookkeeping stays behind.
  Result<void> copy_xattrs(archive_entry* e, int dirfd, const std::string& name, const std::string& host) {
    // Through the directory's fd: never a path a running container could re-point.
    const std::string at = "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
    char names[4096];
    ssize_t n = ::llistxattr(at.c_str(), names, sizeof names);
    if (n < 0) {
      if (errno == ENOTSUP || errno == ERANGE) return {};
      return fail_errno("list xattrs of " + host);
    }
    for (ssize_t i = 0; i < n;) {
      std::string key(names + i);
      i += static_cast<ssize_t>(key.size()) + 1;
      if (!key.starts_with("user.") && key != "security.capability") continue;
      char value[4096];
      ssize_t len = ::lgetxattr(at.c_str(), key.c_str(), value, sizeof value);
      if (len < 0) continue;  // gone or too large for a layer header: leave it out
      archive_entry_xattr_add_entry(e, key.c_str(), value, static_cast<size_t>(len));
    }
    return {};
  }

  Result<void> data(int dirfd, const std::string& name, const std::string& host) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fail_errno("open " + host);
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno("read " + host);
      }
      if (n == 0) break;
      if (archive_write_data(a_, buf, static_cast<size_t>(n)) != n)
        return fail("write tar data for " + host + ": " + archive_error_string(a_), archive_errno(a_));
      stats_.size += static_cast<uint64_t>(n);
    }
    return {};
  }

  archive* a_;
  std::set<std::string> skip_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  LayerDiffStats stats_;
  std::vector<PendingDir> pending_;
};

}  // namespace

Result<LayerDiffStats> write_layer_diff(const std::string& upper, const std::string& out_path,
                                        const std::set<std::string>& skip) {
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open upper dir " + upper);
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  // A plain tar ending in its two zero blocks, without padding to libarchive's 10 KiB
  // records: an empty diff is then the same 1024 bytes Docker's empty layer is.
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open_filename(a.get(), out_path.c_str()) != ARCHIVE_OK)
    return fail("open " + out_path + ": " + archive_error_string(a.get()), archive_errno(a.get()));
  TarWriter writer(a.get(), skip);
  if (auto r = writer.dir(root.get(), "", upper); !r) return std::unexpected(r.error().wrapped("layer of " + upper));
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return fail("close " + out_path + ": " + archive_error_string(a.get()), archive_errno(a.get()));
  return writer.stats();
}

}  // namespace stack::image
