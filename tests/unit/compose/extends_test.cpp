#include "compose/extends.h"

#include <gtest/gtest.h>

#include <map>

#include "common/strings.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

Node yaml(std::string_view text, const std::string& file = "/p/compose.yml") {
  auto n = parse_yaml(text, std::make_shared<const std::string>(file));
  EXPECT_TRUE(n) << n.error().to_string();
  return n ? *n : Node();
}

std::string keys(const Node* mapping) {
  std::vector<std::string> out;
  if (mapping) {
    for (const Entry& e : mapping->entries()) out.push_back(e.key);
  }
  return join(out, ",");
}

// Other compose files by absolute path; counts loads.
struct Files {
  std::map<std::string, std::string> text;
  std::map<std::string, int> loads;
  DocumentLoader loader() {
    return [this](const std::string& path) -> Result<Node> {
      ++loads[path];
      auto it = text.find(path);
      if (it == text.end()) return fail("open " + path, ENOENT);
      return yaml(it->second, path);
    };
  }
};

const Node& service(const Node& project, const std::string& name) { return *project.find("services")->find(name); }

TEST(Extends, SameFileInheritsEverything) {
  Files files;
  Node project = yaml(R"(services:
  base:
    image: busybox
    environment: {TZ: utc, PORT: '80'}
    depends_on:
      db: {condition: service_started, required: true}
    volumes_from: [db]
    links: [db]
  web:
    extends: {service: base}
    environment: {PORT: '8080'}
  db:
    image: postgres
)");
  auto r = apply_extends(project, "/p/compose.yml", files.loader());
  ASSERT_TRUE(r) << r.error().to_string();
  const Node& web = service(project, "web");
  EXPECT_FALSE(web.contains("extends"));
  EXPECT_EQ(web.find("image")->value(), "busybox");
  EXPECT_EQ(web.find("environment")->find("PORT")->value(), "8080");
  EXPECT_EQ(web.find("environment")->find("TZ")->value(), "utc");
  // compose-go v2 inherits depends_on, links and volumes_from too.
  EXPECT_EQ(keys(web.find("depends_on")), "db");
  EXPECT_EQ(web.find("links")->items().size(), 1u);
  EXPECT_EQ(web.find("volumes_from")->items().size(), 1u);
  EXPECT_TRUE(files.loads.empty());
}

TEST(Extends, ChainedInSameFile) {
  Files files;
  Node project = yaml(R"(services:
  cli:
    extends: {service: common}
  common:
    image: busybox
    extends: {service: base}
  base:
    image: alpine
    user: root
)");
  auto r = apply_extends(project, "/p/compose.yml", files.loader());
  ASSERT_TRUE(r) << r.error().to_string();
  for (const char* name : {"cli", "common"}) {
    EXPECT_EQ(service(project, name).find("image")->value(), "busybox") << name;
    EXPECT_EQ(service(project, name).find("user")->value(), "root") << name;
    EXPECT_FALSE(service(project, name).contains("extends")) << name;
  }
}

TEST(Extends, OtherFileResolvesItsPathsFirst) {
  Files files;
  files.text["/p/sub/compose.yaml"] = R"(services:
  base:
    build: {context: ..}
    env_file: [{path: base.env, required: true}]
    volumes:
      - {type: bind, source: ./data, target: /data, bind: {create_host_path: true}}
      - {type: bind, source: ~/cache, target: /cache, bind: {create_host_path: true}}
  service:
    extends: {service: base}
    build: {target: target}
)";
  Node project = yaml(R"(services:
  out-base:
    extends: {file: sub/compose.yaml, service: base}
  out-service:
    extends: {file: /p/sub/compose.yaml, service: service}
    env_file: [{path: /p/own.env, required: true}]
)");
  auto r = apply_extends(project, "/p/compose.yml", files.loader(), "/home/me");
  ASSERT_TRUE(r) << r.error().to_string();
  for (const char* name : {"out-base", "out-service"}) {
    const Node& svc = service(project, name);
    EXPECT_EQ(svc.find("build")->find("context")->value(), "/p") << name;
    EXPECT_EQ(svc.find("env_file")->items()[0].find("path")->value(), "/p/sub/base.env") << name;
    EXPECT_EQ(svc.find("volumes")->items()[0].find("source")->value(), "/p/sub/data") << name;
    EXPECT_EQ(svc.find("volumes")->items()[1].find("source")->value(), "/home/me/cache") << name;
  }
  EXPECT_EQ(service(project, "out-service").find("build")->find("target")->value(), "target");
  EXPECT_EQ(service(project, "out-service").find("env_file")->items().size(), 2u);
  EXPECT_EQ(files.loads["/p/sub/compose.yaml"], 1);  // loaded once per apply_extends
  // Values taken from the other file point into it.
  EXPECT_EQ(*service(project, "out-base").find("build")->mark().file, "/p/sub/compose.yaml");
}

