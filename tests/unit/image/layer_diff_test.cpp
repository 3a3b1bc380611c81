// The container's upper dir as a layer tar: entries, whiteout conversion, links, skips.
#include "engine/image/layer_diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/compose/temp_dir.h"

namespace stack::image {
namespace {

using stack::testing::TempDir;

struct TarEntry {
  std::string path, link, content;
  mode_t type = 0, perm = 0;
  bool hardlink = false;
};

std::vector<TarEntry> read_tar(const std::string& path) {
  std::vector<TarEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 10240), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.path = archive_entry_pathname(e);
    t.type = archive_entry_filetype(e);
    t.perm = archive_entry_perm(e);
    if (const char* l = archive_entry_symlink(e)) t.link = l;
    if (const char* h = archive_entry_hardlink(e)) t.link = h, t.hardlink = true;
    char buf[256];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) t.content.append(buf, static_cast<size_t>(n));
    out.push_back(t);
  }
  archive_read_free(a);
  return out;
}

std::string names(const std::vector<TarEntry>& entries) {
  std::string s;
  for (const auto& e : entries) s += e.path + "\n";
  return s;
}

TEST(LayerDiff, FilesDirsAndSymlinksInWalkOrder) {
  TempDir tmp;
  tmp.write("upper/etc/motd", "hello\n");
  tmp.write("upper/b", "bee");
  std::filesystem::create_symlink("/etc/motd", tmp.file("upper/a-link"));
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"));
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->entries, 4u);
  EXPECT_EQ(stats->size, 9u);
  auto entries = read_tar(tmp.file("layer.tar"));
  EXPECT_EQ(names(entries), "a-link\nb\netc/\netc/motd\n");
  EXPECT_EQ(entries[0].type, AE_IFLNK);
  EXPECT_EQ(entries[0].link, "/etc/motd");
  EXPECT_EQ(entries[1].content, "bee");
  EXPECT_EQ(entries[2].type, AE_IFDIR);
  EXPECT_EQ(entries[3].content, "hello\n");
}

TEST(LayerDiff, EmptyUpperIsTheEmptyTar) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("upper"));
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"));
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->entries, 0u);
  // Two zero blocks and nothing else: the bytes of Docker's empty layer.
  EXPECT_EQ(std::filesystem::file_size(tmp.file("layer.tar")), 1024u);
}

TEST(LayerDiff, SkippedPathsAndTheirContentsStayOut) {
  TempDir tmp;
  tmp.write("upper/etc/hosts", "");
  tmp.write("upper/etc/keep", "k");
  tmp.write("upper/proc/x", "");
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"), {"/etc/hosts", "/proc"});
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(names(read_tar(tmp.file("layer.tar"))), "etc/\netc/keep\n");
}

TEST(LayerDiff, DirectoryChangedOnlyByMountPointsIsNoChange) {
  TempDir tmp;
  tmp.write("upper/etc/hosts", "");
  tmp.write("upper/etc/hostname", "");
  std::filesystem::create_directories(tmp.file("upper/empty/inner"));
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"), {"/etc/hosts", "/etc/hostname"});
  ASSERT_TRUE(stats) << stats.error().message;
  // An empty directory the container made is a change; /etc here is not.
  EXPECT_EQ(names(read_tar(tmp.file("layer.tar"))), "empty/\nempty/inner/\n");
  EXPECT_EQ(stats->entries, 2u);
}

TEST(LayerDiff, HardLinksBecomeTarLinks) {
  TempDir tmp;
  tmp.write("upper/a", "data");
  ASSERT_EQ(::link(tmp.file("upper/a").c_str(), tmp.file("upper/b").c_str()), 0);
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"));
  ASSERT_TRUE(stats) << stats.error().message;
  auto entries = read_tar(tmp.file("layer.tar"));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].content, "data");
  EXPECT_TRUE(entries[1].hardlink);
  EXPECT_EQ(entries[1].link, "a");
}

TEST(LayerDiff, WhiteoutsAndOpaqueDirsBecomeWhFiles) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("upper/etc"));
  if (::mknod(tmp.file("upper/etc/passwd").c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0) GTEST_SKIP() << "mknod needs root";
  tmp.write("upper/data/new", "n");
  ASSERT_EQ(::setxattr(tmp.file("upper/data").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"));
  ASSERT_TRUE(stats) << stats.error().message;
  auto entries = read_tar(tmp.file("layer.tar"));
  EXPECT_EQ(names(entries), "data/\ndata/.wh..wh..opq\ndata/new\netc/\netc/.wh.passwd\n");
  EXPECT_EQ(entries[1].type, AE_IFREG);
  EXPECT_EQ(entries[1].perm, 0u);
  EXPECT_EQ(entries[4].type, AE_IFREG);
  EXPECT_EQ(entries[4].content, "");
}

TEST(LayerDiff, OtherCharDevicesStayDevices) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.file("upper"));
  if (::mknod(tmp.file("upper/null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) GTEST_SKIP() << "mknod needs root";
  auto stats = write_layer_diff(tmp.file("upper"), tmp.file("layer.tar"));
  ASSERT_TRUE(stats) << stats.error().message;
  auto entries = read_tar(tmp.file("layer.tar"));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].path, "null");
  EXPECT_EQ(entries[0].type, AE_IFCHR);
}

TEST(LayerDiff, MissingUpperIsAnError) {
  TempDir tmp;
  auto stats = write_layer_diff(tmp.file("nope"), tmp.file("layer.tar"));
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().errno_value, ENOENT);
}

}  // namespace
}  // namespace stack::image
