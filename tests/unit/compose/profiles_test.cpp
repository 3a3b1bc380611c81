#include "compose/profiles.h"

#include <gtest/gtest.h>

#include "common/strings.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

Node yaml(std::string_view text) {
  auto n = parse_yaml(text, std::make_shared<const std::string>("compose.yml"));
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

// The example of the compose spec's profiles.md, in canonical form.
const char* kSpecExample = R"(services:
  foo:
    image: foo
  bar:
    image: bar
    profiles: [test]
  baz:
    image: baz
    depends_on:
      bar: {condition: service_started, required: true}
    profiles: [test]
  zot:
    image: zot
    depends_on:
      bar: {condition: service_started, required: true}
    profiles: [debug]
)";

TEST(Profiles, SpecExample) {
  struct Case {
    std::vector<std::string> profiles, services;
    std::string enabled, disabled, error;
  } cases[] = {
      {{}, {}, "foo", "bar,baz,zot", ""},
      {{"test"}, {}, "foo,bar,baz", "zot", ""},
      {{"debug"},
       {},
       "",
       "",
       "compose.yml:15:7: services.zot.depends_on.bar: service \"zot\" depends on undefined service \"bar\": "
       "invalid compose project"},
      {{"debug", "test"}, {}, "foo,bar,baz,zot", "", ""},
      {{"*"}, {}, "foo,bar,baz,zot", "", ""},
      {{}, {"bar"}, "bar", "foo,baz,zot", ""},
      {{}, {"baz"}, "bar,baz", "foo,zot", ""},
      {{}, {"zot"}, "", "", "compose.yml:15:7: services.zot.depends_on.bar: no such service: bar"},
      {{"test"}, {"zot"}, "bar,zot", "foo,baz", ""},
      {{}, {"foo"}, "foo", "bar,baz,zot", ""},
      {{}, {"nope"}, "", "", "no such service: nope"},
      {{"*"}, {"b*"}, "bar,baz", "foo,zot", ""},
  };
  for (const auto& c : cases) {
    std::string label = "profiles=" + join(c.profiles, ",") + " services=" + join(c.services, ",");
    Node project = yaml(kSpecExample);
    auto disabled = apply_profiles(project, {c.profiles, c.services});
    if (!c.error.empty()) {
      ASSERT_FALSE(disabled) << label;
      EXPECT_EQ(disabled.error().to_string(), c.error) << label;
      continue;
    }
    ASSERT_TRUE(disabled) << label << ": " << disabled.error().to_string();
    EXPECT_EQ(names(project.find("services")), c.enabled) << label;
    EXPECT_EQ(names(&*disabled), c.disabled) << label;
  }
}

TEST(Profiles, ConsistencyCheckCanBeSkipped) {
  Node project = yaml(kSpecExample);
  auto disabled = apply_profiles(project, {{"debug"}, {}, false});
  ASSERT_TRUE(disabled) << disabled.error().to_string();
  EXPECT_EQ(names(project.find("services")), "foo,zot");
}

const char* kOptional = R"(services:
  app:
    image: app
    depends_on:
      cache: {condition: service_started, required: false}
      db: {condition: service_started, required: true}
  cache:
    image: cache
    profiles: [extra]
  db:
    image: db
)";

TEST(Profiles, OptionalDependencyOnDisabledService) {
  // Without a selection compose-go keeps the entry (the service is merely absent).
  Node project = yaml(kOptional);
  auto disabled = apply_profiles(project, {});
  ASSERT_TRUE(disabled) << disabled.error().to_string();
  EXPECT_EQ(names(&*disabled), "cache");
  EXPECT_EQ(names(project.find("services")->find("app")->find("depends_on")), "cache,db");

  // With a selection, dependencies outside it are dropped quietly.
  Node selected = yaml(kOptional);
  disabled = apply_profiles(selected, {{}, {"app"}});
  ASSERT_TRUE(disabled) << disabled.error().to_string();
  EXPECT_EQ(names(selected.find("services")), "app,db");
  EXPECT_EQ(names(selected.find("services")->find("app")->find("depends_on")), "db");
}

TEST(Profiles, UndefinedDependencyIsAnErrorEvenIfOptional) {
  Node project = yaml(
      "services:\n  app:\n    image: app\n    depends_on:\n      ghost: {condition: service_started, required: false}\n");
  auto disabled = apply_profiles(project, {});
  ASSERT_FALSE(disabled);
  EXPECT_EQ(disabled.error().to_string(),
            "compose.yml:5:7: services.app.depends_on.ghost: service \"app\" depends on undefined service \"ghost\": "
            "invalid compose project");
}

TEST(Profiles, SelectionDropsDependenciesOnUnselectedServices) {
  Node project = yaml(R"(services:
  a:
    image: a
  b:
    image: b
    depends_on:
      a: {condition: service_started, required: true}
  c:
    image: c
    depends_on:
      b: {condition: service_started, required: true}
)");
  auto disabled = apply_profiles(project, {{}, {"b"}});
  ASSERT_TRUE(disabled) << disabled.error().to_string();
  EXPECT_EQ(names(project.find("services")), "a,b");
  EXPECT_EQ(names(&*disabled), "c");
  EXPECT_EQ(names(project.find("services")->find("b")->find("depends_on")), "a");
}

TEST(Profiles, NoServices) {
  Node project = yaml("name: x\n");
  auto disabled = apply_profiles(project, {{"a"}, {}});
  ASSERT_TRUE(disabled);
  EXPECT_TRUE(disabled->is_mapping());
  EXPECT_EQ(disabled->size(), 0u);
}

TEST(Profiles, AllProfilesSortedUnique) {
  Node project = yaml(
      "services:\n  a: {profiles: [zeta, debug]}\n  b: {image: b}\n  c: {profiles: [debug, alpha]}\n");
  EXPECT_EQ(join(all_profiles(project), ","), "alpha,debug,zeta");
  EXPECT_TRUE(all_profiles(yaml("name: x\n")).empty());
}

}  // namespace
}  // namespace stack::compose
