#include "compose/include.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "common/strings.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

Node yaml(std::string_view text, const std::string& file = "compose.yml") {
  auto n = parse_yaml(text, std::make_shared<const std::string>(file));
  EXPECT_TRUE(n) << n.error().to_string();
  return n ? *n : Node();
}

std::string names(const Node* mapping) {
  std::vector<std::string> out;
  if (mapping) {
    for (const Entry& e : mapping->entries()) out.push_back(e.key);
  }
  return join(out, ",");
}

// In-memory projects by their first file; records what was asked for.
struct FakeProjects {
  std::map<std::string, std::string> files;
  std::vector<IncludeLoadRequest> requests;

  IncludeLoader loader() {
    return [this](const IncludeLoadRequest& req) -> Result<Node> {
      requests.push_back(req);
      auto it = files.find(req.files.front());
      if (it == files.end()) return fail("open " + req.files.front() + ": no such file or directory");
      return yaml(it->second, req.files.front());
    };
  }
};

TEST(Include, AddsResourcesAndRemovesKey) {
  FakeProjects fake;
  fake.files["/p/sub/compose.yml"] =
      "services:\n  db: {image: postgres}\nvolumes:\n  pg: {}\nnetworks:\n  back: {}\n"
      "secrets:\n  pw: {file: /p/sub/pw}\nconfigs:\n  c: {file: /p/sub/c}\nmodels:\n  m: {model: ai/x}\n"
      "name: other\nx-meta: 1\n";
  Node project = yaml("include:\n  - path: [sub/compose.yml]\nservices:\n  web: {image: nginx}\n");
  auto r = apply_include(project, "/p", fake.loader());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(project.contains("include"));
  EXPECT_EQ(names(project.find("services")), "web,db");
  EXPECT_EQ(names(project.find("volumes")), "pg");
  EXPECT_EQ(names(project.find("networks")), "back");
  EXPECT_EQ(names(project.find("secrets")), "pw");
  EXPECT_EQ(names(project.find("configs")), "c");
  EXPECT_EQ(names(project.find("models")), "m");
  EXPECT_FALSE(project.contains("name"));
  EXPECT_FALSE(project.contains("x-meta"));
}

TEST(Include, RequestDefaultsAndRelativePaths) {
  struct Case {
    std::string entry;
    std::vector<std::string> files;
    std::string project_directory;
    std::vector<std::string> env_files;
  } cases[] = {
      {"sub/compose.yml", {"/p/sub/compose.yml"}, "/p/sub", {}},
      {"{path: [a/one.yml, ../two.yml]}", {"/p/a/one.yml", "/two.yml"}, "/p/a", {}},
      {"{path: [/abs/x.yml], project_directory: ..}", {"/abs/x.yml"}, "/", {}},
      {"{path: [x.yml], project_directory: /elsewhere}", {"/p/x.yml"}, "/elsewhere", {}},
      {"{path: [x.yml], env_file: [/dev/null]}", {"/p/x.yml"}, "/p", {"/dev/null"}},
      {"{path: [x.yml], env_file: [/abs/a.env, /abs/b.env]}", {"/p/x.yml"}, "/p", {"/abs/a.env", "/abs/b.env"}},
  };
  for (const auto& c : cases) {
    FakeProjects fake;
    for (const auto& f : c.files) fake.files[f] = "services: {}\n";
    Node project = yaml("include:\n  - " + c.entry + "\n");
    auto r = apply_include(project, "/p", fake.loader());
    ASSERT_TRUE(r) << c.entry << ": " << r.error().to_string();
    ASSERT_EQ(fake.requests.size(), 1u);
    EXPECT_EQ(fake.requests[0].files, c.files) << c.entry;
    EXPECT_EQ(fake.requests[0].project_directory, c.project_directory) << c.entry;
    EXPECT_EQ(fake.requests[0].env_files, c.env_files) << c.entry;
  }
}

class IncludeDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("stack_include_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub" / "env.d");
    std::ofstream(dir_ / "sub" / ".env") << "A=1\n";
    std::ofstream(dir_ / "extra.env") << "B=2\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(IncludeDir, DefaultDotEnvOfProjectDirectory) {
  FakeProjects fake;
  fake.files[dir() + "/sub/compose.yml"] = "services: {}\n";
  Node project = yaml("include:\n  - sub/compose.yml\n");
  ASSERT_TRUE(apply_include(project, dir(), fake.loader()));
  EXPECT_EQ(fake.requests.at(0).env_files, std::vector<std::string>{dir() + "/sub/.env"});
}

TEST_F(IncludeDir, RelativeEnvFileAgainstIncludingProject) {
  FakeProjects fake;
  fake.files[dir() + "/sub/compose.yml"] = "services: {}\n";
  Node project = yaml("include:\n  - path: [sub/compose.yml]\n    env_file: [extra.env]\n");
  ASSERT_TRUE(apply_include(project, dir(), fake.loader()));
  EXPECT_EQ(fake.requests.at(0).env_files, std::vector<std::string>{dir() + "/extra.env"});
}

