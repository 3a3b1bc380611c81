// Helpers for the image integration tests: tarballs built in the test with libarchive
// (hostile ones included, so no binary fixtures are committed), a busybox rootfs made
// as /work/shared/conformance/images/busybox/make-rootfs.sh makes it, temp dirs.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace stack::image::testing {

enum class Compression { none, gzip, zstd };

class TarBuilder {
 public:
  explicit TarBuilder(const std::string& path, Compression c = Compression::none) : a_(archive_write_new()) {
    archive_write_set_format_pax_restricted(a_);
    if (c == Compression::gzip) archive_write_add_filter_gzip(a_);
    if (c == Compression::zstd) archive_write_add_filter_zstd(a_);
    ok_ = archive_write_open_filename(a_, path.c_str()) == ARCHIVE_OK;
  }
  ~TarBuilder() { close(); }
  bool ok() const { return ok_; }

  TarBuilder& file(const std::string& name, const std::string& content, mode_t mode = 0644, int uid = 0, int gid = 0) {
    return add(name, AE_IFREG, mode, &content, nullptr, nullptr, uid, gid);
  }
  TarBuilder& dir(const std::string& name, mode_t mode = 0755) { return add(name, AE_IFDIR, mode); }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    return add(name, AE_IFLNK, 0777, nullptr, target.c_str());
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) {
    return add(name, AE_IFREG, 0644, nullptr, nullptr, target.c_str());
  }
  TarBuilder& chardev(const std::string& name, int major, int minor) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFCHR);
    archive_entry_set_perm(e, 0666);
    archive_entry_set_rdevmajor(e, major);
    archive_entry_set_rdevminor(e, minor);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& fifo(const std::string& name) { return add(name, AE_IFIFO, 0644); }
  void close() {
    if (a_) {
      archive_write_close(a_);
      archive_write_free(a_);
      a_ = nullptr;
    }
  }

 private:
  TarBuilder& add(const std::string& name, unsigned type, mode_t mode, const std::string* content = nullptr,
                  const char* symlink = nullptr, const char* hardlink = nullptr, int uid = 0, int gid = 0) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    archive_entry_set_mtime(e, 946684800, 0);
    if (symlink) archive_entry_set_symlink(e, symlink);
    if (hardlink) archive_entry_set_hardlink(e, hardlink);
    archive_entry_set_size(e, content ? static_cast<la_int64_t>(content->size()) : 0);
    if (archive_write_header(a_, e) != ARCHIVE_OK) ok_ = false;
    if (content && !content->empty()) archive_write_data(a_, content->data(), content->size());
    archive_entry_free(e);
    return *this;
  }
  archive* a_;
  bool ok_ = false;
};

// A temp directory removed (recursively) at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/stack-image-test-XXXXXX";
    path_ = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

inline int sh(const std::string& command) { return std::system(command.c_str()); }

// The logic of make-rootfs.sh: /bin/busybox, a symlink per applet, passwd and group,
// /tmp 1777, a seed file, packed with numeric owners, sorted names and a fixed mtime.
inline std::string make_busybox_rootfs(const std::string& dir) {
  std::string stage = dir + "/stage", tar = dir + "/rootfs.tar";
  std::string script =
      "set -e; s=" + stage + "; mkdir -p $s/bin $s/sbin $s/usr/bin $s/usr/sbin $s/etc $s/tmp $s/root $s/home "
      "$s/var/www $s/proc $s/sys $s/dev $s/usr/share/conformance; cp /bin/busybox $s/bin/busybox; "
      "chmod 0755 $s/bin/busybox; for a in $(/bin/busybox --list-full); do [ \"$a\" = bin/busybox ] && continue; "
      "mkdir -p $s/$(dirname $a); ln -sf /bin/busybox $s/$a; done; chmod 0755 $s; chmod 1777 $s/tmp; "
      "chmod 0700 $s/root; printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/home:/bin/false\\n' "
      "> $s/etc/passwd; printf 'root:x:0:\\nnogroup:x:65534:\\n' > $s/etc/group; "
      "echo 'seeded from the image' > $s/usr/share/conformance/seed.txt; "
      "tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@946684800 -C $s -cf " + tar + " .; rm -rf $s";
  if (sh(script) != 0) return "";
  return tar;
}

}  // namespace stack::image::testing
