// Docker's archive path rules, checked against what dockerd 20.10 answered for the same
// requests (HEAD/GET /containers/{id}/archive).
#include "engine/container/archive_path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace stack::container {
namespace {

TEST(ArchivePath, CleanAsGo) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("//a//b/"), "/a/b");
  EXPECT_EQ(clean_path("/a/./b/../c"), "/a/c");
  EXPECT_EQ(clean_path("/../../etc"), "/etc");
  EXPECT_EQ(clean_path("a/../../b"), "../b");
}

TEST(ArchivePath, BaseAsGo) {
  EXPECT_EQ(base_name(""), ".");
  EXPECT_EQ(base_name("/"), "/");
  EXPECT_EQ(base_name("///"), "/");
  EXPECT_EQ(base_name("/d/etclink/"), "etclink");
  EXPECT_EQ(base_name("/d/."), ".");
  EXPECT_EQ(base_name("f"), "f");
}

TEST(ArchivePath, TrailingSlashAndDotAreKept) {
  struct Case {
    const char* in;
    const char* abs;
    const char* parent;
    const char* last;
    bool follow;
    const char* name;
  };
  for (const Case& c : {Case{"/d/f", "/d/f", "/d", "f", false, "f"},
                        Case{"d/f", "/d/f", "/d", "f", false, "f"},
                        Case{"/d/", "/d/", "/", "d", true, "d"},
                        Case{"/d/.", "/d/.", "/", "d", true, "."},
                        Case{"/d/link/", "/d/link/", "/d", "link", true, "link"},
                        Case{"/", "/", "/", "", true, "/"},
                        Case{".", "/.", "/", "", true, "."},
                        Case{"/../../etc/passwd", "/etc/passwd", "/etc", "passwd", false, "passwd"}}) {
    auto p = parse_archive_path(c.in);
    ASSERT_TRUE(p) << c.in;
    EXPECT_EQ(p->abs, c.abs) << c.in;
    EXPECT_EQ(p->parent, c.parent) << c.in;
    EXPECT_EQ(p->last, c.last) << c.in;
    EXPECT_EQ(p->follow_last, c.follow) << c.in;
    EXPECT_EQ(p->name, c.name) << c.in;
  }
  auto empty = parse_archive_path("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().errno_value, EINVAL);
}

TEST(ArchivePath, GoFileModeBits) {
  EXPECT_EQ(go_file_mode(S_IFDIR | 0755), 2147484141u);  // as dockerd's header for a dir
  EXPECT_EQ(go_file_mode(S_IFLNK | 0777), 134218239u);
  EXPECT_EQ(go_file_mode(S_IFREG | 0644), 420u);
  EXPECT_EQ(go_file_mode(S_IFDIR | S_ISVTX | 0777), (1u << 31) | (1u << 20) | 0777u);
  EXPECT_EQ(go_file_mode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666u);
  EXPECT_EQ(go_file_mode(S_IFREG | S_ISUID | 0755), (1u << 23) | 0755u);
}

TEST(ArchivePath, Rfc3339Nano) {
  EXPECT_EQ(rfc3339_nano(1795642603, 104924375), "2026-11-25T21:36:43.104924375Z");
  EXPECT_EQ(rfc3339_nano(946684800, 0), "2000-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_nano(946684800, 500000000), "2000-01-01T00:00:00.5Z");
}

TEST(ArchivePath, StatHeaderMatchesDockers) {
  PathStat s;
  s.name = "f";
  s.size = 3;
  s.st_mode = S_IFREG | 0644;
  s.mtime_sec = 1795642603;
  s.mtime_nsec = 104924375;
  EXPECT_EQ(stat_json(s), R"({"name":"f","size":3,"mode":420,"mtime":"2026-11-25T21:36:43.104924375Z","linkTarget":""})");
  // The header dockerd sent for this stat.
  EXPECT_EQ(stat_header(s),
            "eyJuYW1lIjoiZiIsInNpemUiOjMsIm1vZGUiOjQyMCwibXRpbWUiOiIyMDI2LTExLTI1VDIxOjM2OjQzLjEwNDkyNDM3NVoiLCJsaW5rVGFyZ2V0IjoiIn0=");
  auto back = parse_stat_header(stat_header(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "f");
  EXPECT_EQ(back->size, 3);
  EXPECT_EQ(back->st_mode, static_cast<mode_t>(S_IFREG | 0644));
  s.st_mode = S_IFLNK | 0777;
  s.link_target = "/etc";
  auto link = parse_stat_header(stat_header(s));
  ASSERT_TRUE(link);
  EXPECT_TRUE(S_ISLNK(link->st_mode));
  EXPECT_EQ(link->link_target, "/etc");
  EXPECT_FALSE(parse_stat_header("!!!"));
}

TEST(ArchivePath, Base64Padding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
}

TEST(ArchivePath, EntryNames) {
  EXPECT_EQ(entry_name("d", "", true), "d/");
  EXPECT_EQ(entry_name("d", "sub/g", false), "d/sub/g");
  EXPECT_EQ(entry_name(".", "f", false), "./f");
  EXPECT_EQ(entry_name(".", "", true), "./");
  EXPECT_EQ(entry_name("/", "", true), "/");
  EXPECT_EQ(entry_name("/", "bin", true), "/bin/");
  EXPECT_EQ(entry_name("f", "", false), "f");
}

TEST(ArchivePath, ExtractNames) {
  auto name = [](std::string_view n, std::optional<Rebase> r = std::nullopt) -> std::string {
    auto x = extract_name(n, r);
    if (!x) return "error";
    return x->value_or("<dir>");
  };
  EXPECT_EQ(name("d/"), "d");
  EXPECT_EQ(name("./f"), "f");
  EXPECT_EQ(name("./"), "<dir>");
  EXPECT_EQ(name("/"), "<dir>");
  EXPECT_EQ(name("/etc/passwd"), "etc/passwd");
  EXPECT_EQ(name("a/../../x"), "error");
  EXPECT_EQ(name("../x"), "error");
  EXPECT_EQ(name("src/x", Rebase{"src", "dst"}), "dst/x");
  EXPECT_EQ(name("src", Rebase{"src", "dst"}), "dst");
  EXPECT_EQ(name("srcx/y", Rebase{"src", "dst"}), "srcx/y");
  EXPECT_EQ(name("./x", Rebase{".", ""}), "x");
}

TEST(ArchivePath, LinksThatClimbOut) {
  EXPECT_TRUE(symlink_stays_inside("d/l", "/etc"));  // absolute: resolved in the root
  EXPECT_TRUE(symlink_stays_inside("d/l", "../f"));
  EXPECT_FALSE(symlink_stays_inside("d/l", "../../f"));
  EXPECT_FALSE(symlink_stays_inside("l", ".."));
  EXPECT_TRUE(hardlink_stays_inside("d/f"));
  EXPECT_TRUE(hardlink_stays_inside("/d/f"));
  EXPECT_FALSE(hardlink_stays_inside("../f"));
}

TEST(ArchivePath, ContainerUser) {
  std::string passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\napp:x:1000:1001::/app:/bin/sh\n";
  std::string group = "root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n";
  auto ids = [&](std::string_view spec) -> std::string {
    auto r = resolve_user(spec, passwd, group);
    if (!r) return "error";
    return std::to_string(r->first) + ":" + std::to_string(r->second);
  };
  EXPECT_EQ(ids("app"), "1000:1001");
  EXPECT_EQ(ids("1000"), "1000:1001");
  EXPECT_EQ(ids("nobody:staff"), "65534:50");
  EXPECT_EQ(ids("app:7"), "1000:7");
  EXPECT_EQ(ids("4242"), "4242:0");
  EXPECT_EQ(ids("ghost"), "error");
  EXPECT_EQ(ids("app:ghosts"), "error");
}

}  // namespace
}  // namespace stack::container
