#include "compose/validate.h"

#include <gtest/gtest.h>

#include <functional>

namespace stack::compose {
namespace {

ServiceConfig service(const std::string& name) {
  ServiceConfig s;
  s.name = name;
  s.image = "busybox";
  return s;
}

ServiceVolumeConfig volume(const std::string& type, const std::string& source, const std::string& target) {
  ServiceVolumeConfig v;
  v.type = type;
  v.source = source;
  v.target = target;
  return v;
}

FileReferenceConfig reference(const std::string& source) {
  FileReferenceConfig r;
  r.source = source;
  return r;
}

// A valid project: web depends on db, both on the default network. Marks are
// recorded for a few keys only; others are located at their nearest ancestor.
Project base_project() {
  Project p;
  p.name = "demo";
  p.services["web"] = service("web");
  p.services["db"] = service("db");
  p.services["web"].depends_on["db"].condition = "service_started";
  p.services["web"].networks["default"] = std::nullopt;
  p.networks["default"].name = "demo_default";
  auto sources = std::make_shared<SourceMap>();
  auto file = std::make_shared<const std::string>("compose.yml");
  sources->record("services", Mark{file, 2, 1});
  sources->record("services.web", Mark{file, 3, 3});
  sources->record("services.web.depends_on.db", Mark{file, 6, 7});
  sources->record("services.web.scale", Mark{file, 9, 5});
  sources->record("services.db", Mark{file, 12, 3});
  sources->record("volumes", Mark{file, 20, 1});
  sources->record("secrets", Mark{file, 30, 1});
  sources->record("configs", Mark{file, 40, 1});
  p.sources = sources;
  return p;
}

struct Case {
  std::string name;
  std::function<void(Project&)> change;
  std::string error;  // empty: valid
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

std::string run(const std::function<Result<void>(const Project&)>& check, const Case& c) {
  Project p = base_project();
  c.change(p);
  auto r = check(p);
  return r ? std::string() : r.error().message;
}

// --- validate_project ---------------------------------------------------------

const Case kProjectCases[] = {
    {"BaseProjectIsValid", [](Project&) {}, ""},

    // Image or build.
    {"NeitherImageNorBuild", [](Project& p) { p.services["web"].image.clear(); },
     "compose.yml:3:3: services.web: service \"web\" has neither an image nor a build context specified: invalid "
     "compose project"},
    {"BuildWithoutImage",
     [](Project& p) {
       p.services["web"].image.clear();
       p.services["web"].build.emplace().context = ".";
     },
     ""},
    {"ProviderWithoutImage",
     [](Project& p) {
       p.services["web"].image.clear();
       p.services["web"].provider.emplace().type = "model";
     },
     ""},
    {"DockerfileAndInline",
     [](Project& p) {
       auto& b = p.services["web"].build.emplace();
       b.dockerfile = "Dockerfile";
       b.dockerfile_inline = "FROM busybox";
     },
     "compose.yml:3:3: services.web.build.dockerfile_inline: service \"web\" declares mutualy exclusive dockerfile and "
     "dockerfile_inline: invalid compose project"},
    {"DockerfileInlineAlone", [](Project& p) { p.services["web"].build.emplace().dockerfile_inline = "FROM x"; }, ""},
    {"AdditionalContextUnknownService",
     [](Project& p) { p.services["web"].build.emplace().additional_contexts["base"] = "service:nope"; },
     "compose.yml:3:3: services.web.build.additional_contexts.base: service \"web\" declares unknown service \"nope\" "
     "as additional contexts base"},
    {"AdditionalContextNonBuildableService",
     [](Project& p) { p.services["web"].build.emplace().additional_contexts["base"] = "service:db"; },
     "compose.yml:3:3: services.web.build.additional_contexts.base: service \"web\" declares non-buildable service "
     "\"db\" as additional contexts base"},
    {"AdditionalContextBuildableService",
     [](Project& p) {
       p.services["web"].build.emplace().additional_contexts["base"] = "service:db";
       p.services["db"].build.emplace().context = "./db";
     },
     ""},
    {"PlatformNotInBuildPlatforms",
     [](Project& p) {
       p.services["web"].build.emplace().platforms = {"linux/amd64"};
       p.services["web"].platform = "linux/arm64";
     },
     "compose.yml:3:3: services.web.platform: service.build.platforms MUST include service.platform \"linux/arm64\": "
     "invalid compose project"},
    {"PlatformInBuildPlatforms",
     [](Project& p) {
       p.services["web"].build.emplace().platforms = {"linux/amd64", "linux/arm64"};
       p.services["web"].platform = "linux/arm64";
     },
     ""},

    // Networks.
    {"NetworkModeAndNetworks", [](Project& p) { p.services["web"].network_mode = "host"; },
     "compose.yml:3:3: services.web.network_mode: service web declares mutually exclusive `network_mode` and "
     "`networks`: invalid compose project"},
    {"NetworkModeAlone",
     [](Project& p) {
       p.services["web"].networks.clear();
       p.services["web"].network_mode = "host";
     },
     ""},
    {"UndefinedNetwork", [](Project& p) { p.services["web"].networks["front"] = std::nullopt; },
     "compose.yml:3:3: services.web.networks.front: service \"web\" refers to undefined network front: invalid compose "
     "project"},
    {"DefinedNetwork",
     [](Project& p) {
       p.services["web"].networks["front"] = std::nullopt;
       p.networks["front"].name = "demo_front";
     },
     ""},

    // Healthcheck.
    {"HealthcheckTestBadKind", [](Project& p) { p.services["web"].healthcheck.emplace().test = {"curl", "-f", "x"}; },
     "compose.yml:3:3: services.web.healthcheck.test: healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or "
     "\"NONE\""},
    {"HealthcheckTestCmdShell",
     [](Project& p) { p.services["web"].healthcheck.emplace().test = {"CMD-SHELL", "curl -f x"}; }, ""},
    {"HealthcheckDisableWithTestIsAccepted",  // Compose lets disable win silently.
     [](Project& p) {
       auto& h = p.services["web"].healthcheck.emplace();
       h.test = {"CMD", "true"};
       h.disable = true;
     },
     ""},

    // Dependencies.
    {"DependsOnUndefinedService", [](Project& p) { p.services.erase("db"); },
     "compose.yml:6:7: services.web.depends_on.db: service \"web\" depends on undefined service \"db\": invalid compose "
     "project"},
    {"DependsOnUndefinedOptionalServiceStillFails",
     [](Project& p) {
       p.services.erase("db");
       p.services["web"].depends_on["db"].required = false;
     },
     "compose.yml:6:7: services.web.depends_on.db: service \"web\" depends on undefined service \"db\": invalid compose "
     "project"},
    {"DependsOnDisabledRequiredService",
     [](Project& p) {
       p.disabled_services["db"] = p.services["db"];
       p.services.erase("db");
     },
     "compose.yml:6:7: services.web.depends_on.db: service \"web\" depends on undefined service \"db\": invalid compose "
     "project"},
    {"DependsOnDisabledOptionalService",
     [](Project& p) {
       p.disabled_services["db"] = p.services["db"];
       p.services.erase("db");
       p.services["web"].depends_on["db"].required = false;
     },
     ""},
    {"LinkToUndefinedService", [](Project& p) { p.services["web"].links = {"db", "cache:c"}; },
     "compose.yml:3:3: services.web.links[1]: service \"web\" depends on undefined service \"cache\": invalid compose "
     "project"},
    {"VolumesFromUndefinedService", [](Project& p) { p.services["web"].volumes_from = {"data:ro"}; },
     "compose.yml:3:3: services.web.volumes_from[0]: service \"web\" depends on undefined service \"data\": invalid "
     "compose project"},
    {"VolumesFromContainerAndService", [](Project& p) { p.services["web"].volumes_from = {"container:x", "db:ro"}; },
     ""},
    {"IpcOfUndefinedService", [](Project& p) { p.services["web"].ipc = "service:nope"; },
     "compose.yml:3:3: services.web.ipc: service \"web\" depends on undefined service \"nope\": invalid compose "
     "project"},
    {"NetworkModeOfUndefinedService",
     [](Project& p) {
       p.services["web"].networks.clear();
       p.services["web"].network_mode = "service:nope";
     },
     "compose.yml:3:3: services.web.network_mode: service \"nope\" not found for network_mode 'service:nope'"},
    {"NetworkModeOfService",
     [](Project& p) {
       p.services["web"].networks.clear();
       p.services["web"].network_mode = "service:db";
     },
     ""},
    {"DependencyCycle", [](Project& p) { p.services["db"].links = {"web"}; },
     "compose.yml:12:3: services.db.links[0]: dependency cycle detected: db -> web -> db"},
    {"SelfDependency", [](Project& p) { p.services["web"].depends_on["web"].condition = "service_started"; },
     "compose.yml:3:3: services.web.depends_on.web: dependency cycle detected: web -> web"},

    // Undefined top-level objects.
    {"UndefinedVolume",
     [](Project& p) { p.services["web"].volumes = {volume("bind", "./src", "/src"), volume("volume", "data", "/d")}; },
     "compose.yml:3:3: services.web.volumes[1]: service \"web\" refers to undefined volume data: invalid compose "
     "project"},
    {"DeclaredAndAnonymousVolumes",
     [](Project& p) {
       p.services["web"].volumes = {volume("volume", "data", "/d"), volume("volume", "", "/cache")};
       p.volumes["data"].name = "demo_data";
     },
     ""},
    {"UndefinedBuildSecret",
     [](Project& p) { p.services["web"].build.emplace().secrets = {reference("npmrc")}; },
     "compose.yml:3:3: services.web.build.secrets[0]: service \"web\" refers to undefined build secret npmrc: invalid "
     "compose project"},
    {"UndefinedConfig", [](Project& p) { p.services["web"].configs = {reference("conf")}; },
     "compose.yml:3:3: services.web.configs[0]: service \"web\" refers to undefined config conf: invalid compose "
     "project"},
    {"UndefinedModel", [](Project& p) { p.services["web"].models["llm"] = std::nullopt; },
     "compose.yml:3:3: services.web.models.llm: service \"web\" refers to undefined model llm: invalid compose "
     "project"},
    {"UndefinedSecret", [](Project& p) { p.services["web"].secrets = {reference("token")}; },
     "compose.yml:3:3: services.web.secrets[0]: service \"web\" refers to undefined secret token: invalid compose "
     "project"},
    {"DefinedSecretConfigModel",
     [](Project& p) {
       p.services["web"].secrets = {reference("token")};
       p.services["web"].configs = {reference("conf")};
       p.services["web"].models["llm"] = std::nullopt;
       p.secrets["token"].file = "./token.txt";
       p.configs["conf"].file = "./conf.ini";
       p.models["llm"].model = "ai/smollm2";
     },
     ""},

    // Scale, replicas, resources.
    {"ScaleAndReplicasDiffer",
     [](Project& p) {
       p.services["web"].scale = 2;
       p.services["web"].deploy.emplace().replicas = 3;
     },
     "compose.yml:9:5: services.web: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose "
     "project"},
    {"ScaleAndReplicasEqual",
     [](Project& p) {
       p.services["web"].scale = 2;
       p.services["web"].deploy.emplace().replicas = 2;
     },
     ""},
    {"NegativeScale", [](Project& p) { p.services["web"].scale = -1; },
     "compose.yml:9:5: services.web.scale: must be greater than or equal to 0"},
    {"NegativeReplicas", [](Project& p) { p.services["web"].deploy.emplace().replicas = -1; },
     "compose.yml:3:3: services.web.deploy.replicas: must be greater than or equal to 0"},
    {"ZeroReplicas", [](Project& p) { p.services["web"].deploy.emplace().replicas = 0; }, ""},
    {"CpusDiffer",
     [](Project& p) {
       p.services["web"].cpus = 1.5f;
       p.services["web"].deploy.emplace().resources.limits.emplace().cpus = 2;
     },
     "compose.yml:3:3: services.web: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': invalid "
     "compose project"},
    {"CpusEqual",
     [](Project& p) {
       p.services["web"].cpus = 1.5f;
       p.services["web"].deploy.emplace().resources.limits.emplace().cpus = 1.5f;
     },
     ""},
    {"MemLimitDiffers",
     [](Project& p) {
       p.services["web"].mem_limit.bytes = 1 << 20;
       p.services["web"].deploy.emplace().resources.limits.emplace().memory.bytes = 2 << 20;
     },
     "compose.yml:3:3: services.web: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory': "
     "invalid compose project"},
    {"MemReservationDiffers",
     [](Project& p) {
       p.services["web"].mem_reservation.bytes = 1 << 20;
       p.services["web"].deploy.emplace().resources.reservations.emplace().memory.bytes = 2 << 20;
     },
     "compose.yml:3:3: services.web: can't set distinct values on 'mem_reservation' and "
     "'deploy.resources.reservations.memory': invalid compose project"},
    {"PidsLimitDiffers",
     [](Project& p) {
       p.services["web"].pids_limit = 10;
       p.services["web"].deploy.emplace().resources.limits.emplace().pids = 20;
     },
     "compose.yml:3:3: services.web: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids': "
     "invalid compose project"},
    {"ResourcesWithoutDeployLimits",
     [](Project& p) {
       p.services["web"].pids_limit = 10;
       p.services["web"].mem_limit.bytes = 1 << 20;
       p.services["web"].deploy.emplace().replicas = 1;
     },
     ""},

    // Container names.
    {"ContainerNameWithScale",
     [](Project& p) {
       p.services["web"].container_name = "web1";
       p.services["web"].scale = 2;
     },
     "compose.yml:3:3: services.web: can't set container_name and scale as container name must be unique: invalid "
     "compose project"},
    {"ContainerNameWithReplicas",
     [](Project& p) {
       p.services["web"].container_name = "web1";
       p.services["web"].deploy.emplace().replicas = 3;
     },
     "compose.yml:3:3: services.web: can't set container_name and deploy.replicas as container name must be unique: "
     "invalid compose project"},
    {"ContainerNameWithOneReplica",
     [](Project& p) {
       p.services["web"].container_name = "web1";
       p.services["web"].scale = 1;
     },
     ""},
    {"DuplicateContainerName",
     [](Project& p) {
       p.services["web"].container_name = "shared";
       p.services["db"].container_name = "shared";
     },
     "compose.yml:3:3: services.web: container name \"shared\" is already in use by service db"},
    {"DistinctContainerNames",
     [](Project& p) {
       p.services["web"].container_name = "web1";
       p.services["db"].container_name = "db1";
     },
     ""},

    // develop.watch.
    {"WatchSyncWithoutTarget",
     [](Project& p) {
       auto& w = p.services["web"].develop.emplace().watch.emplace_back();
       w.path = "./src";
       w.action = "sync";
     },
     "compose.yml:3:3: services.web.develop.watch: target is required for non-rebuild actions: invalid compose "
     "project"},
    {"WatchRebuildWithoutTarget",
     [](Project& p) {
       auto& w = p.services["web"].develop.emplace().watch.emplace_back();
       w.path = "./src";
       w.action = "rebuild";
     },
     ""},
    {"WatchBlankPath",
     [](Project& p) {
       auto& w = p.services["web"].develop.emplace().watch.emplace_back();
       w.action = "rebuild";
     },
     "compose.yml:3:3: services.web.develop.watch[0].path: value can't be blank"},

    // Mount targets.
    {"VolumeOverTmpfs",
     [](Project& p) {
       p.services["web"].tmpfs = {"/run:size=1m"};
       p.services["web"].volumes = {volume("bind", "./run", "/run")};
     },
     "compose.yml:3:3: services.web.volumes[0]: target /run already mounted as services.web.tmpfs[0]"},
    {"TwoVolumesOnOneTarget",
     [](Project& p) { p.services["web"].volumes = {volume("bind", "./a", "/data"), volume("bind", "./b", "/data")}; },
     "compose.yml:3:3: services.web.volumes[1]: target /data already mounted as services.web.volumes[0]"},
    {"DistinctMountTargets",
     [](Project& p) {
       p.services["web"].tmpfs = {"/run"};
       p.services["web"].volumes = {volume("bind", "./a", "/a"), volume("bind", "./b", "/b")};
     },
     ""},

    // Secrets and configs sources.
    {"SecretWithoutSource", [](Project& p) { p.secrets["token"].name = "token"; },
     "compose.yml:30:1: secrets.token: one of file|environment must be set"},
    {"SecretWithFileAndEnvironment",
     [](Project& p) {
       p.secrets["token"].file = "./token";
       p.secrets["token"].environment = "TOKEN";
     },
     "compose.yml:30:1: secrets.token: file|environment attributes are mutually exclusive"},
    {"SecretWithDriverOnly", [](Project& p) { p.secrets["token"].driver = "vault"; },
     "compose.yml:30:1: secrets.token: secret \"token\" must declare either `file` or `environment`: invalid compose "
     "project"},
    {"SecretExternalOrFromEnvironment",
     [](Project& p) {
       p.secrets["ext"].external = true;
       p.secrets["env"].environment = "TOKEN";
     },
     ""},
    {"ConfigWithFileAndContent",
     [](Project& p) {
       p.configs["conf"].file = "./conf";
       p.configs["conf"].content = "x=1";
     },
     "compose.yml:40:1: configs.conf: file|environment|content attributes are mutually exclusive"},
    {"ConfigWithoutSource", [](Project& p) { p.configs["conf"].name = "conf"; },
     "compose.yml:40:1: configs.conf: one of file|environment|content must be set"},
    {"ConfigFromEnvironmentWithResolvedContent",  // content filled in from the environment by a later stage
     [](Project& p) {
       p.configs["conf"].environment = "CONF";
       p.configs["conf"].content = "value of CONF";
     },
     ""},
    {"ConfigWithEnvironmentAndWrittenContent",
     [](Project& p) {
       p.configs["conf"].environment = "CONF";
       p.configs["conf"].content = "x=1";
       p.sources->record("configs.conf.content", Mark{std::make_shared<const std::string>("compose.yml"), 43, 5});
     },
     "compose.yml:40:1: configs.conf: file|environment|content attributes are mutually exclusive"},
    {"ConfigWithInlineContent", [](Project& p) { p.configs["conf"].content = "x=1"; }, ""},

    // External volumes.
    {"ExternalVolumeWithDriver",
     [](Project& p) {
       p.volumes["data"].external = true;
       p.volumes["data"].driver = "local";
     },
     "compose.yml:20:1: volumes.data: conflicting parameters \"external\" and \"driver\" specified"},
    {"ExternalVolumeWithLabels",
     [](Project& p) {
       p.volumes["data"].external = true;
       p.volumes["data"].labels["a"] = "b";
     },
     "compose.yml:20:1: volumes.data: conflicting parameters \"external\" and \"labels\" specified"},
    {"ExternalVolumeWithName",
     [](Project& p) {
       p.volumes["data"].external = true;
       p.volumes["data"].name = "shared-data";
     },
     ""},

    // Key names (the schema's patternProperties).
    {"InvalidServiceName", [](Project& p) { p.services["my web"] = service("my web"); },
     "compose.yml:2:1: services: additional properties 'my web' not allowed"},
    {"InvalidVolumeNames",
     [](Project& p) {
       p.volumes["a/b"].name = "x";
       p.volumes["c:d"].name = "y";
     },
     "compose.yml:20:1: volumes: additional properties 'a/b', 'c:d' not allowed"},
    {"NetworkNamesAreFree", [](Project& p) { p.networks["my net"].name = "x"; }, ""},
    {"ValidNames",
     [](Project& p) {
       p.services["web-1.v2_x"] = service("web-1.v2_x");
       p.volumes["data.v1_x-y"].name = "x";
     },
     ""},

    // Ports and device requests.
    {"InvalidHostIp",
     [](Project& p) {
       auto& port = p.services["web"].ports.emplace_back();
       port.target = 80;
       port.host_ip = "300.1.1.1";
     },
     "compose.yml:3:3: services.web.ports[0]: invalid ip address: 300.1.1.1"},
    {"ValidHostIps",
     [](Project& p) {
       p.services["web"].ports.resize(2);
       p.services["web"].ports[0].host_ip = "127.0.0.1";
       p.services["web"].ports[1].host_ip = "::1";
     },
     ""},
    {"GpuCountAndDeviceIds",
     [](Project& p) {
       auto& gpu = p.services["web"].gpus.emplace_back();
       gpu.count = -1;
       gpu.device_ids = {"0"};
     },
     "compose.yml:3:3: services.web.gpus[0]: \"count\" and \"device_ids\" attributes are exclusive"},
    {"ReservedDeviceCountAndDeviceIds",
     [](Project& p) {
       auto& device = p.services["web"].deploy.emplace().resources.reservations.emplace().devices.emplace_back();
       device.count = 1;
       device.device_ids = {"0"};
     },
     "compose.yml:3:3: services.web.deploy.resources.reservations.devices[0]: \"count\" and \"device_ids\" attributes "
     "are exclusive"},
    {"GpuDeviceIdsOnly", [](Project& p) { p.services["web"].gpus.emplace_back().device_ids = {"0", "1"}; }, ""},
};

class ValidateProject : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateProject, Checks) { EXPECT_EQ(run(validate_project, GetParam()), GetParam().error); }

INSTANTIATE_TEST_SUITE_P(Rules, ValidateProject, ::testing::ValuesIn(kProjectCases),
                         [](const auto& info) { return info.param.name; });

TEST(ValidateProjectErrors, WithoutSourcesTheErrorHasNoLocation) {
  Project p = base_project();
  p.sources = nullptr;
  p.services["web"].image.clear();
  auto r = validate_project(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "services.web: service \"web\" has neither an image nor a build context specified: invalid compose project");
}

TEST(ValidateProjectErrors, ServicesAreCheckedInNameOrder) {
  Project p = base_project();
  p.services["db"].image.clear();
  p.services["web"].image.clear();
  auto r = validate_project(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "compose.yml:12:3: services.db: service \"db\" has neither an image nor a build context specified: invalid "
            "compose project");
}

// --- validate_for_create --------------------------------------------------------

Case restart(const std::string& name, const std::string& policy, const std::string& error) {
  return {name, [policy](Project& p) { p.services["web"].restart = policy; },
          error.empty() ? "" : "compose.yml:3:3: services.web.restart: " + error};
}

Case published(const std::string& name, const std::string& value, const std::string& error) {
  return {name,
          [value](Project& p) {
            auto& port = p.services["web"].ports.emplace_back();
            port.target = 80;
            port.published = value;
            port.protocol = "tcp";
          },
          error.empty() ? "" : "compose.yml:3:3: services.web.ports[0]: " + error};
}

const std::string kUnknownPolicy =
    "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'";

const Case kCreateCases[] = {
    {"BaseProjectIsValid", [](Project&) {}, ""},
    restart("RestartNo", "no", ""),
    restart("RestartAlways", "always", ""),
    restart("RestartOnFailure", "on-failure", ""),
    restart("RestartOnFailureWithCount", "on-failure:3", ""),
    restart("RestartUnlessStopped", "unless-stopped", ""),
    restart("RestartDeployWords", "any", ""),
    restart("RestartUnknown", "sometimes", kUnknownPolicy),
    restart("RestartCountOnAlways", "always:3",
            "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
    restart("RestartNegativeCountOnNo", "no:-1",
            "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"),
    restart("RestartNegativeCount", "on-failure:-1", "invalid restart policy: maximum retry count cannot be negative"),
    restart("RestartCountNotANumber", "on-failure:x",
            "invalid restart policy format: maximum retry count must be an integer"),
    restart("RestartNoPolicyBeforeColon", ":3", "invalid restart policy format: no policy provided before colon"),
    {"DeployRestartUnknownCondition",
     [](Project& p) { p.services["web"].deploy.emplace().restart_policy.emplace().condition = "bogus"; },
     "compose.yml:3:3: services.web.deploy.restart_policy.condition: invalid restart policy: unknown policy 'bogus'; "
     "use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
    {"DeployRestartAttemptsOnAny",
     [](Project& p) {
       auto& policy = p.services["web"].deploy.emplace().restart_policy.emplace();
       policy.condition = "any";
       policy.max_attempts = 3;
     },
     "compose.yml:3:3: services.web.deploy.restart_policy.max_attempts: invalid restart policy: maximum retry count "
     "can only be used with 'on-failure'"},
    {"DeployRestartOnFailureWithAttempts",
     [](Project& p) {
       auto& policy = p.services["web"].deploy.emplace().restart_policy.emplace();
       policy.condition = "on-failure";
       policy.max_attempts = 3;
     },
     ""},

    published("PublishedPort", "8080", ""),
    published("PublishedRange", "8000-8010", ""),
    published("PublishedNone", "", ""),
    published("PublishedRangeReversed", "8010-8000", "invalid hostPort: 8010-8000"),
    published("PublishedTooLarge", "70000", "invalid hostPort: 70000"),
    published("PublishedNotANumber", "80a", "invalid hostPort: 80a"),
    published("PublishedOpenRange", "8000-", "invalid hostPort: 8000-"),
    {"TargetTooLarge", [](Project& p) { p.services["web"].ports.emplace_back().target = 70000; },
     "compose.yml:3:3: services.web.ports[0]: invalid containerPort: 70000"},
    {"UnknownProtocol",
     [](Project& p) {
       auto& port = p.services["web"].ports.emplace_back();
       port.target = 80;
       port.protocol = "icmp";
     },
     "compose.yml:3:3: services.web.ports[0]: invalid proto: icmp"},
    {"UdpAndSctp",
     [](Project& p) {
       p.services["web"].ports.resize(2);
       p.services["web"].ports[0].protocol = "udp";
       p.services["web"].ports[1].protocol = "SCTP";
     },
     ""},

    {"StartIntervalWithoutStartPeriod",
     [](Project& p) { p.services["web"].healthcheck.emplace().start_interval = Duration{1'000'000'000}; },
     "compose.yml:3:3: services.web.healthcheck.start_interval: healthcheck.start_interval requires "
     "healthcheck.start_period to be set"},
    {"StartIntervalWithStartPeriod",
     [](Project& p) {
       auto& h = p.services["web"].healthcheck.emplace();
       h.start_interval = Duration{1'000'000'000};
       h.start_period = Duration{5'000'000'000};
     },
     ""},

    {"StaticAddressWithoutSubnet",
     [](Project& p) { p.services["web"].networks["default"].emplace().ipv4_address = "172.30.0.10"; },
     "compose.yml:3:3: services.web.networks.default.ipv4_address: user specified IP address is supported only when "
     "connecting to networks with user configured subnets"},
    {"StaticAddressWithSubnet",
     [](Project& p) {
       p.services["web"].networks["default"].emplace().ipv4_address = "172.30.0.10";
       p.networks["default"].ipam.config.emplace_back().subnet = "172.30.0.0/24";
     },
     ""},
    {"StaticAddressOnExternalNetwork",
     [](Project& p) {
       p.services["web"].networks["default"].emplace().ipv6_address = "fd00::10";
       p.networks["default"].external = true;
     },
     ""},
};

class ValidateForCreate : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateForCreate, Checks) { EXPECT_EQ(run(validate_for_create, GetParam()), GetParam().error); }

INSTANTIATE_TEST_SUITE_P(Rules, ValidateForCreate, ::testing::ValuesIn(kCreateCases),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace stack::compose
