#include "engine/daemon/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace stack::daemon {

namespace {

using container::ArchivePath;
using container::PathStat;

struct ArchiveFree {
  void operator()(archive* a) const {
    if (a) archive_free(a);  // closes too
  }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

std::string fd_path(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char buf[4096];
  ssize_t n = ::readlink(link, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The path of `fd` inside the root `root_fd` ("/etc/passwd").
std::string path_in_root(int root_fd, int fd) {
  std::string root = fd_path(root_fd), p = fd_path(fd);
  if (root == "/") return p;
  if (p == root) return "/";
  if (p.starts_with(root + "/")) return p.substr(root.size());
  return p;
}

// To a socket (the daemon's stream), without SIGPIPE when the reader is gone. A socket
// with a send timeout wakes up now and then to ask `cancelled` (daemon shutdown).
bool write_all(int fd, const char* data, size_t size, const std::function<bool()>& cancelled = {}) {
  bool socket = true;
  while (size > 0) {
    ssize_t n = socket ? ::send(fd, data, size, MSG_NOSIGNAL) : ::write(fd, data, size);
    if (n < 0 && socket && errno == ENOTSOCK) {
      socket = false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && cancelled) {
      if (cancelled()) {
        errno = ECANCELED;
        return false;
      }
      continue;
    }
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

struct Sink {
  int fd;
  std::function<bool()> cancelled;
};

la_ssize_t write_callback(archive* a, void* client, const void* buf, size_t size) {
  const Sink& sink = *static_cast<Sink*>(client);
  if (!write_all(sink.fd, static_cast<const char*>(buf), size, sink.cancelled)) {
    archive_set_error(a, errno, "write tar");
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

Error archive_error(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Error{what + ": " + (msg ? msg : "libarchive error"), archive_errno(a) > 0 ? archive_errno(a) : EIO};
}

// Writes entries of a walk into one tar stream.
class TarWriter {
 public:
  TarWriter(int out_fd, std::function<bool()> cancelled) : sink_{out_fd, std::move(cancelled)}, a_(archive_write_new()) {}

  Result<void> open() {
    if (!a_) return fail("archive_write_new", ENOMEM);
    // ustar, with PAX headers only when a name or value needs them (as Go's archive/tar).
    archive_write_set_format_pax_restricted(a_.get());
    archive_write_set_bytes_in_last_block(a_.get(), 1);
    if (archive_write_open(a_.get(), &sink_, nullptr, write_callback, nullptr) != ARCHIVE_OK) {
      return std::unexpected(archive_error(a_.get(), "open tar stream"));
    }
    return {};
  }

  // One filesystem object `name` in `dir_fd` (never followed), as `entry`; directories
  // recurse, naming children through `child_name`.
  Result<void> add(int dir_fd, const std::string& name, const std::string& top, const std::string& rel) {
    struct stat st{};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT && !rel.empty()) return {};  // removed while we walk
      return fail_errno("stat " + rel);
    }
    std::string entry = top.empty() ? rel + (S_ISDIR(st.st_mode) ? "/" : "")
                                    : container::entry_name(top, rel, S_ISDIR(st.st_mode));
    if (S_ISSOCK(st.st_mode)) return {};  // Go's tar writer skips sockets
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), entry.c_str());
    archive_entry_set_mode(e.get(), st.st_mode);
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);  // Docker truncates to seconds
    UniqueFd file;
    if (S_ISLNK(st.st_mode)) {
      std::string target(4096, '\0');
      ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) return fail_errno("readlink " + rel);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    } else if (S_ISREG(st.st_mode)) {
      auto key = std::pair{st.st_dev, st.st_ino};
      if (st.st_nlink > 1) {
        if (auto it = links_.find(key); it != links_.end()) {
          archive_entry_set_hardlink(e.get(), it->second.c_str());
          archive_entry_set_size(e.get(), 0);
          return write_header(e.get(), entry);
        }
        links_[key] = entry;
      }
      file.reset(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
      if (!file) return fail_errno("open " + rel);
      archive_entry_set_size(e.get(), st.st_size);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    }
    if (auto h = write_header(e.get(), entry); !h) return h;
    if (file) {
      if (auto d = copy_data(file.get(), st.st_size, rel); !d) return d;
    }
    if (S_ISDIR(st.st_mode)) return add_children(dir_fd, name, top, rel);
    return {};
  }

  Result<void> add_children(int dir_fd, const std::string& name, const std::string& top, const std::string& rel) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno("open directory " + (rel.empty() ? std::string("/") : rel));
    DIR* d = ::fdopendir(fd);
    if (!d) {
      int saved = errno;
      ::close(fd);
      return fail("fdopendir " + rel, saved);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> dir(d, ::closedir);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    std::sort(names.begin(), names.end());  // filepath.Walk's lexical order
    for (const auto& n : names) {
      if (auto r = add(::dirfd(d), n, top, rel.empty() ? n : rel + "/" + n); !r) return r;
    }
    return {};
  }

  Result<void> close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return std::unexpected(archive_error(a_.get(), "finish tar stream"));
    return {};
  }

 private:
  Result<void> write_header(archive_entry* e, const std::string& entry) {
    if (archive_write_header(a_.get(), e) != ARCHIVE_OK) return std::unexpected(archive_error(a_.get(), "tar header " + entry));
    return {};
  }

  Result<void> copy_data(int fd, off_t size, const std::string& rel) {
    std::vector<char> buf(1 << 16);
    off_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf.data(), static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(buf.size()))));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("read " + rel);
      if (n == 0) break;  // shrank meanwhile: pad with zeros below
      if (archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0) {
        return std::unexpected(archive_error(a_.get(), "write " + rel));
      }
      left -= n;
    }
    std::fill(buf.begin(), buf.end(), '\0');
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(buf.size())));
      if (archive_write_data(a_.get(), buf.data(), n) < 0) return std::unexpected(archive_error(a_.get(), "write " + rel));
      left -= static_cast<off_t>(n);
    }
    return {};
  }

  Sink sink_;
  ArchivePtr a_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

