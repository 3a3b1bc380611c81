// docker cp and export over the API against a real daemon (root): HEAD/GET/PUT
// /containers/{id}/archive and GET /containers/{id}/export on running and stopped
// containers, Docker's errors, and symlinks in the container that must not lead out of
// its root (checked on the host: nothing appears outside the container's rootfs).
#include <cstdio>

#include "engine/container/archive_path.h"
#include "tests/integration/daemon_test_helpers.h"

namespace stack::daemon::testing {
namespace {

class ArchiveTest : public DaemonTest {
 protected:
  // Runs a shell command; its stdout.
  static std::string sh(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
  }

  // `tar tvf` of a body (numeric owners).
  std::string listing(const std::string& tar) {
    std::string path = dir_ + "/listing.tar";
    std::ofstream(path, std::ios::binary) << tar;
    std::string out = sh("tar --numeric-owner -tvf '" + path + "' 2>&1");
    fs::remove(path);
    return out;
  }

  client::Response request(const std::string& method, const std::string& target, const std::string& body = {}) {
    return must(api().request(method, target, body, "application/x-tar"), method + " " + target);
  }

  std::optional<container::PathStat> stat_header(const client::Response& r) {
    auto s = container::parse_stat_header(r.header("x-docker-container-path-stat"));
    if (!s) return std::nullopt;
    return *s;
  }

  // A tar made by GNU tar from a scratch tree built by `setup` (a shell script run in it).
  std::string make_tar(const std::string& setup, const std::string& members = ".") {
    std::string d = dir_ + "/scratch";
    fs::remove_all(d);
    fs::create_directories(d);
    EXPECT_EQ(std::system(("cd '" + d + "' && " + setup).c_str()), 0) << setup;
    std::string tar = dir_ + "/scratch.tar";
    EXPECT_EQ(std::system(("tar --numeric-owner -C '" + d + "' -cf '" + tar + "' " + members).c_str()), 0);
    std::string body = slurp(tar);
    fs::remove_all(d);
    fs::remove(tar);
    return body;
  }
};

TEST_F(ArchiveTest, StatGetAndPutOnARunningContainer) {
  std::string id = create(cmd("mkdir -p /d/sub && echo hi > /d/f && echo x > /d/sub/g && ln -s /etc /d/etclink && "
                              "touch /ready && sleep 1000"),
                          "cp-run");
  ASSERT_NO_FATAL_FAILURE(start(id));
  wait_for(id, [&](const json&) { return fs::exists(merged(id, "/ready")); }, 5000, "the setup script");

  auto r = request("HEAD", "/containers/cp-run/archive?path=/d/f");
  ASSERT_EQ(r.status, 200) << r.body;
  auto s = stat_header(r);
  ASSERT_TRUE(s) << r.header("x-docker-container-path-stat");
  EXPECT_EQ(s->name, "f");
  EXPECT_EQ(s->size, 3);
  EXPECT_TRUE(S_ISREG(s->st_mode));

  r = request("HEAD", "/containers/cp-run/archive?path=/d/etclink");
  ASSERT_EQ(r.status, 200);
  s = stat_header(r);
  ASSERT_TRUE(s);
  EXPECT_TRUE(S_ISLNK(s->st_mode));
  EXPECT_EQ(s->link_target, "/etc");
  r = request("HEAD", "/containers/cp-run/archive?path=/d/etclink/");
  s = stat_header(r);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->is_dir()) << "a trailing slash follows the link";
  EXPECT_EQ(s->name, "etclink");

  r = request("GET", "/containers/cp-run/archive?path=/d");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/x-tar");
  std::string l = listing(r.body);
  EXPECT_TRUE(contains(l, " d/\n")) << l;
  EXPECT_TRUE(contains(l, " d/f\n")) << l;
  EXPECT_TRUE(contains(l, " d/sub/g\n")) << l;
  EXPECT_TRUE(contains(l, " d/etclink -> /etc\n")) << l;

  r = request("GET", "/containers/cp-run/archive?path=/d/.");
  l = listing(r.body);
  EXPECT_TRUE(contains(l, " ./f\n")) << l;

  r = request("GET", "/containers/cp-run/archive?path=/d/etclink/");
  l = listing(r.body);
  EXPECT_TRUE(contains(l, " etclink/passwd\n")) << l;

  // Owners come from the tar (Docker's default), the mode and content too.
  std::string tar = make_tar("mkdir dir && echo hello > dir/file && chmod 0640 dir/file && chown -R 1234:2345 dir", "dir");
  r = request("PUT", "/containers/cp-run/archive?path=/d&noOverwriteDirNonDir=true", tar);
  ASSERT_EQ(r.status, 200) << r.body;
  struct stat st{};
  ASSERT_EQ(::lstat(merged(id, "/d/dir/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 2345u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(slurp(merged(id, "/d/dir/file")), "hello\n");

  // Extracting through the symlink /d/etclink lands in /etc.
  tar = make_tar("echo one > one", "one");
  r = request("PUT", "/containers/cp-run/archive?path=/d/etclink", tar);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(slurp(merged(id, "/etc/one")), "one\n");

  // noOverwriteDirNonDir: a file where a directory is.
  tar = make_tar("echo f > sub", "sub");
  r = request("PUT", "/containers/cp-run/archive?path=/d&noOverwriteDirNonDir=true", tar);
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_TRUE(contains(r.body, "cannot overwrite directory")) << r.body;
}

TEST_F(ArchiveTest, DockerErrors) {
  std::string id = create(cmd("sleep 1000"), "cp-err");
  auto r = request("GET", "/containers/cp-err/archive?path=/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_json(r).value("message", ""), "Could not find the file /nope in container cp-err");
  r = request("HEAD", "/containers/cp-err/archive?path=/nope");
  EXPECT_EQ(r.status, 404);
  r = request("GET", "/containers/ghost/archive?path=/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_json(r).value("message", ""), "No such container: ghost");
  r = request("GET", "/containers/cp-err/archive");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r).value("message", ""), "bad parameter: pathcannot be empty");
  std::string tar = make_tar("echo a > a", "a");
  r = request("PUT", "/containers/cp-err/archive?path=/nope", tar);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_json(r).value("message", ""), "Could not find the file /nope in container cp-err");
  r = request("PUT", "/containers/cp-err/archive?path=/bin/busybox", tar);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r).value("message", ""), "extraction point is not a directory");
  r = request("GET", "/containers/ghost/export");
  EXPECT_EQ(r.status, 404);

