// The OCI spec a container start gets: user resolution, caps, security options,
// mounts, resources, namespaces, env.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "engine/container/create.h"
#include "engine/container/spec_builder.h"
#include "engine/runtime/docker_defaults.h"
#include "engine/runtime/init.h"
#include "tests/unit/compose/temp_dir.h"

namespace stack::container {
namespace {

using nlohmann::json;
using stack::testing::TempDir;

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "# a comment\n"
    "app:x:1000:1001:App:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/:/bin/false\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "wheel:x:10:root,app\n"
    "audio:x:29:\n"
    "appgrp:x:1001:\n"
    "staff:x:50:app\n"
    "nogroup:x:65534:\n";

struct Fixture {
  TempDir dir;
  std::string rootfs;
  Fixture() {
    rootfs = dir.file("rootfs");
    dir.write("rootfs/etc/passwd", kPasswd);
    dir.write("rootfs/etc/group", kGroup);
  }
  SpecPaths paths() const {
    return SpecPaths{rootfs, dir.file("hostname"), dir.file("hosts"), dir.file("resolv.conf"), ""};
  }
};

Record record(const json& body) {
  image::ImageConfig img;
  img.config.cmd = std::vector<std::string>{"sh"};
  auto r = record_from_create(body, "web", img, "sha256:" + std::string(64, 'c'));
  EXPECT_TRUE(r) << r.error().message;
  return *r;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

const runtime::Mount* find_mount(const runtime::Spec& s, const std::string& dest) {
  for (const auto& m : s.mounts)
    if (m.destination == dest) return &m;
  return nullptr;
}

bool has_ns(const runtime::Spec& s, const std::string& type) {
  return std::any_of(s.linux.namespaces.begin(), s.linux.namespaces.end(),
                     [&](const auto& n) { return n.type == type; });
}

TEST(ContainerSpec, ResolvesUsersAndGroupsFromTheRootfs) {
  Fixture f;
  auto root = resolve_user(f.rootfs, "");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->additional_gids, (std::vector<gid_t>{0, 10}));

  auto app = resolve_user(f.rootfs, "app");
  ASSERT_TRUE(app) << app.error().message;
  EXPECT_EQ(app->uid, 1000u);
  EXPECT_EQ(app->gid, 1001u);
  EXPECT_EQ(app->additional_gids, (std::vector<gid_t>{1001, 10, 50}));

  // By uid: the passwd entry still gives the gid and groups.
  auto by_uid = resolve_user(f.rootfs, "1000");
  ASSERT_TRUE(by_uid);
  EXPECT_EQ(by_uid->gid, 1001u);

  // Explicit group: no supplementary groups from /etc/group.
  auto explicit_group = resolve_user(f.rootfs, "app:audio");
  ASSERT_TRUE(explicit_group);
  EXPECT_EQ(explicit_group->gid, 29u);
  EXPECT_EQ(explicit_group->additional_gids, std::vector<gid_t>{29});

  auto numeric = resolve_user(f.rootfs, "4242:4343");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 4242u);
  EXPECT_EQ(numeric->gid, 4343u);
  EXPECT_EQ(numeric->additional_gids, std::vector<gid_t>{4343});

  auto added = resolve_user(f.rootfs, "nobody", {"audio", "50", "7777", "audio"});
  ASSERT_TRUE(added);
  EXPECT_EQ(added->additional_gids, (std::vector<gid_t>{65534, 29, 50, 7777}));

  auto missing = resolve_user(f.rootfs, "ghost");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "unable to find user ghost: no matching entries in passwd file");
  auto missing_group = resolve_user(f.rootfs, "app:ghosts");
  ASSERT_FALSE(missing_group);
  EXPECT_EQ(missing_group.error().message, "unable to find group ghosts: no matching entries in group file");
  EXPECT_EQ(resolve_user(f.rootfs, "app", {"ghosts"}).error().message,
            "Unable to find group ghosts: no matching entries in group file");

  // No passwd file at all: numeric users work, names do not.
  TempDir empty;
  EXPECT_EQ(resolve_user(empty.path(), "123")->uid, 123u);
  EXPECT_FALSE(resolve_user(empty.path(), "app"));
}

