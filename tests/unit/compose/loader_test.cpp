// The loader end to end: file discovery, -f order, stdin, variables and their
// precedence, project names, profiles from the environment.
#include "compose/loader.h"

#include <gtest/gtest.h>

#include "tests/unit/compose/temp_dir.h"

namespace stack::compose {
namespace {

using stack::testing::TempDir;

LoadOptions options_in(const TempDir& dir, std::map<std::string, std::string> env = {}) {
  LoadOptions opts;
  opts.working_dir = dir.path();
  env.emplace("HOME", "/home/u");
  opts.environment = std::move(env);
  return opts;
}

TEST(Loader, DiscoversComposeYamlAndOverride) {
  TempDir dir;
  dir.write("compose.yaml", "services:\n  web:\n    image: a\n");
  dir.write("compose.override.yaml", "services:\n  web:\n    image: b\n");
  auto p = load_project(options_in(dir));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->services.at("web").image, "b");
  EXPECT_EQ(p->config_files.size(), 2u);
}

TEST(Loader, DiscoversInParentFolder) {
  TempDir dir;
  dir.write("docker-compose.yml", "services:\n  web:\n    image: a\n");
  dir.write("sub/deeper/.keep", "");
  auto opts = options_in(dir);
  opts.working_dir = dir.file("sub/deeper");
  auto p = load_project(opts);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->working_dir, dir.path());
}

TEST(Loader, NoFileFound) {
  TempDir dir;
  auto p = load_project(options_in(dir));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().to_string(), "no configuration file provided: not found");
}

TEST(Loader, ComposeFileVariableWithSeparator) {
  TempDir dir;
  dir.write("a.yml", "services:\n  web:\n    image: a\n");
  dir.write("b.yml", "services:\n  web:\n    image: b\n");
  auto p = load_project(options_in(dir, {{"COMPOSE_FILE", "a.yml;b.yml"}, {"COMPOSE_PATH_SEPARATOR", ";"}}));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->services.at("web").image, "b");
}

TEST(Loader, ReadsStdin) {
  TempDir dir;
  auto opts = options_in(dir);
  opts.files = {"-"};
  opts.read_stdin = [] { return Result<std::string>("services:\n  web:\n    image: from-stdin\n"); };
  auto p = load_project(opts);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->services.at("web").image, "from-stdin");
  EXPECT_EQ(p->working_dir, dir.path());
}

TEST(Loader, ShellEnvironmentBeatsDotEnv) {
  TempDir dir;
  dir.write("compose.yml", "services:\n  web:\n    image: \"app:${TAG}-${OTHER}\"\n");
  dir.write(".env", "TAG=from-dotenv\nOTHER=dotenv-other\n");
  auto p = load_project(options_in(dir, {{"TAG", "from-shell"}}));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->services.at("web").image, "app:from-shell-dotenv-other");
}

TEST(Loader, EnvFileFlagReplacesDotEnvAndLaterFilesWin) {
  TempDir dir;
  dir.write("compose.yml", "services:\n  web:\n    image: \"app:${TAG}-${ONLY_DOTENV:-unset}\"\n");
  dir.write(".env", "TAG=dotenv\nONLY_DOTENV=x\n");
  dir.write("one.env", "TAG=one\n");
  dir.write("two.env", "TAG=two\n");
  auto opts = options_in(dir);
  opts.env_files = {"one.env", "two.env"};
  auto p = load_project(opts);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->services.at("web").image, "app:two-unset");
}

TEST(Loader, ProjectNamePrecedence) {
  TempDir dir;
  dir.write("My_App.Dir/compose.yml", "name: from-file\nservices:\n  web:\n    image: a\n");
  dir.write("Other Dir/compose.yml", "services:\n  web:\n    image: a\n");
  auto opts = options_in(dir);
  opts.working_dir = dir.file("My_App.Dir");
  auto p = load_project(opts);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->name, "from-file");

  opts.environment["COMPOSE_PROJECT_NAME"] = "from-env";
  p = load_project(opts);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "from-env");

  opts.project_name = "from-flag";
  p = load_project(opts);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "from-flag");

  // The folder name is normalized rather than rejected.
  auto other = options_in(dir);
  other.working_dir = dir.file("Other Dir");
  p = load_project(other);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->name, "otherdir");
}

TEST(Loader, InvalidProjectNameFlag) {
  TempDir dir;
  dir.write("compose.yml", "services:\n  web:\n    image: a\n");
  auto opts = options_in(dir);
  opts.project_name = "My App";
  auto p = load_project(opts);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().to_string().find("invalid project name \"My App\""), std::string::npos) << p.error().to_string();
}

