#include "engine/image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <map>
#include <optional>
#include <memory>

#include "common/unique_fd.h"
#include "engine/image/content_store.h"
#include "engine/image/digest.h"

namespace stack::image {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::unexpected<Error> archive_fail(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return fail(what + ": " + (msg ? msg : "unknown libarchive error"), archive_errno(a) > 0 ? archive_errno(a) : 0);
}

// Lexical clean of an entry path into components; nullopt when ".." climbs above the root.
std::optional<std::vector<std::string>> clean_components(std::string_view path, std::vector<std::string> base = {}) {
  std::vector<std::string> out = std::move(base);
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view comp = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (comp == "..") {
      if (out.empty()) return std::nullopt;
      out.pop_back();
    } else if (!comp.empty() && comp != ".") {
      out.emplace_back(comp);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string join_path(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += '/';
    out += comps[i];
  }
  return out;
}

class Extractor {
 public:
  Extractor(std::string dest, UniqueFd root) : dest_(std::move(dest)), root_(std::move(root)) {}

  Result<UnpackStats> run(archive* a) {
    archive_entry* entry = nullptr;
    for (;;) {
      int r = archive_read_next_header(a, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r == ARCHIVE_WARN) spdlog::warn("layer {}: {}", dest_, archive_error_string(a));
      else if (r != ARCHIVE_OK) return archive_fail(a, "read layer tar header");
      const char* raw = archive_entry_pathname(entry);
      std::string name = raw ? raw : "";
      auto done = extract(a, entry, name);
      if (!done) return std::unexpected(done.error().wrapped("layer entry " + quoted_name(name)));
      ++stats_.entries;
    }
    // Directory times last: creating children changed them.
    for (const auto& [path, times] : dir_times_) {
      std::vector<std::string> comps = *clean_components(path);
      auto parent = open_parent(comps, false);
      if (!parent) continue;
      ::utimensat(parent->get(), comps.empty() ? "." : comps.back().c_str(), times.data(), AT_SYMLINK_NOFOLLOW);
    }
    return stats_;
  }

 private:
  static std::string quoted_name(const std::string& s) { return "\"" + s + "\""; }

  // Opens the directory holding the last component, creating missing directories (0755,
  // as Docker does for implied parents) and refusing to pass through anything but a
  // real directory.
  Result<UniqueFd> open_parent(const std::vector<std::string>& comps, bool create) {
    UniqueFd cur(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!cur) return fail_errno("dup layer root fd");
    for (size_t i = 0; i + 1 < comps.size(); ++i) {
      const std::string& c = comps[i];
      int fd = ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        if (::mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST)
          return fail_errno("mkdir " + join_path(comps, i + 1));
        fd = ::openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
          return fail("refusing to extract through " + join_path(comps, i + 1) + ": not a directory (symlink?)", errno);
        return fail_errno("open " + join_path(comps, i + 1));
      }
      cur.reset(fd);
    }
    return cur;
  }

  // Docker replaces whatever is at the path unless both old and new are directories.
  Result<void> clear_target(int parent, const std::string& name, bool new_is_dir, const std::string& path) {
    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return {};
      return fail_errno("stat " + path);
    }
    if (S_ISDIR(st.st_mode)) {
      if (new_is_dir) return {};
      return remove_tree(dest_ + "/" + path);
    }
    if (::unlinkat(parent, name.c_str(), 0) != 0) return fail_errno("remove " + path);
    return {};
  }

