#include "compose/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace stack::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ServiceConfig service(const std::string& name, std::vector<std::string> depends_on = {}) {
  ServiceConfig s;
  s.name = name;
  s.image = "busybox";
  for (const auto& dep : depends_on) s.depends_on[dep].condition = "service_started";
  return s;
}

Project project_of(std::vector<ServiceConfig> services) {
  Project p;
  p.name = "demo";
  for (auto& s : services) p.services[s.name] = std::move(s);
  return p;
}

std::vector<std::string> order(const Project& p, const std::vector<std::string>& names = {}) {
  auto r = in_dependency_order(p, names);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r.value_or(std::vector<std::string>{});
}

std::vector<std::string> reverse_order(const Project& p, const std::vector<std::string>& names = {}) {
  auto r = in_reverse_dependency_order(p, names);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r.value_or(std::vector<std::string>{});
}

std::string error_of(const Result<std::vector<std::string>>& r) {
  return r ? std::string("(no error)") : r.error().message;
}

// web -> api -> db, web -> cache; worker independent.
Project app() {
  return project_of({service("web", {"api", "cache"}), service("api", {"db"}), service("db"), service("cache"),
                     service("worker")});
}

TEST(DependencyOrder, DependenciesFirstTiesByName) {
  EXPECT_THAT(order(app()), ElementsAre("cache", "db", "api", "web", "worker"));
}

TEST(DependencyOrder, IndependentServicesSortByName) {
  EXPECT_THAT(order(project_of({service("zeta"), service("alpha"), service("mid")})),
              ElementsAre("alpha", "mid", "zeta"));
}

TEST(DependencyOrder, EmptyProject) { EXPECT_THAT(order(Project{}), IsEmpty()); }

TEST(DependencyOrder, RestrictedToNamesAndTheirDependencies) {
  EXPECT_THAT(order(app(), {"api"}), ElementsAre("db", "api"));
  EXPECT_THAT(order(app(), {"worker", "api"}), ElementsAre("db", "api", "worker"));
}

TEST(DependencyOrder, NamesMayBeGlobs) {
  EXPECT_THAT(order(app(), {"w*"}), ElementsAre("cache", "db", "api", "web", "worker"));
}

TEST(DependencyOrder, UnknownNameFails) {
  EXPECT_EQ(error_of(in_dependency_order(app(), {"nope"})), "no such service: nope");
  EXPECT_EQ(error_of(in_reverse_dependency_order(app(), {"nope"})), "no such service: nope");
}

TEST(DependencyOrder, ReverseIsDependentsFirst) {
  EXPECT_THAT(reverse_order(app()), ElementsAre("web", "api", "cache", "db", "worker"));
}

TEST(DependencyOrder, ReverseRestrictedToNamesAndTheirDependents) {
  // Stopping db stops what needs it first; cache and worker are left alone.
  EXPECT_THAT(reverse_order(app(), {"db"}), ElementsAre("web", "api", "db"));
}

TEST(DependencyOrder, ImplicitDependencies) {
  Project p = project_of({service("app"), service("net"), service("data"), service("peer"), service("ns")});
  p.services["app"].network_mode = "service:net";
  p.services["app"].volumes_from = {"data:ro", "container:outside"};
  p.services["app"].links = {"peer:alias"};
  p.services["app"].pid = "service:ns";
  EXPECT_THAT(order(p), ElementsAre("data", "net", "ns", "peer", "app"));
}

TEST(DependencyOrder, ServiceReferencesNameTheirKeys) {
  ServiceConfig s = service("app", {"db"});
  s.links = {"cache", "peer:alias"};
  s.network_mode = "service:net";
  s.ipc = "service:ipcowner";
  s.volumes_from = {"container:x", "data:rw"};
  std::vector<std::string> described;
  for (const auto& ref : service_references(s)) described.push_back(ref.service + " @ " + ref.key_path);
  EXPECT_THAT(described, ElementsAre("db @ services.app.depends_on.db", "cache @ services.app.links[0]",
                                     "peer @ services.app.links[1]", "net @ services.app.network_mode",
                                     "ipcowner @ services.app.ipc", "data @ services.app.volumes_from[1]"));
}