TEST(ContainerSpec, SymlinksStayInsideTheRootfs) {
  TempDir d;
  d.write("rootfs/real/passwd", "linked:x:77:77::/:/bin/sh\n");
  std::filesystem::create_directories(d.file("rootfs/etc"));
  // An absolute link resolves inside the rootfs, not on the host.
  ASSERT_EQ(::symlink("/real/passwd", d.file("rootfs/etc/passwd").c_str()), 0);
  auto u = resolve_user(d.file("rootfs"), "linked");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->uid, 77u);
  ASSERT_EQ(::symlink("../../../../../../etc", d.file("rootfs/escape").c_str()), 0);
  EXPECT_EQ(path_in_rootfs(d.file("rootfs"), "/escape/group"), d.file("rootfs") + "/etc/group");
}

TEST(ContainerSpec, Capabilities) {
  auto defaults = runtime::docker_default_capabilities().bounding;
  EXPECT_EQ(tweak_capabilities({}, {}, false).value(), defaults);

  auto added = tweak_capabilities({"net_admin", "CAP_SYS_TIME"}, {"MKNOD", "cap_chown"}, false).value();
  EXPECT_TRUE(has(added, "CAP_NET_ADMIN"));
  EXPECT_TRUE(has(added, "CAP_SYS_TIME"));
  EXPECT_FALSE(has(added, "CAP_MKNOD"));
  EXPECT_FALSE(has(added, "CAP_CHOWN"));
  EXPECT_EQ(added.size(), defaults.size());

  EXPECT_EQ(tweak_capabilities({"CHOWN"}, {"ALL"}, false).value(), std::vector<std::string>{"CAP_CHOWN"});
  EXPECT_TRUE(tweak_capabilities({}, {"all"}, false).value().empty());
  auto all_but = tweak_capabilities({"ALL"}, {"SYS_ADMIN"}, false).value();
  EXPECT_FALSE(has(all_but, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(has(all_but, "CAP_NET_ADMIN"));
  EXPECT_GT(all_but.size(), defaults.size());

  auto priv = tweak_capabilities({}, {"ALL"}, true).value();
  EXPECT_TRUE(has(priv, "CAP_SYS_ADMIN"));
  EXPECT_EQ(tweak_capabilities({"BOGUS"}, {}, false).error().message, "invalid CapAdd: unknown capability: \"CAP_BOGUS\"");
}

TEST(ContainerSpec, DefaultContainer) {
  Fixture f;
  auto r = record({{"Cmd", {"echo", "hi"}}, {"Env", {"A=1"}}, {"WorkingDir", "/srv"}});
  auto s = build_spec(r, f.paths());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->root.path, f.rootfs);
  EXPECT_FALSE(s->root.readonly);
  EXPECT_EQ(s->process.args, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(s->process.cwd, "/srv");
  EXPECT_FALSE(s->process.terminal);
  EXPECT_EQ(s->process.env, (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                                      "HOSTNAME=" + r.id.substr(0, 12), "A=1"}));
  EXPECT_EQ(s->hostname, r.id.substr(0, 12));
  ASSERT_TRUE(s->process.capabilities);
  EXPECT_EQ(s->process.capabilities->bounding, runtime::docker_default_capabilities().bounding);
  EXPECT_TRUE(s->process.capabilities->inheritable.empty());
  EXPECT_TRUE(s->linux.seccomp.has_value());
  EXPECT_EQ(s->linux.masked_paths, runtime::docker_default_masked_paths());
  EXPECT_EQ(s->linux.readonly_paths, runtime::docker_default_readonly_paths());
  for (const char* ns : {"mount", "network", "uts", "ipc", "pid"}) EXPECT_TRUE(has_ns(*s, ns)) << ns;
  EXPECT_EQ(s->linux.cgroups_path, "/stack/" + r.id);
  EXPECT_EQ(s->process.oom_score_adj, 0);
  EXPECT_FALSE(s->annotations.contains(runtime::kInitAnnotation));

  auto* hosts = find_mount(*s, "/etc/hosts");
  ASSERT_TRUE(hosts);
  EXPECT_EQ(hosts->type, "bind");
  EXPECT_EQ(hosts->source, f.dir.file("hosts"));
  EXPECT_EQ(hosts->options, (std::vector<std::string>{"rbind", "rprivate"}));
  ASSERT_TRUE(find_mount(*s, "/etc/hostname"));
  ASSERT_TRUE(find_mount(*s, "/etc/resolv.conf"));
  auto* shm = find_mount(*s, "/dev/shm");
  ASSERT_TRUE(shm);
  EXPECT_TRUE(has(shm->options, "size=67108864"));
  auto* sys = find_mount(*s, "/sys");
  ASSERT_TRUE(sys);
  EXPECT_TRUE(has(sys->options, "ro"));
}

TEST(ContainerSpec, EnvDefaultsTtyAndOverrides) {
  Config c;
  c.hostname = "box";
  c.tty = true;
  c.env = {"PATH=/mine", "TERM=vt100", "HOSTNAME", "X=1"};
  EXPECT_EQ(container_env(c), (std::vector<std::string>{"PATH=/mine", "TERM=vt100", "X=1"}));
  c.env.clear();
  EXPECT_EQ(container_env(c).back(), "TERM=xterm");
}

TEST(ContainerSpec, TmpfsOptions) {
  EXPECT_EQ(tmpfs_options("").value(), (std::vector<std::string>{"noexec", "nosuid", "nodev", "rprivate"}));
  EXPECT_EQ(tmpfs_options("size=64m,exec").value(),
            (std::vector<std::string>{"nosuid", "nodev", "rprivate", "size=64m", "exec"}));
  EXPECT_EQ(tmpfs_options("size=1m,mode=1777,size=2m,ro").value(),
            (std::vector<std::string>{"noexec", "nosuid", "nodev", "rprivate", "mode=1777", "size=2m", "ro"}));
  auto bad = tmpfs_options("bogus=1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().errno_value, EINVAL);
}

TEST(ContainerSpec, HostConfigOptions) {
  Fixture f;
  auto r = record({{"Tty", true},
                   {"User", "app"},
                   {"HostConfig",
                    {{"ReadonlyRootfs", true},
                     {"Tmpfs", {{"/run", "size=1m"}}},
                     {"CapAdd", {"NET_ADMIN"}},
                     {"CapDrop", {"MKNOD"}},
                     {"SecurityOpt", {"no-new-privileges:true", "apparmor=docker-default", "label=disable"}},
                     {"Memory", 64 << 20},
                     {"NanoCpus", 1500000000},
                     {"CpuShares", 512},
                     {"PidsLimit", 100},
                     {"OomScoreAdj", 500},
                     {"Ulimits", {{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}}},
                     {"Sysctls", {{"net.core.somaxconn", "1024"}}},
                     {"Init", true},
                     {"NetworkMode", "host"},
                     {"Annotations", {{"org.example", "1"}}},
                     {"ConsoleSize", {30, 100}}}}});
  auto s = build_spec(r, f.paths());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(s->process.terminal);
  ASSERT_TRUE(s->process.console_size);
  EXPECT_EQ(s->process.console_size->height, 30u);
  EXPECT_EQ(s->process.user.uid, 1000u);
  EXPECT_TRUE(s->root.readonly);
  EXPECT_EQ(find_mount(*s, "/etc/hosts")->options, (std::vector<std::string>{"rbind", "ro", "rprivate"}));
  auto* run = find_mount(*s, "/run");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->type, "tmpfs");
  EXPECT_TRUE(has(run->options, "size=1m"));
  EXPECT_TRUE(has(s->process.capabilities->bounding, "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(s->process.capabilities->effective, "CAP_MKNOD"));
  EXPECT_TRUE(s->process.no_new_privileges);
  EXPECT_EQ(s->process.apparmor_profile, "docker-default");
  ASSERT_TRUE(s->linux.resources);
  const auto& res = *s->linux.resources;
  ASSERT_TRUE(res.memory);
  EXPECT_EQ(res.memory->limit, 64 << 20);
  EXPECT_EQ(res.memory->swap, 2 * (64 << 20));
  ASSERT_TRUE(res.cpu);
  EXPECT_EQ(res.cpu->period, 100000u);
  EXPECT_EQ(res.cpu->quota, 150000);
  EXPECT_EQ(res.cpu->shares, 512u);
  ASSERT_TRUE(res.pids);
  EXPECT_EQ(res.pids->limit, 100);
  EXPECT_EQ(s->process.oom_score_adj, 500);
  ASSERT_EQ(s->process.rlimits.size(), 1u);
  EXPECT_EQ(s->process.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s->process.rlimits[0].soft, 1024u);
  EXPECT_EQ(s->process.rlimits[0].hard, 2048u);
  EXPECT_EQ(s->linux.sysctl.at("net.core.somaxconn"), "1024");
  // Host network: no network namespace, and none of the per-netns sysctls.
  EXPECT_FALSE(has_ns(*s, "network"));
  EXPECT_FALSE(s->linux.sysctl.contains("net.ipv4.ping_group_range"));
  EXPECT_EQ(s->annotations.at(runtime::kInitAnnotation), "true");
  EXPECT_EQ(s->annotations.at("org.example"), "1");
}

TEST(ContainerSpec, Privileged) {
  Fixture f;
  auto r = record({{"HostConfig", {{"Privileged", true}}}});
  auto s = build_spec(r, f.paths());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->linux.seccomp.has_value());
  EXPECT_TRUE(s->linux.masked_paths.empty());
  EXPECT_TRUE(s->linux.readonly_paths.empty());
  EXPECT_TRUE(has(s->process.capabilities->bounding, "CAP_SYS_ADMIN"));
  ASSERT_EQ(s->linux.resources->devices.size(), 1u);
  EXPECT_TRUE(s->linux.resources->devices[0].allow);
  EXPECT_EQ(s->linux.resources->devices[0].access, "rwm");
  EXPECT_FALSE(has(find_mount(*s, "/sys")->options, "ro"));
  // Host devices are passed in (this host has at least /dev/null and /dev/zero).
  EXPECT_GE(s->linux.devices.size(), runtime::docker_default_devices().size());
}

TEST(ContainerSpec, SeccompUnconfinedAndNamespaceModes) {
  Fixture f;
  auto r = record({{"HostConfig",
                    {{"SecurityOpt", {"seccomp=unconfined"}},
                     {"PidMode", "host"},
                     {"IpcMode", "host"},
                     {"UTSMode", "host"},
                     {"NetworkMode", "none"},
                     {"Init", true}}}});
  auto s = build_spec(r, f.paths());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->linux.seccomp.has_value());
  EXPECT_FALSE(s->linux.masked_paths.empty());
  EXPECT_FALSE(has_ns(*s, "pid"));
  EXPECT_FALSE(has_ns(*s, "ipc"));
  EXPECT_FALSE(has_ns(*s, "uts"));
  EXPECT_TRUE(has_ns(*s, "network"));
  EXPECT_TRUE(s->hostname.empty());
  EXPECT_EQ(find_mount(*s, "/dev/shm")->type, "bind");
  // The built-in init needs its own pid namespace.
  EXPECT_FALSE(s->annotations.contains(runtime::kInitAnnotation));

  auto joined = f.paths();
  joined.network_namespace_path = "/run/netns/x";
  auto s2 = build_spec(record(json::object()), joined);
  ASSERT_TRUE(s2);
  auto it = std::find_if(s2->linux.namespaces.begin(), s2->linux.namespaces.end(),
                         [](const auto& n) { return n.type == "network"; });
  ASSERT_NE(it, s2->linux.namespaces.end());
  EXPECT_EQ(it->path, "/run/netns/x");
}

TEST(ContainerSpec, UnknownUserFailsTheStart) {
  Fixture f;
  auto s = build_spec(record({{"User", "ghost"}}), f.paths());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "unable to find user ghost: no matching entries in passwd file");
}

}  // namespace
}  // namespace stack::container
