// config.json parsing: every error names the JSON path; a runc-style spec parses fully.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/runtime/spec_json.h"

namespace stack::runtime {
namespace {

using nlohmann::json;

json minimal() {
  return json{{"ociVersion", "1.0.2"},
              {"process", {{"args", {"true"}}, {"cwd", "/"}}},
              {"root", {{"path", "rootfs"}}}};
}

std::string error_of(const json& doc) {
  auto r = parse_spec(doc.dump());
  if (r) return "(parsed)";
  return r.error().message;
}

TEST(SpecJson, DefaultSpecParsesWithEverySection) {
  auto spec = parse_spec(default_spec_json());
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->process.args, std::vector<std::string>{"sh"});
  EXPECT_FALSE(spec->process.terminal);
  EXPECT_EQ(spec->root.path, "rootfs");
  EXPECT_TRUE(spec->root.readonly);
  EXPECT_EQ(spec->hostname, "runc");
  ASSERT_EQ(spec->mounts.size(), 7u);
  EXPECT_EQ(spec->mounts[2].destination, "/dev/pts");
  EXPECT_EQ(spec->mounts[2].options.back(), "gid=5");
  ASSERT_EQ(spec->linux.namespaces.size(), 6u);
  EXPECT_EQ(spec->linux.namespaces[1].type, "network");
  ASSERT_TRUE(spec->process.capabilities);
  EXPECT_EQ(spec->process.capabilities->bounding.size(), 3u);
  ASSERT_EQ(spec->process.rlimits.size(), 1u);
  EXPECT_EQ(spec->process.rlimits[0].hard, 1024u);
  ASSERT_TRUE(spec->linux.resources);
  ASSERT_EQ(spec->linux.resources->devices.size(), 1u);
  EXPECT_FALSE(spec->linux.resources->devices[0].allow);
  EXPECT_EQ(spec->linux.masked_paths.size(), 10u);
  EXPECT_EQ(spec->linux.readonly_paths.size(), 5u);
}

TEST(SpecJson, FullDocumentFields) {
  json doc = minimal();
  doc["process"]["user"] = {{"uid", 1000}, {"gid", 100}, {"umask", 18}, {"additionalGids", {5, 6}}};
  doc["process"]["env"] = {"A=1", "PATH=/bin"};
  doc["process"]["oomScoreAdj"] = 500;
  doc["process"]["noNewPrivileges"] = true;
  doc["hostname"] = "h";
  doc["domainname"] = "d";
  doc["annotations"] = {{"k", "v"}};
  doc["hooks"] = {{"createRuntime", {{{"path", "/bin/hook"}, {"args", {"hook", "x"}}, {"timeout", 5}}}}};
  doc["linux"] = {
      {"namespaces", {{{"type", "pid"}}, {{"type", "network"}, {"path", "/proc/1/ns/net"}}}},
      {"uidMappings", {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}}},
      {"devices", {{{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"fileMode", 438}}}},
      {"sysctl", {{"net.ipv4.ip_forward", "1"}}},
      {"resources", {{"memory", {{"limit", 1048576}}}, {"pids", {{"limit", 10}}}, {"cpu", {{"shares", 512}, {"cpus", "0"}}}}},
      {"seccomp",
       {{"defaultAction", "SCMP_ACT_ERRNO"},
        {"syscalls", {{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}, {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}}}},
      {"rootfsPropagation", "rslave"},
      {"cgroupsPath", "/x/y"}};
  auto spec = parse_spec(doc.dump());
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->process.user.uid, 1000u);
  EXPECT_EQ(spec->process.user.umask, mode_t{022});
  EXPECT_EQ(spec->process.user.additional_gids, (std::vector<gid_t>{5, 6}));
  EXPECT_EQ(spec->process.oom_score_adj, 500);
  EXPECT_TRUE(spec->process.no_new_privileges);
  EXPECT_EQ(spec->annotations.at("k"), "v");
  ASSERT_EQ(spec->hooks.create_runtime.size(), 1u);
  EXPECT_EQ(spec->hooks.create_runtime[0].timeout, 5);
  EXPECT_EQ(spec->linux.namespaces[1].path, "/proc/1/ns/net");
  EXPECT_EQ(spec->linux.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(spec->linux.devices[0].file_mode, mode_t{0666});
  EXPECT_EQ(spec->linux.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(spec->linux.resources->memory->limit, 1048576);
  EXPECT_EQ(spec->linux.resources->pids->limit, 10);
  EXPECT_EQ(spec->linux.resources->cpu->cpus, "0");
  EXPECT_EQ(spec->linux.seccomp->syscalls[0].args[0].op, "SCMP_CMP_EQ");
  EXPECT_EQ(spec->linux.rootfs_propagation, "rslave");
  EXPECT_EQ(spec->linux.cgroups_path, "/x/y");
}

TEST(SpecJson, ErrorsNameTheJsonPath) {
  struct Case {
    const char* what;
    json doc;
    std::string message;
  };
  std::vector<Case> cases;
  auto with = [](auto f) {
    json d = minimal();
    f(d);
    return d;
  };
  cases.push_back({"args not strings", with([](json& d) { d["process"]["args"] = {"sh", 1}; }),
                   "config.json: process.args: must be an array of strings"});
  cases.push_back({"args not array", with([](json& d) { d["process"]["args"] = "sh"; }),
                   "config.json: process.args: must be an array of strings"});
  cases.push_back({"uid negative", with([](json& d) { d["process"]["user"] = {{"uid", -1}}; }),
                   "config.json: process.user.uid: must be a non-negative integer"});
  cases.push_back({"uid too big", with([](json& d) { d["process"]["user"] = {{"uid", 5000000000}}; }),
                   "config.json: process.user.uid: must be a non-negative integer up to 4294967295"});
  cases.push_back({"gid string", with([](json& d) { d["process"]["user"] = {{"gid", "0"}}; }),
                   "config.json: process.user.gid: must be a non-negative integer"});
  cases.push_back({"additional gid", with([](json& d) { d["process"]["user"] = {{"additionalGids", {1, "x"}}}; }),
                   "config.json: process.user.additionalGids[1]: must be a non-negative integer"});
  cases.push_back({"env without =", with([](json& d) { d["process"]["env"] = {"A=1", "B"}; }),
                   "config.json: process.env[1]: must be KEY=VALUE, got \"B\""});
  cases.push_back({"relative cwd", with([](json& d) { d["process"]["cwd"] = "work"; }),
                   "config.json: process.cwd: must be an absolute path"});
  cases.push_back({"missing cwd", with([](json& d) { d["process"].erase("cwd"); }), "config.json: process.cwd: is required"});
  cases.push_back({"no process", with([](json& d) { d.erase("process"); }), "config.json: process: is required"});
  cases.push_back({"no root path", with([](json& d) { d["root"] = json::object(); }), "config.json: root.path: is required"});
  cases.push_back({"readonly type", with([](json& d) { d["root"]["readonly"] = "yes"; }),
                   "config.json: root.readonly: must be a boolean"});
  cases.push_back({"no ociVersion", with([](json& d) { d.erase("ociVersion"); }), "config.json: ociVersion: is required"});
  cases.push_back({"mount destination", with([](json& d) { d["mounts"] = {{{"destination", "tmp"}, {"type", "tmpfs"}}}; }),
                   "config.json: mounts[0].destination: must be an absolute path, got \"tmp\""});
  cases.push_back({"mount options", with([](json& d) { d["mounts"] = {{{"destination", "/t"}, {"options", "ro"}}}; }),
                   "config.json: mounts[0].options: must be an array of strings"});
  cases.push_back({"mount not object", with([](json& d) { d["mounts"] = {"x"}; }), "config.json: mounts[0]: must be an object"});
  cases.push_back({"rlimit type", with([](json& d) { d["process"]["rlimits"] = {{{"soft", 1}, {"hard", 1}}}; }),
                   "config.json: process.rlimits[0].type: is required"});
  cases.push_back({"namespace type", with([](json& d) { d["linux"] = {{"namespaces", {{{"type", "pidd"}}}}}; }),
                   "config.json: linux.namespaces[0].type: unknown namespace type \"pidd\""});
  cases.push_back({"duplicate namespace",
                   with([](json& d) { d["linux"] = {{"namespaces", {{{"type", "pid"}}, {{"type", "pid"}}}}}; }),
                   "config.json: linux.namespaces[1].type: duplicate namespace \"pid\""});
  cases.push_back({"device type", with([](json& d) { d["linux"] = {{"devices", {{{"path", "/dev/x"}, {"type", "z"}}}}}; }),
                   "config.json: linux.devices[0].type: must be one of c, b, u, p"});
  cases.push_back({"memory limit", with([](json& d) { d["linux"] = {{"resources", {{"memory", {{"limit", "1g"}}}}}}; }),
                   "config.json: linux.resources.memory.limit: must be an integer"});
  cases.push_back({"sysctl value", with([](json& d) { d["linux"] = {{"sysctl", {{"a.b", 1}}}}; }),
                   "config.json: linux.sysctl.a.b: must be a string"});
  cases.push_back({"seccomp default", with([](json& d) { d["linux"] = {{"seccomp", json::object()}}; }),
                   "config.json: linux.seccomp.defaultAction: is required"});
  cases.push_back({"propagation", with([](json& d) { d["linux"] = {{"rootfsPropagation", "sideways"}}; }),
                   "config.json: linux.rootfsPropagation: unknown propagation \"sideways\""});
  cases.push_back({"hook path", with([](json& d) { d["hooks"] = {{"poststop", {{{"path", "rel"}}}}}; }),
                   "config.json: hooks.poststop[0].path: must be an absolute path"});
  cases.push_back({"linux not object", with([](json& d) { d["linux"] = json::array(); }), "config.json: linux: must be an object"});
  for (const auto& c : cases) EXPECT_EQ(error_of(c.doc), c.message) << c.what;
}

TEST(SpecJson, InvalidJsonSaysWhere) {
  auto r = parse_spec("{\"ociVersion\": \"1\",\n  \"process\": [}");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("config.json: invalid JSON: ")) << r.error().message;
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  auto not_object = parse_spec("[1]");
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().message, "config.json: (root): must be an object");
}

TEST(SpecJson, NullMembersCountAsAbsent) {
  json doc = minimal();
  doc["hostname"] = nullptr;
  doc["linux"] = {{"resources", nullptr}};
  auto spec = parse_spec(doc.dump());
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_FALSE(spec->linux.resources);
}

TEST(SpecJson, LoadSpecNamesTheMissingFile) {
  auto r = load_spec("/nonexistent-bundle-dir");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "open /nonexistent-bundle-dir/config.json");
  EXPECT_EQ(r.error().errno_value, ENOENT);
}

}  // namespace
}  // namespace stack::runtime