  Result<void> apply_metadata(int parent, const std::string& name, archive_entry* e, const std::string& path, int fd) {
    uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
    gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
    mode_t mode = archive_entry_perm(e) & 07777;
    bool is_link = archive_entry_filetype(e) == AE_IFLNK;
    int rc = fd >= 0 ? ::fchown(fd, uid, gid) : ::fchownat(parent, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
    if (rc != 0 && !(errno == EPERM && ::geteuid() != 0)) return fail_errno("chown " + path);
    if (!is_link) {
      // After chown: chown clears setuid/setgid, and images keep them (e.g. /bin/su).
      rc = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(parent, name.c_str(), mode, 0);
      if (rc != 0) return fail_errno("chmod " + path);
    }
    archive_entry_xattr_reset(e);
    const char* xname;
    const void* xval;
    size_t xsize;
    while (archive_entry_xattr_next(e, &xname, &xval, &xsize) == ARCHIVE_OK) {
      if (is_link) continue;
      rc = fd >= 0 ? ::fsetxattr(fd, xname, xval, xsize, 0) : -1;
      if (fd < 0) errno = ENOTSUP;
      if (rc != 0 && !(errno == ENOTSUP || (errno == EPERM && ::geteuid() != 0)))
        return fail_errno(std::string("set xattr ") + xname + " on " + path);
      if (rc != 0) stats_.warnings.push_back("xattr " + std::string(xname) + " on " + path + " not kept");
    }
    timespec times[2] = {{archive_entry_atime(e), archive_entry_atime_nsec(e)},
                         {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    if (!archive_entry_atime_is_set(e)) times[0] = times[1];
    if (archive_entry_filetype(e) == AE_IFDIR) {
      dir_times_[path] = {times[0], times[1]};
    } else {
      rc = fd >= 0 ? ::futimens(fd, times) : ::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
      if (rc != 0 && errno != EOPNOTSUPP) return fail_errno("set times on " + path);
    }
    return {};
  }

  Result<void> write_data(archive* a, int fd, const std::string& path) {
    const void* buf;
    size_t size;
    la_int64_t offset;
    for (;;) {
      int r = archive_read_data_block(a, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_fail(a, "read data of " + path);
      const char* p = static_cast<const char*>(buf);
      off_t off = offset;
      size_t left = size;
      while (left > 0) {
        ssize_t n = ::pwrite(fd, p, left, off);
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail_errno("write " + path);
        }
        p += n;
        off += n;
        left -= static_cast<size_t>(n);
      }
      stats_.size += size;
    }
    return {};
  }

  Result<void> extract(archive* a, archive_entry* e, const std::string& raw_name) {
    auto comps = clean_components(raw_name);
    if (!comps) return fail("path climbs out of the layer (breakout)");
    if (comps->empty()) return {};  // "./" itself: the layer root keeps the unpacker's mode
    const std::string path = join_path(*comps, comps->size());
    const std::string base = comps->back();
    auto parent = open_parent(*comps, true);
    if (!parent) return std::unexpected(parent.error());
    int pfd = parent->get();

    // OCI whiteouts.
    if (base == kOpaqueMarker) {
      UniqueFd dir(::openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return fail_errno("set trusted.overlay.opaque on " + (comps->size() > 1 ? join_path(*comps, comps->size() - 1) : "/"));
      return {};
    }
    if (base.starts_with(kWhiteoutMetaPrefix)) {
      stats_.warnings.push_back("skipped whiteout metadata " + path);
      return {};
    }
    if (base.starts_with(kWhiteoutPrefix)) {
      std::string target = base.substr(kWhiteoutPrefix.size());
      if (target.empty() || target == "." || target == "..") return fail("invalid whiteout");
      if (auto r = clear_target(pfd, target, false, join_path(*comps, comps->size() - 1) + "/" + target); !r) return r;
      if (::mknodat(pfd, target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) return fail_errno("mknod whiteout for " + target);
      return {};
    }

    // Hard links: the target must already be in this layer, and is linked, not followed.
    if (const char* hl = archive_entry_hardlink(e)) {
      auto tcomps = clean_components(hl);
      if (!tcomps || tcomps->empty()) return fail(std::string("invalid hardlink to \"") + hl + "\": it leaves the layer");
      auto tparent = open_parent(*tcomps, false);
      if (!tparent) return std::unexpected(tparent.error().wrapped(std::string("hardlink target ") + hl));
      struct stat st {};
      if (::fstatat(tparent->get(), tcomps->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno(std::string("hardlink target ") + hl);
      if (S_ISDIR(st.st_mode)) return fail(std::string("hardlink to directory ") + hl);
      if (auto r = clear_target(pfd, base, false, path); !r) return r;
      if (::linkat(tparent->get(), tcomps->back().c_str(), pfd, base.c_str(), 0) != 0)
        return fail_errno(std::string("link ") + path + " to " + hl);
      return {};
    }

    switch (archive_entry_filetype(e)) {
      case AE_IFDIR: {
        if (auto r = clear_target(pfd, base, true, path); !r) return r;
        if (::mkdirat(pfd, base.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("mkdir " + path);
        UniqueFd fd(::openat(pfd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return fail_errno("open " + path);
        return apply_metadata(pfd, base, e, path, fd.get());
      }
      case AE_IFREG: {
        if (auto r = clear_target(pfd, base, false, path); !r) return r;
        UniqueFd fd(::openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) return fail_errno("create " + path);
        if (auto r = write_data(a, fd.get(), path); !r) return r;
        // Sparse files may end in a hole: the header's size is the file's size.
        if (archive_entry_size_is_set(e) && ::ftruncate(fd.get(), archive_entry_size(e)) != 0)
          return fail_errno("truncate " + path);
        return apply_metadata(pfd, base, e, path, fd.get());
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (!target || !*target) return fail("symlink without target");
        // Docker's rule: a relative target is resolved from the link's directory and must
        // stay inside; an absolute one is read inside the container's root later.
        if (target[0] != '/') {
          std::vector<std::string> dir(comps->begin(), comps->end() - 1);
          if (!clean_components(target, dir))
            return fail(std::string("invalid symlink to \"") + target + "\": it leaves the layer");
        }
        if (auto r = clear_target(pfd, base, false, path); !r) return r;
        if (::symlinkat(target, pfd, base.c_str()) != 0) return fail_errno("symlink " + path);
        return apply_metadata(pfd, base, e, path, -1);
      }
      case AE_IFIFO: {
        if (auto r = clear_target(pfd, base, false, path); !r) return r;
        if (::mkfifoat(pfd, base.c_str(), 0600) != 0) return fail_errno("mkfifo " + path);
        return apply_metadata(pfd, base, e, path, -1);
      }
      case AE_IFCHR:
      case AE_IFBLK: {
        // Device nodes in an image would hand a container raw access to host devices;
        // the runtime provides /dev itself.
        std::string line = "skipped device node " + path;
        stats_.warnings.push_back(line);
        spdlog::warn("layer: {}", line);
        return {};
      }
      case AE_IFSOCK:
        stats_.warnings.push_back("skipped socket " + path);
        return {};
      default:
        return fail("unsupported entry type");
    }
  }

  std::string dest_;
  UniqueFd root_;
  UnpackStats stats_;
  std::map<std::string, std::array<timespec, 2>> dir_times_;
};

Result<ArchivePtr> open_archive(const std::string& path, bool raw) {
  ArchivePtr a(archive_read_new());
  if (!a) return fail("archive_read_new failed");
  archive_read_support_filter_all(a.get());
  if (raw) {
    archive_read_support_format_raw(a.get());
  } else {
    archive_read_support_format_tar(a.get());
    archive_read_support_format_empty(a.get());
  }
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return archive_fail(a.get(), "open " + path);
  return a;
}

}  // namespace

Result<UnpackStats> unpack_layer(const std::string& tar_path, const std::string& dest) {
  UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) return fail_errno("open layer directory " + dest);
  auto a = open_archive(tar_path, false);
  if (!a) return std::unexpected(a.error());
  Extractor x(dest, std::move(root));
  auto r = x.run(a->get());
  if (!r) return std::unexpected(r.error().wrapped("unpack " + tar_path));
  return r;
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  for (const auto& d : diff_ids) out.push_back(out.empty() ? d : sha256_digest(out.back() + " " + d));
  return out;
}

Result<void> decompress_file(const std::string& path, const std::function<Result<void>(const void*, size_t)>& sink) {
  auto a = open_archive(path, true);
  if (!a) return std::unexpected(a.error());
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a->get(), &e);
  if (r == ARCHIVE_EOF) return {};
  if (r != ARCHIVE_OK) return archive_fail(a->get(), "read " + path);
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a->get(), buf, sizeof buf);
    if (n < 0) return archive_fail(a->get(), "decompress " + path);
    if (n == 0) break;
    if (auto s = sink(buf, static_cast<size_t>(n)); !s) return s;
  }
  return {};
}

}  // namespace stack::image
