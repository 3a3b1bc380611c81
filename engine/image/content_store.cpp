#include "engine/image/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/files.h"

namespace stack::image {
namespace {

Result<void> mkdir_p(const std::string& path, mode_t mode = 0700) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail("create directory " + path, ec.value());
  ::chmod(path.c_str(), mode);
  return {};
}

Result<void> fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + dir);
  if (::fsync(fd.get()) != 0) return fail_errno("fsync " + dir);
  return {};
}

// Removes everything inside the directory `fd` refers to, never following symlinks.
Result<void> remove_contents(int dirfd, const std::string& path) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail_errno("dup " + path);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return fail_errno("opendir " + path);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return fail_errno("stat " + path + "/" + std::string(name));
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) return fail_errno("open " + path + "/" + std::string(name));
      if (auto r = remove_contents(child.get(), path + "/" + std::string(name)); !r) return r;
      if (::unlinkat(dirfd, e->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        return fail_errno("rmdir " + path + "/" + std::string(name));
    } else if (::unlinkat(dirfd, e->d_name, 0) != 0 && errno != ENOENT) {
      return fail_errno("unlink " + path + "/" + std::string(name));
    }
  }
  ::rewinddir(d);
  return {};
}

}  // namespace

Result<void> remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail_errno("stat " + path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("unlink " + path);
    return {};
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  if (auto r = remove_contents(fd.get(), path); !r) return r;
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return fail_errno("rmdir " + path);
  return {};
}

BlobWriter::~BlobWriter() {
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Result<void> BlobWriter::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  hash_.update(p, size);
  size_ += size;
  while (size > 0) {
    ssize_t n = ::write(fd_.get(), p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write " + tmp_path_);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> BlobWriter::commit(std::optional<std::string_view> expected) {
  std::string digest = hash_.digest();
  if (expected && *expected != digest)
    return fail("digest mismatch: content is " + digest + ", expected " + std::string(*expected));
  if (::fsync(fd_.get()) != 0) return fail_errno("fsync " + tmp_path_);
  fd_.reset();
  std::string dest = store_->blob_path(digest);
  if (::rename(tmp_path_.c_str(), dest.c_str()) != 0) return fail_errno("rename " + tmp_path_ + " to " + dest);
  tmp_path_.clear();
  if (auto r = fsync_dir(store_->dir() + "/blobs/sha256"); !r) return std::unexpected(r.error());
  return digest;
}

Result<void> ContentStore::init() const {
  for (const std::string& d : {dir_ + "/blobs/sha256", tmp_dir(), layers_dir()})
    if (auto r = mkdir_p(d); !r) return r;
  if (!path_exists(dir_ + "/oci-layout"))
    if (auto r = write_file_atomic(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !r) return r;
  if (!path_exists(index_path()))
    if (auto r = write_file_atomic(index_path(), R"({"schemaVersion":2,"manifests":[]})"); !r) return r;
  return {};
}

std::string ContentStore::blob_path(std::string_view digest) const {
  auto hex = digest_hex(digest);
  if (!hex) return "";
  return dir_ + "/blobs/sha256/" + *hex;
}

bool ContentStore::has(std::string_view digest) const {
  std::string p = blob_path(digest);
  return !p.empty() && path_exists(p);
}

Result<std::string> ContentStore::read(std::string_view digest) const {
  std::string p = blob_path(digest);
  if (p.empty()) return fail("invalid digest " + std::string(digest));
  auto data = read_file(p);
  if (!data) return std::unexpected(data.error().wrapped("read blob " + std::string(digest)));
  if (sha256_digest(*data) != digest) return fail("blob " + std::string(digest) + " is corrupt: its content does not match its digest");
  return data;
}

Result<uint64_t> ContentStore::blob_size(std::string_view digest) const {
  struct stat st {};
  std::string p = blob_path(digest);
  if (p.empty() || ::stat(p.c_str(), &st) != 0) return fail_errno("stat blob " + std::string(digest));
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> ContentStore::put(std::string_view data, std::optional<std::string_view> expected) const {
  std::string digest = sha256_digest(data);
  if (expected && *expected != digest)
    return fail("digest mismatch: content is " + digest + ", expected " + std::string(*expected));
  if (has(digest)) return digest;
  auto w = writer();
  if (!w) return std::unexpected(w.error());
  if (auto r = w->write(data); !r) return std::unexpected(r.error());
  return w->commit(digest);
}

Result<BlobWriter> ContentStore::writer() const {
  std::string tmpl = tmp_dir() + "/blob-XXXXXX";
  UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) return fail_errno("create temp blob in " + tmp_dir());
  ::fchmod(fd.get(), 0644);
  return BlobWriter(this, std::move(fd), tmpl);
}

Result<void> ContentStore::remove(std::string_view digest) const {
  std::string p = blob_path(digest);
  if (p.empty()) return fail("invalid digest " + std::string(digest));
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return fail_errno("remove blob " + p);
  return {};
}

Result<std::string> ContentStore::make_temp_dir(std::string_view prefix) const {
  std::string tmpl = tmp_dir() + "/" + std::string(prefix) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return fail_errno("create temp directory in " + tmp_dir());
  return tmpl;
}

Result<StoreLock> StoreLock::acquire(const ContentStore& store, Mode mode) {
  UniqueFd fd(::open(store.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("open " + store.lock_path());
  int op = mode == Mode::exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) return fail_errno("lock " + store.lock_path());
  }
  return StoreLock(std::move(fd));
}

}  // namespace stack::image