TEST(DependencyOrder, OptionalDependencyOnAbsentServiceIsIgnored) {
  Project p = project_of({service("web", {"db"})});
  p.services["web"].depends_on["db"].required = false;
  EXPECT_THAT(order(p), ElementsAre("web"));
}

TEST(DependencyOrder, RequiredDependencyOnDisabledServiceFails) {
  Project p = project_of({service("web", {"db"})});
  ServiceConfig db = service("db");
  db.profiles = {"debug", "full"};
  p.disabled_services["db"] = db;
  EXPECT_EQ(error_of(in_dependency_order(p)),
            "services.web.depends_on.db: service db is required by web but is disabled. Can be enabled by profiles "
            "[debug full]");
}

TEST(DependencyOrder, RequiredDependencyOnUnknownServiceFails) {
  EXPECT_EQ(error_of(in_dependency_order(project_of({service("web", {"db"})}))),
            "services.web.depends_on.db: service \"web\" depends on undefined service \"db\": invalid compose project");
}

Project with_sources(Project p) {
  auto sources = std::make_shared<SourceMap>();
  auto file = std::make_shared<const std::string>("compose.yml");
  sources->record("services.a", Mark{file, 2, 3});
  sources->record("services.a.depends_on.b", Mark{file, 4, 7});
  sources->record("services.b", Mark{file, 5, 3});
  p.sources = sources;
  return p;
}

TEST(DependencyCycle, TwoServices) {
  Project p = with_sources(project_of({service("a", {"b"}), service("b", {"a"})}));
  EXPECT_EQ(error_of(in_dependency_order(p)),
            "compose.yml:4:7: services.a.depends_on.b: dependency cycle detected: a -> b -> a");
}

TEST(DependencyCycle, SelfDependency) {
  Project p = with_sources(project_of({service("b", {"b"})}));
  EXPECT_EQ(error_of(in_dependency_order(p)),
            "compose.yml:5:3: services.b.depends_on.b: dependency cycle detected: b -> b");
}

TEST(DependencyCycle, ReportsTheCycleComposeReports) {
  // Compose searches from each service in name order: the cycle c -> d -> c is
  // reached from a, and printed from where it starts.
  Project p = project_of({service("a", {"c"}), service("c", {"d"}), service("d", {"c"}), service("b")});
  EXPECT_EQ(error_of(in_dependency_order(p)), "services.c.depends_on.d: dependency cycle detected: c -> d -> c");
}

TEST(DependencyCycle, ThroughImplicitDependencies) {
  Project p = with_sources(project_of({service("a"), service("b"), service("c")}));
  p.services["a"].network_mode = "service:b";
  p.services["b"].volumes_from = {"c"};
  p.services["c"].links = {"a:alias"};
  EXPECT_EQ(error_of(in_dependency_order(p)),
            "compose.yml:2:3: services.a.network_mode: dependency cycle detected: a -> b -> c -> a");
}

TEST(DependencyCycle, DiamondIsNotACycle) {
  Project p = project_of({service("top", {"left", "right"}), service("left", {"base"}), service("right", {"base"}),
                          service("base")});
  EXPECT_THAT(order(p), ElementsAre("base", "left", "right", "top"));
}

TEST(GraphWalk, ReadyWhenPrerequisitesAreDone) {
  Project p = project_of({service("top", {"left", "right"}), service("left", {"base"}), service("right", {"base"}),
                          service("base")});
  auto graph = ServiceGraph::build(p);
  ASSERT_TRUE(graph) << graph.error().message;
  GraphWalk walk(*graph, WalkDirection::DependenciesFirst);
  EXPECT_THAT(walk.ready(), ElementsAre("base"));
  EXPECT_EQ(walk.next(), "base");
  EXPECT_EQ(walk.next(), std::nullopt);  // base still running
  walk.done("base");
  EXPECT_THAT(walk.ready(), ElementsAre("left", "right"));
  EXPECT_EQ(walk.next(), "left");
  EXPECT_EQ(walk.next(), "right");  // both may run at once
  walk.done("right");
  EXPECT_THAT(walk.ready(), IsEmpty());  // top waits for left
  walk.done("left");
  EXPECT_EQ(walk.next(), "top");
  EXPECT_FALSE(walk.finished());
  walk.done("top");
  EXPECT_TRUE(walk.finished());
}

