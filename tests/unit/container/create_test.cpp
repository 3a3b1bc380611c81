// Create-body decoding, image defaults and every validation error with Docker's text.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>

#include "engine/container/create.h"

namespace stack::container {
namespace {

using nlohmann::json;

image::ImageConfig busybox() {
  image::ImageConfig img;
  img.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  img.config.cmd = std::vector<std::string>{"sh"};
  return img;
}

Result<Record> create(const json& body, const image::ImageConfig& img = busybox(), const std::string& name = "web") {
  return record_from_create(body, name, img, "sha256:" + std::string(64, 'a'));
}

std::string error_of(const json& body, const image::ImageConfig& img = busybox(), const std::string& name = "web") {
  auto r = create(body, img, name);
  if (r) return "<no error>";
  EXPECT_EQ(r.error().errno_value, EINVAL) << r.error().message;
  return r.error().message;
}

TEST(ContainerCreate, MinimalBodyGetsDockersDefaults) {
  auto r = create({{"Image", "busybox"}, {"Cmd", {"echo", "hi"}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id.size(), 64u);
  EXPECT_EQ(r->id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(r->name, "/web");
  EXPECT_EQ(r->path, "echo");
  EXPECT_EQ(r->args, std::vector<std::string>{"hi"});
  EXPECT_EQ(r->config.hostname, r->id.substr(0, 12));
  EXPECT_EQ(r->config.image, "busybox");
  EXPECT_EQ(r->image_id, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(r->config.env, busybox().config.env);
  EXPECT_EQ(r->host_config.shm_size, 64 * 1024 * 1024);
  EXPECT_EQ(r->host_config.ipc_mode, "private");
  EXPECT_EQ(r->host_config.network_mode, "default");
  EXPECT_EQ(r->host_config.restart_policy.name, "no");
  EXPECT_EQ(r->host_config.log_config.type, "json-file");
  EXPECT_EQ(r->host_config.oom_kill_disable, std::optional<bool>(false));
  EXPECT_EQ(r->state.status, "created");
  EXPECT_EQ(r->state.started_at, "0001-01-01T00:00:00Z");
  EXPECT_TRUE(r->created.ends_with("Z"));
  EXPECT_EQ(r->created.size() >= 20, true);
}

TEST(ContainerCreate, UnknownFieldsAreIgnoredAndNullIsDefault) {
  auto r = create({{"Image", "busybox"}, {"Bogus", 1}, {"Env", nullptr}, {"HostConfig", {{"Whatever", "x"}}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->path, "sh");
}

TEST(ContainerCreate, WrongJsonTypeIsGoMessage) {
  EXPECT_EQ(error_of({{"Tty", "yes"}}),
            "invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Tty of type bool");
  EXPECT_EQ(error_of({{"HostConfig", {{"Memory", "1g"}}}}),
            "invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64");
  EXPECT_EQ(error_of({{"HostConfig", {{"Memory", 1.5}}}}),
            "invalid JSON: json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type "
            "int64");
  EXPECT_EQ(error_of({{"Env", "A=1"}}),
            "invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Env of type []string");
  EXPECT_EQ(error_of({{"Labels", {{"a", 1}}}}),
            "invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Labels of type string");
  EXPECT_EQ(error_of({{"HostConfig", {{"RestartPolicy", {{"Name", 5}}}}}}),
            "invalid JSON: json: cannot unmarshal number into Go struct field RestartPolicy.HostConfig.RestartPolicy.Name "
            "of type container.RestartPolicyMode");
  EXPECT_EQ(error_of({{"Healthcheck", {{"Interval", "1s"}}}}),
            "invalid JSON: json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Interval of type "
            "time.Duration");
}

TEST(ContainerCreate, CmdAndEntrypointAcceptAString) {
  auto r = create({{"Cmd", "echo hi"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->config.cmd, std::vector<std::string>{"echo hi"});
  EXPECT_EQ(r->path, "echo hi");
}

TEST(ContainerCreate, ImageEntrypointAndCmdRules) {
  image::ImageConfig img;
  img.config.entrypoint = std::vector<std::string>{"/ep", "-x"};
  img.config.cmd = std::vector<std::string>{"default"};

  auto inherit = create(json::object(), img);
  ASSERT_TRUE(inherit);
  EXPECT_EQ(inherit->path, "/ep");
  EXPECT_EQ(inherit->args, (std::vector<std::string>{"-x", "default"}));

  auto cmd = create({{"Cmd", {"mine"}}}, img);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->path, "/ep");
  EXPECT_EQ(cmd->args, (std::vector<std::string>{"-x", "mine"}));

  // A given Entrypoint drops the image's Cmd.
  auto ep = create({{"Entrypoint", {"/mine"}}}, img);
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->path, "/mine");
  EXPECT_TRUE(ep->args.empty());
  EXPECT_FALSE(ep->config.cmd.has_value());

  // Entrypoint [] (not null): no entrypoint at all, the image's Cmd runs.
  auto empty = create({{"Entrypoint", json::array()}}, img);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->path, "default");
  EXPECT_EQ(empty->config.entrypoint, std::vector<std::string>{});

  // --entrypoint "" sends [""]: the image Cmd is not inherited either, so nothing runs.
  EXPECT_EQ(error_of({{"Entrypoint", {""}}}, img), "No command specified");
  auto ep_cmd = create({{"Entrypoint", {""}}, {"Cmd", {"ls"}}}, img);
  ASSERT_TRUE(ep_cmd);
  EXPECT_EQ(ep_cmd->path, "ls");
  EXPECT_FALSE(ep_cmd->config.entrypoint.has_value());
}

TEST(ContainerCreate, NoCommand) {
  image::ImageConfig img;
  EXPECT_EQ(error_of(json::object(), img), "No command specified");
  EXPECT_EQ(error_of({{"Cmd", json::array()}}, img), "No command specified");
}

TEST(ContainerCreate, ImageDefaultsMerge) {
  image::ImageConfig img = busybox();
  img.config.env = {"PATH=/bin", "A=1", "C=img"};
  img.config.labels = {{"l1", "img"}, {"l2", "img"}};
  img.config.user = "app";
  img.config.working_dir = "/srv";
  img.config.stop_signal = "SIGQUIT";
  img.config.exposed_ports = {"80/tcp"};
  img.config.volumes = {"/data"};
  image::HealthConfig hc;
  hc.test = {"CMD", "true"};
  hc.interval_ns = 5'000'000'000;
  hc.retries = 7;
  img.config.healthcheck = hc;

  auto r = create({{"Env", {"A=2", "B=3"}},
                   {"Labels", {{"l1", "mine"}}},
                   {"ExposedPorts", {{"443/tcp", json::object()}}},
                   {"Healthcheck", {{"Timeout", 2'000'000'000}}}},
                  img);
  ASSERT_TRUE(r) << r.error().message;
  // Docker: the user's env first, then the image's keys the user did not set.
  EXPECT_EQ(r->config.env, (std::vector<std::string>{"A=2", "B=3", "PATH=/bin", "C=img"}));
  EXPECT_EQ(r->config.labels, (std::map<std::string, std::string>{{"l1", "mine"}, {"l2", "img"}}));
  EXPECT_EQ(r->config.user, "app");
  EXPECT_EQ(r->config.working_dir, "/srv");
  EXPECT_EQ(r->config.stop_signal, "SIGQUIT");
  EXPECT_EQ(r->config.exposed_ports, (std::set<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(r->config.volumes, std::set<std::string>{"/data"});
  ASSERT_TRUE(r->config.healthcheck);
  EXPECT_EQ(r->config.healthcheck->test, (std::vector<std::string>{"CMD", "true"}));
  EXPECT_EQ(r->config.healthcheck->interval_ns, 5'000'000'000);
  EXPECT_EQ(r->config.healthcheck->timeout_ns, 2'000'000'000);
  EXPECT_EQ(r->config.healthcheck->retries, 7);

  auto own = create({{"User", "root"}, {"WorkingDir", "/x/"}, {"StopSignal", "SIGTERM"}}, img);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->config.user, "root");
  EXPECT_EQ(own->config.working_dir, "/x");
  EXPECT_EQ(own->config.stop_signal, "SIGTERM");
}

TEST(ContainerCreate, CreateTimeHostDefaults) {
  auto r = create({{"HostConfig", {{"Memory", 64 << 20}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->host_config.memory_swap, 2 * (64 << 20));
  auto own = create({{"HostConfig", {{"Memory", 64 << 20}, {"MemorySwap", -1}, {"ShmSize", 1 << 20}}}});
  ASSERT_TRUE(own);
  EXPECT_EQ(own->host_config.memory_swap, -1);
  EXPECT_EQ(own->host_config.shm_size, 1 << 20);
}

TEST(ContainerCreate, HostNetworkUsesTheHostsHostname) {
  char buf[256] = {};
  ASSERT_EQ(::gethostname(buf, sizeof buf - 1), 0);
  auto r = create({{"HostConfig", {{"NetworkMode", "host"}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->config.hostname, buf);
  auto named = create({{"Hostname", "box"}});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->config.hostname, "box");
}

struct Case {
  json body;
  std::string message;
};

TEST(ContainerCreate, ValidationMessages) {
  const Case cases[] = {
      {{{"HostConfig", {{"RestartPolicy", {{"Name", "always"}, {"MaximumRetryCount", 3}}}}}},
       "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
      {{{"HostConfig", {{"RestartPolicy", {{"Name", "no"}, {"MaximumRetryCount", -2}}}}}},
       "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"},
      {{{"HostConfig", {{"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", -1}}}}}},
       "invalid restart policy: maximum retry count cannot be negative"},
      {{{"HostConfig", {{"RestartPolicy", {{"Name", "sometimes"}}}}}},
       "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
       "'unless-stopped'"},
      {{{"HostConfig", {{"AutoRemove", true}, {"RestartPolicy", {{"Name", "always"}}}}}},
       "can't create 'AutoRemove' container with restart policy"},
      {{{"HostConfig", {{"Memory", -1}}}}, "Minimum memory limit allowed is 6MB"},
      {{{"HostConfig", {{"Memory", 4096}}}}, "Minimum memory limit allowed is 6MB"},
      {{{"HostConfig", {{"Memory", 64 << 20}, {"MemorySwap", 32 << 20}}}},
       "Minimum memoryswap limit should be larger than memory limit, see usage"},
      {{{"HostConfig", {{"MemorySwap", 32 << 20}}}},
       "You should always set the Memory limit when using Memoryswap limit, see usage"},
      {{{"HostConfig", {{"MemorySwappiness", 101}}}}, "Invalid value: 101, valid memory swappiness range is 0-100"},
      {{{"HostConfig", {{"MemoryReservation", 1024}}}}, "Minimum memory reservation allowed is 6MB"},
      {{{"HostConfig", {{"NanoCpus", 500000000}, {"CpuPeriod", 100000}}}},
       "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
      {{{"HostConfig", {{"NanoCpus", 500000000}, {"CpuQuota", 50000}}}},
       "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
      {{{"HostConfig", {{"CpuPeriod", 10}}}},
       "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
      {{{"HostConfig", {{"CpuQuota", 10}}}}, "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
      {{{"HostConfig", {{"CpuShares", -1}}}}, "invalid CPU shares (-1): value must be a positive integer"},
      {{{"HostConfig", {{"OomScoreAdj", 2000}}}}, "Invalid value 2000, range for oom score adj is [-1000, 1000]"},
      {{{"HostConfig", {{"ShmSize", -1}}}}, "SHM size can not be less than 0"},
      {{{"HostConfig", {{"IpcMode", "bogus"}}}}, "invalid IPC mode: bogus"},
      {{{"HostConfig", {{"PidMode", "bogus"}}}}, "invalid PID mode: bogus"},
      {{{"HostConfig", {{"UTSMode", "bogus"}}}}, "invalid UTS mode: bogus"},
      {{{"HostConfig", {{"CgroupnsMode", "bogus"}}}}, "invalid cgroup namespace mode: bogus"},
      {{{"HostConfig", {{"CapAdd", {"FOO"}}}}}, "invalid CapAdd: unknown capability: \"CAP_FOO\""},
      {{{"HostConfig", {{"CapDrop", {"cap_bar"}}}}}, "invalid CapDrop: unknown capability: \"CAP_BAR\""},
      {{{"HostConfig", {{"LogConfig", {{"Type", "foo"}}}}}}, "logger: no log driver named 'foo' is registered"},
      {{{"HostConfig", {{"LogConfig", {{"Type", "json-file"}, {"Config", {{"bogus", "1"}}}}}}}},
       "unknown log opt 'bogus' for json-file log driver"},
      {{{"HostConfig", {{"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-file", "0"}}}}}}}},
       "max-file cannot be less than 1"},
      {{{"HostConfig", {{"SecurityOpt", {"foo"}}}}}, "invalid --security-opt 1: \"foo\""},
      {{{"HostConfig", {{"SecurityOpt", {"foo=bar"}}}}}, "invalid --security-opt 2: \"foo=bar\""},
      {{{"HostConfig", {{"SecurityOpt", {"no-new-privileges=maybe"}}}}},
       "invalid --security-opt 2: \"no-new-privileges=maybe\""},
      {{{"HostConfig", {{"Tmpfs", {{"data", ""}}}}}},
       "invalid mount config for type \"tmpfs\": invalid mount path: 'data' mount path must be absolute"},
      {{{"HostConfig", {{"Isolation", "hyperv"}}}}, "invalid isolation (hyperv): linux only supports 'default'"},
      {{{"HostConfig", {{"Annotations", {{"", "x"}}}}}},
       "invalid Annotations: the empty string is not permitted as an annotation key"},
      {{{"HostConfig", {{"Ulimits", {{{"Name", "bogus"}, {"Soft", 1}, {"Hard", 1}}}}}}}, "invalid ulimit type: bogus"},
      {{{"Hostname", "box"}, {"HostConfig", {{"UTSMode", "host"}}}}, "conflicting options: hostname and the UTS mode"},
      {{{"Hostname", "box"}, {"HostConfig", {{"NetworkMode", "container:abc"}}}},
       "conflicting options: hostname and the network mode"},
      {{{"HostConfig", {{"NetworkMode", "container:"}}}},
       "invalid network mode: invalid container format container:<name|id>"},
      {{{"Healthcheck", {{"Interval", 100}}}}, "Interval in Healthcheck cannot be less than 1ms"},
      {{{"Healthcheck", {{"Timeout", 999999}}}}, "Timeout in Healthcheck cannot be less than 1ms"},
      {{{"Healthcheck", {{"StartPeriod", 5}}}}, "StartPeriod in Healthcheck cannot be less than 1ms"},
      {{{"Healthcheck", {{"StartInterval", 5}}}}, "StartInterval in Healthcheck cannot be less than 1ms"},
      {{{"Healthcheck", {{"Retries", -1}}}}, "Retries in Healthcheck cannot be negative"},
      {{{"WorkingDir", "rel/dir"}}, "the working directory 'rel/dir' is invalid, it needs to be an absolute path"},
      {{{"Env", {"=x"}}}, "invalid environment variable: =x"},
      {{{"StopSignal", "SIGFOO"}}, "Invalid signal: SIGFOO"},
      {{{"StopSignal", "0"}}, "Invalid signal: 0"},
      {{{"Hostname", std::string(65, 'h')}},
       "hostname \"" + std::string(65, 'h') + "\" is too long (maximum 64 bytes)"},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(c.body), c.message) << c.body.dump();

  // The valid neighbours of those cases pass.
  const json ok[] = {
      {{"HostConfig", {{"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 3}}}}}},
      {{"HostConfig", {{"RestartPolicy", {{"Name", ""}}}}}},
      {{"HostConfig", {{"AutoRemove", true}, {"RestartPolicy", {{"Name", "no"}}}}}},
      {{"HostConfig", {{"Memory", 6 * 1024 * 1024}}}},
      {{"HostConfig", {{"CapAdd", {"net_admin", "CAP_SYS_TIME", "ALL"}}, {"CapDrop", {"all"}}}}},
      {{"HostConfig", {{"LogConfig", {{"Type", "none"}}}}}},
      {{"HostConfig", {{"LogConfig", {{"Type", "json-file"}, {"Config", {{"max-size", "10m"}, {"max-file", "3"}}}}}}}},
      {{"HostConfig", {{"SecurityOpt", {"no-new-privileges", "no-new-privileges:true", "seccomp=unconfined",
                                        "apparmor=unconfined", "label=disable"}}}}},
      {{"Healthcheck", {{"Interval", 1000000}, {"Retries", 0}}}},
      {{"StopSignal", "9"}},
      {{"StopSignal", "sigusr1"}},
  };
  for (const auto& body : ok) EXPECT_TRUE(create(body)) << body.dump() << ": " << error_of(body);
}

TEST(ContainerCreate, InvalidNames) {
  EXPECT_EQ(error_of(json::object(), busybox(), "a"), "Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_EQ(error_of(json::object(), busybox(), "-web"),
            "Invalid container name (-web), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  EXPECT_EQ(error_of(json::object(), busybox(), "my web"),
            "Invalid container name (my web), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  auto slash = create(json::object(), busybox(), "/my.web_1-x");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->name, "/my.web_1-x");
  auto unnamed = create(json::object(), busybox(), "");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->name, "");
}

TEST(ContainerCreate, SetPaths) {
  auto r = create(json::object());
  ASSERT_TRUE(r);
  set_paths(*r, "/var/lib/stack");
  std::string dir = "/var/lib/stack/containers/" + r->id;
  EXPECT_EQ(r->log_path, dir + "/" + r->id + "-json.log");
  EXPECT_EQ(r->hostname_path, dir + "/hostname");
  EXPECT_EQ(r->hosts_path, dir + "/hosts");
  EXPECT_EQ(r->resolv_conf_path, dir + "/resolv.conf");
}

TEST(ContainerCreate, DecodesTheHostConfigFieldsStackKeeps) {
  json body = {{"Image", "busybox"},
               {"Tty", true},
               {"OpenStdin", true},
               {"StopTimeout", 3},
               {"HostConfig",
                {{"Binds", {"/a:/b"}},
                 {"NetworkMode", "none"},
                 {"Privileged", true},
                 {"ReadonlyRootfs", true},
                 {"Init", true},
                 {"Tmpfs", {{"/run", "size=1m"}}},
                 {"Sysctls", {{"net.core.somaxconn", "1024"}}},
                 {"Ulimits", {{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}}},
                 {"PidsLimit", 100},
                 {"NanoCpus", 1000000000},
                 {"GroupAdd", {"audio"}},
                 {"Dns", {"1.1.1.1"}},
                 {"ConsoleSize", {24, 80}}}}};
  auto r = create(body);
  ASSERT_TRUE(r) << r.error().message;
  const auto& h = r->host_config;
  EXPECT_TRUE(r->config.tty);
  EXPECT_TRUE(r->config.open_stdin);
  EXPECT_EQ(r->config.stop_timeout, 3);
  EXPECT_EQ(h.binds, std::vector<std::string>{"/a:/b"});
  EXPECT_EQ(h.network_mode, "none");
  EXPECT_TRUE(h.privileged);
  EXPECT_TRUE(h.readonly_rootfs);
  EXPECT_EQ(h.init, true);
  EXPECT_EQ(h.tmpfs.at("/run"), "size=1m");
  EXPECT_EQ(h.sysctls.at("net.core.somaxconn"), "1024");
  ASSERT_EQ(h.ulimits.size(), 1u);
  EXPECT_EQ(h.ulimits[0].hard, 2048);
  EXPECT_EQ(h.pids_limit, 100);
  EXPECT_EQ(h.nano_cpus, 1000000000);
  EXPECT_EQ(h.group_add, std::vector<std::string>{"audio"});
  EXPECT_EQ(h.dns, std::vector<std::string>{"1.1.1.1"});
  EXPECT_EQ(h.console_size[0], 24u);
  EXPECT_EQ(h.console_size[1], 80u);
}

}  // namespace
}  // namespace stack::container