TEST_F(IncludeDir, EnvFileErrors) {
  struct Case {
    std::string env_file, error;
  } cases[] = {
      {"missing.env", "compose.yml:3:16: include[0].env_file[0]: stat " + dir() + "/missing.env: no such file or directory"},
      {"sub/env.d", "compose.yml:3:16: include[0].env_file[0]: " + dir() + "/sub/env.d is not a file"},
  };
  for (const auto& c : cases) {
    FakeProjects fake;
    Node project = yaml("include:\n  - path: [sub/compose.yml]\n    env_file: [" + c.env_file + "]\n");
    auto r = apply_include(project, dir(), fake.loader());
    ASSERT_FALSE(r) << c.env_file;
    EXPECT_EQ(r.error().to_string(), c.error);
    EXPECT_TRUE(fake.requests.empty());
  }
}

TEST(Include, LocalDefinitionRefinesImportedOne) {
  FakeProjects fake;
  fake.files["/p/inc.yml"] =
      "services:\n  bar:\n    image: busybox\n    environment: {A: '1'}\n"
      "networks:\n  net: {driver: bridge, labels: {x: a}}\n";
  Node project = yaml(
      "include: [{path: [inc.yml]}]\n"
      "services:\n  bar:\n    environment: {B: '2'}\n"
      "networks:\n  net: {labels: {y: b}}\n");
  auto r = apply_include(project, "/p", fake.loader());
  ASSERT_TRUE(r) << r.error().to_string();
  const Node* bar = project.find("services")->find("bar");
  ASSERT_TRUE(bar);
  EXPECT_EQ(bar->find("image")->value(), "busybox");
  EXPECT_EQ(names(bar->find("environment")), "A,B");
  const Node* net = project.find("networks")->find("net");
  EXPECT_EQ(net->find("driver")->value(), "bridge");
  EXPECT_EQ(names(net->find("labels")), "x,y");
}

TEST(Include, LoaderErrorPassesThrough) {
  FakeProjects fake;
  Node project = yaml("include: [{path: [nope.yml]}]\n");
  auto r = apply_include(project, "/p", fake.loader());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "open /p/nope.yml: no such file or directory");
}

TEST(Include, MalformedEntries) {
  struct Case {
    std::string doc, error;
  } cases[] = {
      {"include: {a: b}\n", "compose.yml:1:10: include: must be a list"},
      {"include:\n  - {project_directory: x}\n", "compose.yml:2:5: include[0]: missing property \"path\""},
      {"include:\n  - {path: []}\n", "compose.yml:2:12: include[0].path: must not be empty"},
      {"include:\n  - [a]\n", "compose.yml:2:5: include[0]: must be a string or a mapping"},
  };
  for (const auto& c : cases) {
    FakeProjects fake;
    Node project = yaml(c.doc);
    auto r = apply_include(project, "/p", fake.loader());
    ASSERT_FALSE(r) << c.doc;
    EXPECT_EQ(r.error().to_string(), c.error);
  }
}

// Nested includes: the loader applies include to what it loads, as the real one does.
struct NestedProjects {
  std::map<std::string, std::string> files;
  IncludeLoader loader() {
    return [this](const IncludeLoadRequest& req) -> Result<Node> {
      Node doc = yaml(files.at(req.files.front()), req.files.front());
      if (auto r = apply_include(doc, req.project_directory, loader()); !r) return std::unexpected(r.error());
      return doc;
    };
  }
};

TEST(Include, NestedIncludes) {
  NestedProjects fake;
  fake.files["/p/a/compose.yml"] = "include: [{path: [../b/compose.yml]}]\nservices:\n  a: {image: a}\n";
  fake.files["/p/b/compose.yml"] = "services:\n  b: {image: b}\n";
  Node project = yaml("include: [{path: [a/compose.yml]}]\nservices:\n  main: {image: m}\n");
  auto r = apply_include(project, "/p", fake.loader(), "/p/compose.yml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(names(project.find("services")), "main,a,b");
}

TEST(Include, CycleDetected) {
  NestedProjects fake;
  fake.files["/p/a.yml"] = "include: [{path: [b.yml]}]\n";
  fake.files["/p/b.yml"] = "include:\n  - {path: [compose.yml]}\n";
  fake.files["/p/compose.yml"] = "include: [{path: [a.yml]}]\n";
  Node project = yaml(fake.files["/p/compose.yml"]);
  auto r = apply_include(project, "/p", fake.loader(), "/p/compose.yml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(),
            "/p/b.yml:2:5: include[0]: include cycle detected:\n/p/compose.yml\n include /p/a.yml\n include /p/b.yml\n"
            " include /p/compose.yml");

  // Without the root's name the cycle is still caught, one level later.
  Node again = yaml(fake.files["/p/compose.yml"]);
  r = apply_include(again, "/p", fake.loader());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("include cycle detected:\n/p/a.yml\n include /p/b.yml\n include /p/compose.yml\n include /p/a.yml"),
            std::string::npos)
      << r.error().to_string();
}

TEST(Include, NullIncludeRemoved) {
  FakeProjects fake;
  Node project = yaml("include:\nservices: {}\n");
  ASSERT_TRUE(apply_include(project, "/p", fake.loader()));
  EXPECT_FALSE(project.contains("include"));
}

}  // namespace
}  // namespace stack::compose
