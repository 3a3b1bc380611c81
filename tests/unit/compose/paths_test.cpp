#include "compose/paths.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

Node yaml(std::string_view text) {
  auto n = parse_yaml(text, std::make_shared<const std::string>("compose.yml"));
  EXPECT_TRUE(n) << n.error().to_string();
  return n ? *n : Node();
}

const std::string kBase = "/project";
const std::string kHome = "/home/me";

TEST(Paths, CleanPathAsGo) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"", "."},         {"a/b", "a/b"},     {"a//b/", "a/b"},   {"./a/./b", "a/b"}, {"a/../b", "b"},
      {"../a", "../a"},  {"a/../..", ".."},  {"/..", "/"},       {"/a/../../b", "/b"}, {"/", "/"},
      {"//a", "/a"},     {"a/b/../../..", ".."},
  };
  for (const auto& c : cases) EXPECT_EQ(clean_path(c.in), c.out) << c.in;
}

TEST(Paths, JoinExpandAbsolute) {
  EXPECT_EQ(join_path("/p", "./x"), "/p/x");
  EXPECT_EQ(join_path("/p/sub", "../x"), "/p/x");
  EXPECT_EQ(join_path("/p", ""), "/p");
  EXPECT_EQ(expand_user("~/x", kHome), "/home/me/x");
  EXPECT_EQ(expand_user("~", kHome), "/home/me");
  EXPECT_EQ(expand_user("~other/x", kHome), "/home/me/other/x");  // compose-go has no ~user form
  EXPECT_EQ(expand_user("~/x", ""), "~/x");
  EXPECT_EQ(absolute_path("x/../y", kBase, kHome), "/project/y");
  EXPECT_EQ(absolute_path("/abs//kept", kBase, kHome), "/abs//kept");  // absolute paths are not cleaned
  EXPECT_EQ(absolute_path("", kBase, kHome), "");
}