TEST(GraphWalk, DependentsFirstWithSubset) {
  auto graph = ServiceGraph::build(app());
  ASSERT_TRUE(graph);
  EXPECT_THAT(graph->dependents("db"), ElementsAre("api"));
  EXPECT_THAT(graph->dependencies("web"), ElementsAre("api", "cache"));
  GraphWalk walk(*graph, WalkDirection::DependentsFirst, {"api", "db"});
  EXPECT_THAT(walk.ready(), ElementsAre("api"));  // web is outside the walk: it does not hold api back
}

TEST(SelectServices, KeepsNamesAndDependencies) {
  Project p = app();
  ASSERT_TRUE(select_services(p, {"api"}));
  EXPECT_THAT(p.service_names(), ElementsAre("api", "db"));
  std::vector<std::string> disabled;
  for (const auto& [name, s] : p.disabled_services) disabled.push_back(name);
  EXPECT_THAT(disabled, ElementsAre("cache", "web", "worker"));
}

TEST(SelectServices, DropsOptionalDependenciesOutsideTheSelection) {
  Project p = project_of({service("web", {"db", "metrics"}), service("db")});
  p.services["web"].depends_on["metrics"].required = false;
  ASSERT_TRUE(select_services(p, {"web"}));
  EXPECT_THAT(p.services["web"].dependencies(), ElementsAre("db"));
}

TEST(SelectServices, EmptyKeepsAll) {
  Project p = app();
  ASSERT_TRUE(select_services(p, {}));
  EXPECT_EQ(p.services.size(), 5u);
}

TEST(SelectServices, UnknownNameFails) {
  Project p = app();
  auto r = select_services(p, {"nope"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "no such service: nope");
  EXPECT_EQ(p.services.size(), 5u);
}

TEST(PruneUnusedResources, KeepsOnlyWhatServicesUse) {
  Project p = project_of({service("web")});
  ServiceConfig& web = p.services["web"];
  web.networks["front"] = std::nullopt;
  web.volumes.resize(2);
  web.volumes[0].type = "volume", web.volumes[0].source = "data", web.volumes[0].target = "/data";
  web.volumes[1].type = "bind", web.volumes[1].source = "logs", web.volumes[1].target = "/logs";
  web.secrets.resize(1);
  web.secrets[0].source = "token";
  web.build.emplace().context = ".";
  web.build->secrets.resize(1);
  web.build->secrets[0].source = "npmrc";
  web.configs.resize(1);
  web.configs[0].source = "conf";
  web.models["llm"] = std::nullopt;
  for (const char* n : {"front", "back"}) p.networks[n] = {};
  for (const char* n : {"data", "logs", "unused"}) p.volumes[n] = {};
  for (const char* n : {"token", "npmrc", "other"}) p.secrets[n] = {};
  for (const char* n : {"conf", "other"}) p.configs[n] = {};
  for (const char* n : {"llm", "other"}) p.models[n] = {};
  prune_unused_resources(p);
  auto keys = [](const auto& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m) out.push_back(k);
    return out;
  };
  EXPECT_THAT(keys(p.networks), ElementsAre("front"));
  EXPECT_THAT(keys(p.volumes), ElementsAre("data"));
  EXPECT_THAT(keys(p.secrets), ElementsAre("npmrc", "token"));
  EXPECT_THAT(keys(p.configs), ElementsAre("conf"));
  EXPECT_THAT(keys(p.models), ElementsAre("llm"));
}

}  // namespace
}  // namespace stack::compose