  std::string ro = create(json{{"Cmd", {"sleep", "1000"}}, {"HostConfig", {{"ReadonlyRootfs", true}}}}, "cp-ro");
  r = request("PUT", "/containers/cp-ro/archive?path=/tmp", tar);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_json(r).value("message", ""), "container rootfs is marked read-only");
  // Reading a read-only container is fine.
  EXPECT_EQ(request("GET", "/containers/cp-ro/archive?path=/etc/passwd").status, 200);
  (void)id;
  (void)ro;
}

TEST_F(ArchiveTest, StoppedContainerAndExport) {
  std::string id = create(cmd("exit 0"), "cp-stopped");  // never started: its rootfs is mounted per lease
  std::string tar = make_tar("echo data > file", "file");
  auto r = request("PUT", "/containers/cp-stopped/archive?path=/tmp", tar);
  ASSERT_EQ(r.status, 200) << r.body;
  r = request("GET", "/containers/cp-stopped/archive?path=/tmp/file");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(listing(r.body), " file\n"));
  // The write went to the container's own layer.
  EXPECT_EQ(slurp(root_ + "/containers/" + id + "/rootfs/upper/tmp/file"), "data\n");

  r = request("GET", "/containers/cp-stopped/export");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string l = listing(r.body);
  EXPECT_TRUE(contains(l, " bin/busybox\n")) << l.substr(0, 2000);
  EXPECT_TRUE(contains(l, " tmp/file\n")) << l.substr(0, 2000);
  EXPECT_FALSE(contains(l, " ./\n")) << "export lists no entry for the root itself";

  // The lease is dropped: the stopped container's rootfs gets unmounted.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!mounts_under(root_ + "/containers/" + id).empty() && Clock::now() < deadline) ::usleep(20000);
  EXPECT_TRUE(mounts_under(root_ + "/containers/" + id).empty());
}

TEST_F(ArchiveTest, SymlinksStayInsideTheContainer) {
  // A host directory the container's links name; nothing may appear in it.
  std::string host = dir_ + "/host-target";
  fs::create_directories(host);
  std::ofstream(host + "/secret") << "host\n";
  std::string id = create(cmd("ln -s ../../../../../../../../" + host + " /up && ln -s " + host + " /abs && "
                              "mkdir /drop && touch /ready && sleep 1000"),
                          "cp-links");
  ASSERT_NO_FATAL_FAILURE(start(id));
  wait_for(id, [&](const json&) { return fs::exists(merged(id, "/ready")); }, 5000, "the setup script");

  // Reading through the links resolves in the container: no such file there.
  EXPECT_EQ(request("GET", "/containers/cp-links/archive?path=/up/secret").status, 404);
  EXPECT_EQ(request("GET", "/containers/cp-links/archive?path=/abs/secret").status, 404);
  auto r = request("HEAD", "/containers/cp-links/archive?path=/up");
  auto s = stat_header(r);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->link_target, container::clean_path(host)) << "the link's target, inside the container";

  // Writing through them: 404 (missing in the container), the host dir untouched.
  std::string tar = make_tar("echo pwned > pwned", "pwned");
  EXPECT_EQ(request("PUT", "/containers/cp-links/archive?path=/up", tar).status, 404);
  EXPECT_EQ(request("PUT", "/containers/cp-links/archive?path=/abs/", tar).status, 404);

  // A tar whose own symlink points at the host dir, then a file through it: the link
  // resolves under the extraction dir, never on the host (the write may fail or land
  // in the container; it must not reach the host).
  std::string link = make_tar("ln -s '" + host + "' link", "link");
  r = request("PUT", "/containers/cp-links/archive?path=/drop", link);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string through = make_tar("mkdir link && echo pwned > link/pwned", "link/pwned");
  r = request("PUT", "/containers/cp-links/archive?path=/drop", through);
  EXPECT_FALSE(fs::exists(host + "/pwned")) << "a write escaped the container root";
  EXPECT_EQ(slurp(host + "/secret"), "host\n");
  // A relative link in the tar that climbs out of the extraction dir is refused (moby: breakout).
  tar = make_tar("ln -s ../../../../../../etc evil", "evil");
  r = request("PUT", "/containers/cp-links/archive?path=/drop", tar);
  EXPECT_NE(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "invalid symlink")) << r.body;
}

}  // namespace
}  // namespace stack::daemon::testing