TEST(Paths, RemoteContexts) {
  struct Case {
    std::string context;
    bool remote;
  } cases[] = {
      {"https://github.com/a/b.git", true}, {"http://x/ctx.tar", true}, {"git://h/r", true},
      {"ssh://git@h/r", true},              {"git@github.com:a/b.git", true}, {"github.com/a/b", true},
      {"docker-image://alpine", true},      {"service:base", true},     {"./dir", false},
      {"gitlab.com/a/b", false},            {"..", false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_remote_context(c.context), c.remote) << c.context;
}

TEST(Paths, ServicePaths) {
  Node svc = yaml(R"(
build:
  context: ./app
  dockerfile: Dockerfile.dev
  additional_contexts:
    shared: ../shared
    img: docker-image://alpine
    other: service:base
  ssh:
    default: null
    key: ~/.ssh/id
env_file:
  - {path: .env, required: true}
  - {path: /etc/abs.env, required: false}
label_file: [./labels, ~/more]
volumes:
  - {type: bind, source: ./data, target: /data}
  - {type: bind, source: ~/cache, target: /cache}
  - {type: bind, source: 'C:\win', target: /w}
  - {type: volume, source: named, target: /v}
extends: {service: base, file: ../common/base.yml}
)");
  resolve_service_paths(svc, kBase, kHome);
  EXPECT_EQ(svc.find("build")->find("context")->value(), "/project/app");
  EXPECT_EQ(svc.find("build")->find("dockerfile")->value(), "Dockerfile.dev");
  const Node* add = svc.find("build")->find("additional_contexts");
  EXPECT_EQ(add->find("shared")->value(), "/shared");
  EXPECT_EQ(add->find("img")->value(), "docker-image://alpine");
  EXPECT_EQ(add->find("other")->value(), "service:base");
  EXPECT_TRUE(svc.find("build")->find("ssh")->find("default")->is_null());
  EXPECT_EQ(svc.find("build")->find("ssh")->find("key")->value(), "/home/me/.ssh/id");
  EXPECT_EQ(svc.find("env_file")->items()[0].find("path")->value(), "/project/.env");
  EXPECT_EQ(svc.find("env_file")->items()[1].find("path")->value(), "/etc/abs.env");
  EXPECT_EQ(svc.find("label_file")->items()[0].value(), "/project/labels");
  EXPECT_EQ(svc.find("label_file")->items()[1].value(), "/home/me/more");
  const auto& vols = svc.find("volumes")->items();
  EXPECT_EQ(vols[0].find("source")->value(), "/project/data");
  EXPECT_EQ(vols[1].find("source")->value(), "/home/me/cache");
  EXPECT_EQ(vols[2].find("source")->value(), "C:\\win");
  EXPECT_EQ(vols[3].find("source")->value(), "named");
  EXPECT_EQ(svc.find("extends")->find("file")->value(), "/common/base.yml");
}

TEST(Paths, ContextVariants) {
  struct Case {
    std::string context, resolved;
  } cases[] = {
      {".", "/project"},
      {"/abs", "/abs"},
      {"https://github.com/docker/app.git#main:dir", "https://github.com/docker/app.git#main:dir"},
      {"git@github.com:docker/app.git", "git@github.com:docker/app.git"},
      {"~/src", "/home/me/src"},
  };
  for (const auto& c : cases) {
    Node svc = Node::mapping();
    svc.set("build", Node::mapping()).set("context", Node::string(c.context));
    resolve_service_paths(svc, kBase, kHome);
    EXPECT_EQ(svc.find("build")->find("context")->value(), c.resolved) << c.context;
  }
}

TEST(Paths, RemoteExtendsFileKept) {
  Node svc = yaml("extends: {service: a, file: 'https://example.com/base.yml'}\n");
  resolve_service_paths(svc, kBase, kHome);
  EXPECT_EQ(svc.find("extends")->find("file")->value(), "https://example.com/base.yml");
}

TEST(Paths, ProjectPaths) {
  Node project = yaml(R"(
services:
  web:
    build: {context: web}
secrets:
  token: {file: ./token.txt}
  ext: {external: true}
configs:
  conf: {file: ../conf.ini}
volumes:
  data:
    driver: local
    driver_opts: {type: none, o: bind, device: ./data}
  other:
    driver_opts: {o: bind, device: ./not-local}
include:
  - path: [sub/compose.yml, /abs/compose.yml]
    project_directory: sub
    env_file: [sub/.env]
)");
  resolve_project_paths(project, kBase, kHome);
  EXPECT_EQ(project.find("services")->find("web")->find("build")->find("context")->value(), "/project/web");
  EXPECT_EQ(project.find("secrets")->find("token")->find("file")->value(), "/project/token.txt");
  EXPECT_EQ(project.find("configs")->find("conf")->find("file")->value(), "/conf.ini");
  EXPECT_EQ(project.find("volumes")->find("data")->find("driver_opts")->find("device")->value(), "/project/data");
  // compose-go rewrites the device only when the driver is explicitly "local".
  EXPECT_EQ(project.find("volumes")->find("other")->find("driver_opts")->find("device")->value(), "./not-local");
  const Node& inc = project.find("include")->items()[0];
  EXPECT_EQ(inc.find("path")->items()[0].value(), "/project/sub/compose.yml");
  EXPECT_EQ(inc.find("path")->items()[1].value(), "/abs/compose.yml");
  EXPECT_EQ(inc.find("project_directory")->value(), "/project/sub");
  EXPECT_EQ(inc.find("env_file")->items()[0].value(), "/project/sub/.env");
}

TEST(Paths, WatchPathResolvesFirstSymlink) {
  auto dir = std::filesystem::temp_directory_path() / ("stack_paths_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "real" / "src");
  std::filesystem::create_directory_symlink(dir / "real", dir / "link");
  Node svc = yaml("develop:\n  watch:\n    - {path: link/src, action: sync, target: /app}\n");
  resolve_service_paths(svc, dir.string(), kHome);
  EXPECT_EQ(svc.find("develop")->find("watch")->items()[0].find("path")->value(), (dir / "real" / "src").string());
  std::filesystem::remove_all(dir);
}

TEST(Paths, MarksKept) {
  Node svc = yaml("build:\n  context: ./app\n");
  resolve_service_paths(svc, kBase, kHome);
  EXPECT_EQ(svc.find("build")->find("context")->mark().str(), "compose.yml:2:12");
}

}  // namespace
}  // namespace stack::compose