// The directory holding `p`'s last element and that element's name there ("." for the
// root itself), following a final symlink when the path says so.
struct Located {
  UniqueFd parent;
  std::string name;
};
Result<Located> locate(int root_fd, const ArchivePath& p) {
  std::string parent = p.parent, last = p.last;
  if (!p.last.empty() && p.follow_last) {
    auto target = open_in_root(root_fd, p.abs, O_PATH, true);
    if (!target) return std::unexpected(target.error());
    std::string resolved = path_in_root(root_fd, target->get());
    auto again = container::parse_archive_path(resolved);
    if (!again) return std::unexpected(again.error());
    parent = again->parent;
    last = again->last;
  }
  auto dir = open_in_root(root_fd, parent, O_PATH | O_DIRECTORY, true);
  if (!dir) return std::unexpected(dir.error());
  return Located{std::move(*dir), last.empty() ? "." : last};
}

// ---- extraction ----

class Extractor {
 public:
  Extractor(int dir_fd, const ExtractOptions& o) : dir_fd_(dir_fd), o_(o) {}

  Result<void> run(archive* a) {
    archive_entry* e = nullptr;
    for (;;) {
      int r = archive_read_next_header(a, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return std::unexpected(archive_error(a, "read tar"));
      if (auto x = entry(a, e); !x) return x;
    }
    // Directory times last: creating entries inside them changed their mtime.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      auto parent = parent_of(it->first, false);
      if (!parent) continue;
      struct timespec ts[2] = {it->second, it->second};
      ::utimensat(parent->first.get(), parent->second.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
    return {};
  }

 private:
  // The directory holding `name` (created with 0755 when missing) and the last element.
  Result<std::pair<UniqueFd, std::string>> parent_of(const std::string& name, bool create) {
    size_t slash = name.rfind('/');
    std::string dir = slash == std::string::npos ? "." : name.substr(0, slash);
    std::string last = slash == std::string::npos ? name : name.substr(slash + 1);
    auto fd = open_in_root(dir_fd_, dir, O_PATH | O_DIRECTORY, true);
    if (!fd && fd.error().errno_value == ENOENT && create) {
      UniqueFd cur(::openat(dir_fd_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
      size_t start = 0;
      while (start <= dir.size()) {
        size_t end = dir.find('/', start);
        std::string part = dir.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? dir.size() + 1 : end + 1;
        if (part.empty() || part == ".") continue;
        auto next = open_in_root(dir_fd_, path_in_root(dir_fd_, cur.get()) + "/" + part, O_PATH | O_DIRECTORY, true);
        if (!next && next.error().errno_value == ENOENT) {
          if (::mkdirat(cur.get(), part.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + part);
          next = open_in_root(dir_fd_, path_in_root(dir_fd_, cur.get()) + "/" + part, O_PATH | O_DIRECTORY, true);
        }
        if (!next) return std::unexpected(next.error());
        cur = std::move(*next);
      }
      fd = std::move(cur);
    }
    if (!fd) return std::unexpected(fd.error());
    return std::pair{std::move(*fd), last};
  }

  Result<void> remove_tree(int parent, const std::string& name) {
    if (::unlinkat(parent, name.c_str(), 0) == 0) return {};
    if (errno != EISDIR && errno != EPERM) return fail_errno("remove " + name);
    int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + name);
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      return fail_errno("fdopendir " + name);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> dir(d, ::closedir);
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    for (const auto& n : names) {
      if (auto r = remove_tree(::dirfd(d), n); !r) return r;
    }
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) return fail_errno("remove " + name);
    return {};
  }

  Result<void> entry(archive* a, archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    auto named = container::extract_name(raw ? raw : "", o_.rebase);
    if (!named) return std::unexpected(named.error());
    if (!*named) return {};  // the extraction directory itself
    const std::string name = **named;
    mode_t type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    bool is_dir = type == AE_IFDIR && !hardlink;

    auto parent = parent_of(name, true);
    if (!parent) return std::unexpected(parent.error().wrapped("extract " + name));
    int pfd = parent->first.get();
    const char* last = parent->second.c_str();

    struct stat existing{};
    if (::fstatat(pfd, last, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
      bool was_dir = S_ISDIR(existing.st_mode);
      if (o_.no_overwrite_dir_non_dir && was_dir && !is_dir) {
        return fail("cannot overwrite directory \"/" + name + "\" with non-directory \"" + o_.display_dir + "\"", EINVAL);
      }
      if (o_.no_overwrite_dir_non_dir && !was_dir && is_dir) {
        return fail("cannot overwrite non-directory \"/" + name + "\" with directory \"" + o_.display_dir + "\"", EINVAL);
      }
      if (!(was_dir && is_dir)) {
        if (auto r = remove_tree(pfd, last); !r) return r;
      }
    }

    mode_t perm = archive_entry_perm(e) & 07777;
    UniqueFd file;
    if (hardlink) {
      if (!container::hardlink_stays_inside(hardlink)) return fail("invalid hardlink \"" + std::string(hardlink) + "\" -> \"" + name + "\"", EINVAL);
      auto target_name = container::extract_name(hardlink, o_.rebase);
      if (!target_name || !*target_name) return fail("invalid hardlink \"" + std::string(hardlink) + "\"", EINVAL);
      auto target = parent_of(**target_name, false);
      if (!target) return std::unexpected(target.error().wrapped("link " + name));
      if (::linkat(target->first.get(), target->second.c_str(), pfd, last, 0) != 0) return fail_errno("link " + name);
      return {};
    }
    switch (type) {
      case AE_IFDIR:
        if (::mkdirat(pfd, last, 0700) != 0 && errno != EEXIST) return fail_errno("mkdir " + name);
        file.reset(::openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!file) return fail_errno("open " + name);
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        std::string t = target ? target : "";
        if (!container::symlink_stays_inside(name, t)) return fail("invalid symlink \"" + t + "\" -> \"" + name + "\"", EINVAL);
        if (::symlinkat(t.c_str(), pfd, last) != 0) return fail_errno("symlink " + name);
        break;
      }
      case AE_IFIFO:
      case AE_IFCHR:
      case AE_IFBLK: {
        dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(pfd, last, type | perm, dev) != 0) return fail_errno("mknod " + name);
        break;
      }
      case AE_IFREG:
      case 0: {
        file.reset(::openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!file) return fail_errno("create " + name);
        const void* block;
        size_t size;
        la_int64_t offset;
        for (;;) {
          int r = archive_read_data_block(a, &block, &size, &offset);
          if (r == ARCHIVE_EOF) break;
          if (r < ARCHIVE_WARN) return std::unexpected(archive_error(a, "read " + name));
          if (::lseek(file.get(), offset, SEEK_SET) < 0) return fail_errno("seek " + name);
          if (!write_all(file.get(), static_cast<const char*>(block), size)) return fail_errno("write " + name);
        }
        // A sparse tail: the size is the header's.
        if (::ftruncate(file.get(), archive_entry_size(e)) != 0) return fail_errno("truncate " + name);
        break;
      }
      default:
        return {};  // sockets and unknown types: skipped, as moby's createTarFile
    }

    if (o_.keep_owner) {
      uid_t uid = o_.chown ? o_.chown->first : static_cast<uid_t>(archive_entry_uid(e));
      gid_t gid = o_.chown ? o_.chown->second : static_cast<gid_t>(archive_entry_gid(e));
      int r = file ? ::fchown(file.get(), uid, gid) : ::fchownat(pfd, last, uid, gid, AT_SYMLINK_NOFOLLOW);
      if (r != 0) return fail_errno("chown " + name);
    }
    if (type != AE_IFLNK) {
      int r = file ? ::fchmod(file.get(), perm) : ::fchmodat(pfd, last, perm, 0);
      if (r != 0) return fail_errno("chmod " + name);
    }
    struct timespec mtime{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    if (type == AE_IFDIR) {
      dir_times_.emplace_back(name, mtime);
    } else {
      struct timespec ts[2] = {mtime, mtime};
      if (archive_entry_atime_is_set(e)) ts[0] = {archive_entry_atime(e), archive_entry_atime_nsec(e)};
      ::utimensat(pfd, last, ts, AT_SYMLINK_NOFOLLOW);
    }
    return {};
  }

  int dir_fd_;
  const ExtractOptions& o_;
  std::vector<std::pair<std::string, struct timespec>> dir_times_;
};

Result<void> extract_from(int dir_fd, archive* a, const ExtractOptions& o) {
  Extractor x(dir_fd, o);
  return x.run(a);
}

ArchivePtr reader() {
  ArchivePtr a(archive_read_new());
  if (a) {
    archive_read_support_filter_all(a.get());  // Docker's Untar detects compression too
    archive_read_support_format_tar(a.get());
  }
  return a;
}

}  // namespace

Result<UniqueFd> open_root(const std::string& root) {
  int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno("open " + root);
  return UniqueFd(fd);
}

Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, bool follow_last) {
  struct open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW));
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string p(path);
  if (p.empty()) p = ".";
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0) return fail_errno("open " + p + " in the container root");
  return UniqueFd(static_cast<int>(fd));
}