TEST(Loader, ProfilesFromEnvironment) {
  TempDir dir;
  dir.write("compose.yml",
            "services:\n  app:\n    image: a\n  dbg:\n    image: a\n    profiles: [debug]\n"
            "  ops:\n    image: a\n    profiles: [ops]\n");
  auto p = load_project(options_in(dir));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->service_names(), (std::vector<std::string>{"app"}));

  p = load_project(options_in(dir, {{"COMPOSE_PROFILES", "debug,ops"}}));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->service_names(), (std::vector<std::string>{"app", "dbg", "ops"}));

  auto opts = options_in(dir, {{"COMPOSE_PROFILES", "debug"}});
  opts.profiles = {"ops"};  // --profile replaces COMPOSE_PROFILES
  p = load_project(opts);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->service_names(), (std::vector<std::string>{"app", "ops"}));

  auto named = options_in(dir);
  named.services = {"dbg"};  // enables its profile; the project is narrowed to it (and its dependencies)
  p = load_project(named);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->service_names(), (std::vector<std::string>{"dbg"}));
}

TEST(Loader, RelativePathsResolveAgainstFirstFileFolder) {
  TempDir dir;
  dir.write("proj/compose.yml", "services:\n  web:\n    image: a\n    volumes: [./data:/data]\n");
  dir.write("other/override.yml", "services:\n  web:\n    build: ./ctx\n");
  auto opts = options_in(dir);
  opts.files = {"proj/compose.yml", "other/override.yml"};
  auto p = load_project(opts);
  ASSERT_TRUE(p) << p.error().to_string();
  const auto& web = p->services.at("web");
  ASSERT_EQ(web.volumes.size(), 1u);
  EXPECT_EQ(web.volumes[0].source, dir.file("proj/data"));
  ASSERT_TRUE(web.build);
  EXPECT_EQ(web.build->context, dir.file("proj/ctx"));
}

TEST(Loader, ProjectDirectoryFlag) {
  TempDir dir;
  dir.write("files/compose.yml", "services:\n  web:\n    image: \"${TAG}\"\n    volumes: [./data:/data]\n");
  dir.write("base/.env", "TAG=from-base-env\n");
  auto opts = options_in(dir);
  opts.files = {"files/compose.yml"};
  opts.project_directory = "base";
  auto p = load_project(opts);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->services.at("web").image, "from-base-env");
  EXPECT_EQ(p->services.at("web").volumes[0].source, dir.file("base/data"));
  EXPECT_EQ(p->name, "base");
}

TEST(Loader, EnvFileFoldedIntoEnvironment) {
  TempDir dir;
  dir.write("compose.yml",
            "services:\n  web:\n    image: a\n    env_file: [web.env]\n    environment:\n      B: from-environment\n"
            "      FROM_SHELL:\n      NOT_SET:\n");
  dir.write("web.env", "A=from-file\nB=from-file\n");
  auto p = load_project(options_in(dir, {{"FROM_SHELL", "shell"}}));
  ASSERT_TRUE(p) << p.error().to_string();
  const auto& env = p->services.at("web").environment;
  EXPECT_EQ(env.at("A"), "from-file");
  EXPECT_EQ(env.at("B"), "from-environment");
  EXPECT_EQ(env.at("FROM_SHELL"), "shell");
  EXPECT_FALSE(env.at("NOT_SET").has_value());
}

TEST(Loader, MissingRequiredEnvFile) {
  TempDir dir;
  dir.write("compose.yml", "services:\n  web:\n    image: a\n    env_file: [missing.env]\n");
  auto p = load_project(options_in(dir));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().to_string().find("env file " + dir.file("missing.env") + " not found"), std::string::npos)
      << p.error().to_string();

  dir.write("compose.yml",
            "services:\n  web:\n    image: a\n    env_file:\n      - path: missing.env\n        required: false\n");
  p = load_project(options_in(dir));
  EXPECT_TRUE(p) << p.error().to_string();
}

TEST(Loader, MissingFileNamed) {
  TempDir dir;
  auto opts = options_in(dir);
  opts.files = {"nope.yml"};
  auto p = load_project(opts);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().to_string(), "open " + dir.file("nope.yml") + ": No such file or directory");
}

TEST(Loader, EmptyFile) {
  TempDir dir;
  dir.write("compose.yml", "");
  auto p = load_project(options_in(dir));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().to_string().find("empty compose file"), std::string::npos) << p.error().to_string();
}

}  // namespace
}  // namespace stack::compose
