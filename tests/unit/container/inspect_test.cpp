// Inspect and list JSON shapes (field names and order), status texts, durations.
#include <gtest/gtest.h>

#include "engine/container/create.h"
#include "engine/container/inspect.h"
#include "engine/container/time_util.h"

namespace stack::container {
namespace {

using namespace std::chrono_literals;
using nlohmann::ordered_json;

std::vector<std::string> keys(const ordered_json& o) {
  std::vector<std::string> k;
  for (const auto& [key, _] : o.items()) k.push_back(key);
  return k;
}

Record sample(const nlohmann::json& body = {{"Image", "busybox"}, {"Cmd", {"sh", "-c", "echo hi"}}}) {
  image::ImageConfig img;
  img.config.env = {"PATH=/bin"};
  auto r = record_from_create(body, "web", img, "sha256:" + std::string(64, 'b'));
  EXPECT_TRUE(r) << r.error().message;
  set_paths(*r, "/var/lib/stack");
  return *r;
}

TEST(ContainerInspect, TopLevelFieldsInDockersOrder) {
  auto j = inspect_json(sample());
  EXPECT_EQ(keys(j), (std::vector<std::string>{"Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath",
                                               "HostnamePath", "HostsPath", "LogPath", "Name", "RestartCount", "Driver",
                                               "Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs",
                                               "HostConfig", "GraphDriver", "Mounts", "Config", "NetworkSettings"}));
  EXPECT_EQ(j["Path"], "sh");
  EXPECT_EQ(j["Args"], (ordered_json{"-c", "echo hi"}));
  EXPECT_EQ(j["Name"], "/web");
  EXPECT_EQ(j["Driver"], "overlay2");
  EXPECT_EQ(j["Platform"], "linux");
  EXPECT_TRUE(j["ExecIDs"].is_null());
  EXPECT_EQ(j["Mounts"], ordered_json::array());
  EXPECT_EQ(keys(j["State"]), (std::vector<std::string>{"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead",
                                                         "Pid", "ExitCode", "Error", "StartedAt", "FinishedAt"}));
  EXPECT_EQ(j["State"]["Status"], "created");
  EXPECT_EQ(j["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
}

TEST(ContainerInspect, ConfigAndHostConfigShapes) {
  auto j = inspect_json(sample());
  EXPECT_EQ(keys(j["Config"]),
            (std::vector<std::string>{"Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
                                      "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Image", "Volumes", "WorkingDir",
                                      "Entrypoint", "OnBuild", "Labels"}));
  EXPECT_EQ(j["Config"]["Labels"], ordered_json::object());
  EXPECT_TRUE(j["Config"]["Entrypoint"].is_null());
  EXPECT_TRUE(j["Config"]["Volumes"].is_null());
  const auto& h = j["HostConfig"];
  auto hk = keys(h);
  const std::vector<std::string> expected_prefix = {
      "Binds",       "ContainerIDFile", "LogConfig",  "NetworkMode", "PortBindings",   "RestartPolicy",
      "AutoRemove",  "VolumeDriver",    "VolumesFrom", "ConsoleSize", "CapAdd",         "CapDrop",
      "CgroupnsMode", "Dns",            "DnsOptions", "DnsSearch",   "ExtraHosts",     "GroupAdd",
      "IpcMode",     "Cgroup",          "Links",      "OomScoreAdj", "PidMode",        "Privileged",
      "PublishAllPorts", "ReadonlyRootfs", "SecurityOpt", "UTSMode", "UsernsMode",     "ShmSize",
      "Runtime",     "Isolation",       "CpuShares",  "Memory",      "NanoCpus",       "CgroupParent",
      "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
      "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus",
      "CpusetMems",  "Devices",         "DeviceCgroupRules", "DeviceRequests", "MemoryReservation", "MemorySwap",
      "MemorySwappiness", "OomKillDisable", "PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps",
      "IOMaximumBandwidth", "MaskedPaths", "ReadonlyPaths"};
  EXPECT_EQ(hk, expected_prefix);
  EXPECT_EQ(h["LogConfig"], (ordered_json{{"Type", "json-file"}, {"Config", ordered_json::object()}}));
  EXPECT_EQ(h["RestartPolicy"], (ordered_json{{"Name", "no"}, {"MaximumRetryCount", 0}}));
  EXPECT_EQ(h["ShmSize"], 67108864);
  EXPECT_EQ(h["ConsoleSize"], (ordered_json{0, 0}));
  EXPECT_TRUE(h["PidsLimit"].is_null());
  EXPECT_EQ(h["OomKillDisable"], false);
  EXPECT_FALSE(h["MaskedPaths"].empty());
}

TEST(ContainerInspect, OptionalFieldsAppearWhenSet) {
  auto r = sample({{"Cmd", {"x"}},
                   {"Healthcheck", {{"Test", {"CMD", "true"}}, {"Interval", 1000000000}}},
                   {"StopSignal", "SIGQUIT"},
                   {"StopTimeout", 5},
                   {"ExposedPorts", {{"80/tcp", nlohmann::json::object()}}},
                   {"HostConfig", {{"Init", true}, {"Tmpfs", {{"/run", ""}}}, {"Privileged", true}, {"NetworkMode", "none"}}}});
  r.state.health = HealthState{"healthy", 0, {{"2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z", 0, "ok"}}};
  auto j = inspect_json(r);
  EXPECT_EQ(j["Config"]["Healthcheck"], (ordered_json{{"Test", {"CMD", "true"}}, {"Interval", 1000000000}}));
  EXPECT_EQ(j["Config"]["StopSignal"], "SIGQUIT");
  EXPECT_EQ(j["Config"]["StopTimeout"], 5);
  EXPECT_EQ(j["Config"]["ExposedPorts"], (ordered_json{{"80/tcp", ordered_json::object()}}));
  EXPECT_EQ(j["HostConfig"]["Init"], true);
  EXPECT_EQ(j["HostConfig"]["Tmpfs"], (ordered_json{{"/run", ""}}));
  EXPECT_TRUE(j["HostConfig"]["MaskedPaths"].is_null());
  EXPECT_EQ(keys(j["State"]["Health"]), (std::vector<std::string>{"Status", "FailingStreak", "Log"}));
  EXPECT_EQ(keys(j["State"]["Health"]["Log"][0]), (std::vector<std::string>{"Start", "End", "ExitCode", "Output"}));
  EXPECT_EQ(keys(j["NetworkSettings"]["Networks"]), std::vector<std::string>{"none"});
  EXPECT_EQ(keys(j["NetworkSettings"]["Networks"]["none"]),
            (std::vector<std::string>{"IPAMConfig", "Links", "Aliases", "MacAddress", "DriverOpts", "GwPriority",
                                      "NetworkID", "EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "IPv6Gateway",
                                      "GlobalIPv6Address", "GlobalIPv6PrefixLen", "DNSNames"}));
}

TEST(ContainerInspect, SummaryShape) {
  auto r = sample();
  r.config.labels = {{"com.example", "1"}};
  auto now = std::chrono::system_clock::now();
  r.state.running = true;
  r.state.status = "running";
  r.state.pid = 42;
  r.state.started_at = format_time(now - 5s);
  auto j = summary_json(r, now);
  EXPECT_EQ(keys(j), (std::vector<std::string>{"Id", "Names", "Image", "ImageID", "Command", "Created", "Ports", "Labels",
                                               "State", "Status", "HostConfig", "NetworkSettings", "Mounts"}));
  EXPECT_EQ(j["Names"], (ordered_json{"/web"}));
  EXPECT_EQ(j["Image"], "busybox");
  EXPECT_EQ(j["ImageID"], "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(j["Command"], "sh -c echo hi");
  auto created = parse_time(r.created);
  ASSERT_TRUE(created);
  EXPECT_EQ(j["Created"], std::chrono::duration_cast<std::chrono::seconds>(created->time_since_epoch()).count());
  EXPECT_EQ(j["State"], "running");
  EXPECT_EQ(j["Status"], "Up 5 seconds");
  EXPECT_EQ(j["HostConfig"], (ordered_json{{"NetworkMode", "default"}}));
  EXPECT_EQ(keys(j["NetworkSettings"]["Networks"]), std::vector<std::string>{"bridge"});
}

TEST(ContainerStatus, HumanDuration) {
  EXPECT_EQ(human_duration(0s), "Less than a second");
  EXPECT_EQ(human_duration(999ms), "Less than a second");
  EXPECT_EQ(human_duration(1s), "1 second");
  EXPECT_EQ(human_duration(59s), "59 seconds");
  EXPECT_EQ(human_duration(60s), "About a minute");
  EXPECT_EQ(human_duration(119s), "About a minute");
  EXPECT_EQ(human_duration(120s), "2 minutes");
  EXPECT_EQ(human_duration(59min), "59 minutes");
  EXPECT_EQ(human_duration(60min), "About an hour");
  EXPECT_EQ(human_duration(89min), "About an hour");
  EXPECT_EQ(human_duration(90min), "2 hours");
  EXPECT_EQ(human_duration(47h), "47 hours");
  EXPECT_EQ(human_duration(48h), "2 days");
  EXPECT_EQ(human_duration(24h * 14), "2 weeks");
  EXPECT_EQ(human_duration(24h * 60), "2 months");
  EXPECT_EQ(human_duration(24h * 365 * 2), "2 years");
}

TEST(ContainerStatus, Texts) {
  auto now = std::chrono::system_clock::now();
  State s;
  EXPECT_EQ(docker_status_text(s, now), "Created");
  EXPECT_EQ(state_string(s), "created");

  s.running = true;
  s.started_at = format_time(now - 5s);
  EXPECT_EQ(docker_status_text(s, now), "Up 5 seconds");
  EXPECT_EQ(state_string(s), "running");
  s.health = HealthState{"starting", 0, {}};
  EXPECT_EQ(docker_status_text(s, now), "Up 5 seconds (health: starting)");
  s.health->status = "healthy";
  s.started_at = format_time(now - 2min - 3s);
  EXPECT_EQ(docker_status_text(s, now), "Up 2 minutes (healthy)");
  s.health->status = "unhealthy";
  EXPECT_EQ(docker_status_text(s, now), "Up 2 minutes (unhealthy)");
  s.health.reset();
  s.paused = true;
  s.started_at = format_time(now - 3s);
  EXPECT_EQ(docker_status_text(s, now), "Up 3 seconds (Paused)");
  EXPECT_EQ(state_string(s), "paused");
  s.paused = false;
  s.restarting = true;
  s.exit_code = 1;
  s.finished_at = format_time(now - 2s);
  EXPECT_EQ(docker_status_text(s, now), "Restarting (1) 2 seconds ago");
  EXPECT_EQ(state_string(s), "restarting");

  s.running = s.restarting = false;
  s.exit_code = 0;
  s.finished_at = format_time(now - 3min);
  EXPECT_EQ(docker_status_text(s, now), "Exited (0) 3 minutes ago");
  EXPECT_EQ(state_string(s), "exited");
  s.exit_code = 137;
  s.finished_at = format_time(now - 500ms);
  EXPECT_EQ(docker_status_text(s, now), "Exited (137) Less than a second ago");
  s.dead = true;
  EXPECT_EQ(docker_status_text(s, now), "Dead");
  EXPECT_EQ(state_string(s), "dead");
  s.removal_in_progress = true;
  EXPECT_EQ(docker_status_text(s, now), "Removal In Progress");
  EXPECT_EQ(state_string(s), "removing");
}

TEST(ContainerTime, RoundTrip) {
  auto t = parse_time("2024-03-04T05:06:07.123456789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_time(*t), "2024-03-04T05:06:07.123456789Z");
  EXPECT_EQ(format_time(*parse_time("2024-03-04T05:06:07.1Z")), "2024-03-04T05:06:07.1Z");
  EXPECT_EQ(format_time(*parse_time("2024-03-04T05:06:07Z")), "2024-03-04T05:06:07Z");
  EXPECT_FALSE(parse_time("0001-01-01T00:00:00Z"));
  EXPECT_FALSE(parse_time("garbage"));
}

}  // namespace
}  // namespace stack::container