Result<PathStat> stat_in_root(int root_fd, const ArchivePath& p) {
  auto loc = locate(root_fd, p);
  if (!loc) return std::unexpected(loc.error());
  struct stat st{};
  if (::fstatat(loc->parent.get(), loc->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("stat " + p.abs);
  PathStat s;
  s.name = p.name;
  s.size = st.st_size;
  s.st_mode = st.st_mode;
  s.mtime_sec = st.st_mtim.tv_sec;
  s.mtime_nsec = st.st_mtim.tv_nsec;
  if (S_ISLNK(st.st_mode)) {
    // The link fully evaluated in the container's scope (GetResourcePath).
    if (auto t = open_in_root(root_fd, p.abs, O_PATH, true)) {
      s.link_target = path_in_root(root_fd, t->get());
    } else {
      // Dangling: where it points, lexically.
      std::string target(4096, '\0');
      ssize_t n = ::readlinkat(loc->parent.get(), loc->name.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<size_t>(n) : 0);
      std::string dir = path_in_root(root_fd, loc->parent.get());
      s.link_target = container::clean_path(target.starts_with('/') ? target : dir + "/" + target);
    }
  }
  return s;
}

Result<void> write_path_tar(int root_fd, const ArchivePath& p, int out_fd, std::optional<std::string> top_name,
                            std::function<bool()> cancelled) {
  auto loc = locate(root_fd, p);
  if (!loc) return std::unexpected(loc.error());
  TarWriter w(out_fd, std::move(cancelled));
  if (auto o = w.open(); !o) return o;
  std::string top = top_name.value_or(p.name);
  if (auto r = w.add(loc->parent.get(), loc->name, top, ""); !r) return r;
  return w.close();
}

Result<void> write_tree_tar(int root_fd, int out_fd, std::function<bool()> cancelled) {
  TarWriter w(out_fd, std::move(cancelled));
  if (auto o = w.open(); !o) return o;
  if (auto r = w.add_children(root_fd, ".", "", ""); !r) return r;
  return w.close();
}

Result<std::string> read_file_in_root(int root_fd, std::string_view path, size_t max_size) {
  auto fd = open_in_root(root_fd, path, O_RDONLY, true);
  if (!fd) return std::unexpected(fd.error());
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read " + std::string(path));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_size) return fail(std::string(path) + " is too large", EFBIG);
  }
}

Result<UniqueFd> open_extract_dir(int root_fd, std::string_view path) {
  auto fd = open_in_root(root_fd, path, O_PATH, true);
  if (!fd) return std::unexpected(fd.error());
  struct stat st{};
  if (::fstat(fd->get(), &st) != 0) return fail_errno("stat " + std::string(path));
  if (!S_ISDIR(st.st_mode)) return fail("extraction point is not a directory", ENOTDIR);
  return fd;
}

Result<void> extract_tar(int dir_fd, int in_fd, const ExtractOptions& o) {
  ArchivePtr a = reader();
  if (!a) return fail("archive_read_new", ENOMEM);
  if (archive_read_open_fd(a.get(), in_fd, 1 << 16) != ARCHIVE_OK) return std::unexpected(archive_error(a.get(), "open tar"));
  return extract_from(dir_fd, a.get(), o);
}

Result<void> extract_tar(int dir_fd, std::string_view tar, const ExtractOptions& o) {
  ArchivePtr a = reader();
  if (!a) return fail("archive_read_new", ENOMEM);
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    return std::unexpected(archive_error(a.get(), "open tar"));
  }
  return extract_from(dir_fd, a.get(), o);
}

}  // namespace stack::daemon