TEST(Extends, ChainAcrossFiles) {
  Files files;
  files.text["/p/a/one.yml"] = "services:\n  one:\n    extends: {file: ../b/two.yml, service: two}\n    user: one\n";
  files.text["/p/b/two.yml"] = "services:\n  two:\n    image: two\n    user: two\n    labels: {from: two}\n";
  Node project = yaml("services:\n  web:\n    extends: {file: a/one.yml, service: one}\n");
  auto r = apply_extends(project, "/p/compose.yml", files.loader());
  ASSERT_TRUE(r) << r.error().to_string();
  const Node& web = service(project, "web");
  EXPECT_EQ(web.find("image")->value(), "two");
  EXPECT_EQ(web.find("user")->value(), "one");
  EXPECT_EQ(web.find("labels")->find("from")->value(), "two");
}

TEST(Extends, ResetTagRemovesInheritedKey) {
  Files files;
  Node project = yaml(
      "services:\n  base:\n    image: a\n    command: [echo, hi]\n"
      "  web:\n    extends: {service: base}\n    command: !reset null\n");
  auto r = apply_extends(project, "/p/compose.yml", files.loader());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(service(project, "web").contains("command"));
  EXPECT_EQ(service(project, "web").find("image")->value(), "a");
}

TEST(Extends, Errors) {
  struct Case {
    std::string name, doc, error;
  } cases[] = {
      {"missing service in same file", "services:\n  web:\n    extends: {service: nope}\n",
       "/p/compose.yml:3:14: services.web.extends: cannot extend service \"web\" in /p/compose.yml: service \"nope\" "
       "not found"},
      {"missing service in other file", "services:\n  web:\n    extends: {service: nope, file: base.yml}\n",
       "/p/compose.yml:3:14: services.web.extends: cannot extend service \"web\" in /p/compose.yml: service \"nope\" "
       "not found in base.yml"},
      {"missing file", "services:\n  web:\n    extends: {service: a, file: gone.yml}\n",
       "/p/compose.yml:3:14: services.web.extends.file: open /p/gone.yml: No such file or directory"},
      {"no services section", "services:\n  web:\n    extends: {service: a, file: empty.yml}\n",
       "/p/compose.yml:3:14: services.web.extends: cannot extend service \"web\" in /p/empty.yml: no services section"},
      {"services not a mapping", "services:\n  web:\n    extends: {service: a, file: list.yml}\n",
       "/p/compose.yml:3:14: services.web.extends: cannot extend service \"web\" in /p/list.yml: services must be a "
       "mapping"},
      {"service required", "services:\n  web:\n    extends: {file: base.yml}\n",
       "/p/compose.yml:3:14: extends.web.service is required"},
      {"self", "services:\n  web:\n    extends: {service: web}\n",
       "/p/compose.yml:3:14: services.web.extends: Circular reference:\n  web in /p/compose.yml\n  extends web in "
       "/p/compose.yml"},
      {"cycle", "services:\n  a:\n    extends: {service: b}\n  b:\n    extends: {service: c}\n  c:\n    extends: {service: a}\n",
       "/p/compose.yml:3:14: services.a.extends: Circular reference:\n  a in /p/compose.yml\n  extends b in "
       "/p/compose.yml\n  extends c in /p/compose.yml\n  extends a in /p/compose.yml"},
      {"cycle across files", "services:\n  web:\n    extends: {service: x, file: loop.yml}\n",
       "/p/loop.yml:3:14: services.x.extends: Circular reference:\n  web in /p/compose.yml\n  extends x in "
       "/p/loop.yml\n  extends web in /p/compose.yml\n  extends x in /p/loop.yml"},
      {"service not a mapping", "services:\n  web:\n    extends: {service: base}\n  base: [a]\n",
       "/p/compose.yml:4:9: services.base: must be a mapping"},
  };
  for (const auto& c : cases) {
    Files files;
    files.text["/p/base.yml"] = "services:\n  base: {image: x}\n";
    files.text["/p/empty.yml"] = "name: x\n";
    files.text["/p/list.yml"] = "services: [a]\n";
    files.text["/p/loop.yml"] = "services:\n  x:\n    extends: {service: web, file: compose.yml}\n";
    files.text["/p/compose.yml"] = c.doc;
    Node project = yaml(c.doc);
    auto r = apply_extends(project, "/p/compose.yml", files.loader());
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().to_string(), c.error) << c.name;
  }
}

TEST(Extends, NoServicesIsFine) {
  Files files;
  Node project = yaml("name: x\n");
  EXPECT_TRUE(apply_extends(project, "/p/compose.yml", files.loader()));
}

}  // namespace
}  // namespace stack::compose
