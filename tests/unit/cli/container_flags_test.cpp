// docker CLI flags -> POST /containers/create body, parsed through the real CLI11 table.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/container_flags.h"

namespace stack::cli {
namespace {

using nlohmann::json;

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct Parsed {
  ContainerFlags flags;
  Result<json> body = fail("not parsed");
  Result<bool> taken = false;
};

// Parses `stack container run ARGS` and builds the body with a fake environment.
Parsed parse(const std::vector<std::string>& args, const EnvLookup& env = fake_env({})) {
  Parsed p;
  p.taken = parse_container_args(args, p.flags, true);
  if (p.taken && *p.taken) p.body = create_request_body(p.flags, env);
  return p;
}

TEST(ContainerFlags, ImageAndCommandWithItsOwnFlags) {
  auto p = parse({"--rm", "--name", "web", "busybox", "sh", "-c", "exit 3"});
  ASSERT_TRUE(p.body) << p.body.error().message;
  EXPECT_EQ(p.flags.image, "busybox");
  EXPECT_EQ((*p.body)["Image"], "busybox");
  EXPECT_EQ((*p.body)["Cmd"], json({"sh", "-c", "exit 3"}));
  EXPECT_TRUE((*p.body)["HostConfig"]["AutoRemove"]);
  EXPECT_EQ(create_query(p.flags), "?name=web");
  // Attached by default: stdout and stderr, no stdin.
  EXPECT_TRUE((*p.body)["AttachStdout"]);
  EXPECT_TRUE((*p.body)["AttachStderr"]);
  EXPECT_FALSE((*p.body)["AttachStdin"]);
  EXPECT_FALSE((*p.body)["OpenStdin"]);
}

TEST(ContainerFlags, NoCommandMeansImageCmd) {
  auto p = parse({"busybox"});
  ASSERT_TRUE(p.body);
  EXPECT_TRUE((*p.body)["Cmd"].is_null());
  EXPECT_TRUE((*p.body)["Entrypoint"].is_null());
  EXPECT_EQ(create_query(p.flags), "");
}

TEST(ContainerFlags, FlagAfterImageBelongsToTheCommand) {
  auto p = parse({"busybox", "--rm", "-d"});
  ASSERT_TRUE(p.body);
  EXPECT_FALSE(p.flags.auto_remove);
  EXPECT_FALSE(p.flags.detach);
  EXPECT_EQ((*p.body)["Cmd"], json({"--rm", "-d"}));
}

TEST(ContainerFlags, UnknownFlagIsReported) {
  auto p = parse({"--rm", "--no-such-flag", "busybox", "true"});
  ASSERT_FALSE(p.taken);
  EXPECT_EQ(p.taken.error().message, "unknown flag: --no-such-flag");
  auto q = parse({"-dZ", "busybox"});
  ASSERT_FALSE(q.taken);
  EXPECT_EQ(q.taken.error().message, "unknown shorthand flag: 'Z' in -dZ");
}

TEST(ContainerFlags, ImageIsRequired) {
  auto p = parse({"--rm", "--name", "x"});
  ASSERT_FALSE(p.taken);
  EXPECT_EQ(p.taken.error().message, "\"run\" requires at least 1 argument.");
}

TEST(ContainerFlags, ValuesThatLookLikeImagesAreSkipped) {
  // --name's value, -e's glued value, -w's value after a flag cluster: none is IMAGE.
  auto p = parse({"--name", "web", "-eA=1", "-itw", "/srv", "--label=x=y", "--", "img", "-c"});
  ASSERT_TRUE(p.body) << (p.taken ? p.body.error().message : p.taken.error().message);
  EXPECT_EQ(p.flags.image, "img");
  EXPECT_EQ(p.flags.name, "web");
  EXPECT_EQ((*p.body)["Env"], json({"A=1"}));
  EXPECT_EQ((*p.body)["WorkingDir"], "/srv");
  EXPECT_EQ((*p.body)["Labels"], json({{"x", "y"}}));
  EXPECT_EQ((*p.body)["Cmd"], json({"-c"}));
}

TEST(ContainerFlags, CombinedShortFlags) {
  auto p = parse({"-dit", "busybox"});
  ASSERT_TRUE(p.body);
  EXPECT_TRUE(p.flags.detach);
  EXPECT_TRUE((*p.body)["Tty"]);
  EXPECT_TRUE((*p.body)["OpenStdin"]);
  // Detached: nothing attached, and stdin is not "once".
  EXPECT_FALSE((*p.body)["AttachStdin"]);
  EXPECT_FALSE((*p.body)["AttachStdout"]);
  EXPECT_FALSE((*p.body)["StdinOnce"]);
}

TEST(ContainerFlags, InteractiveAttachesStdinOnce) {
  auto p = parse({"-i", "busybox", "cat"});
  ASSERT_TRUE(p.body);
  EXPECT_TRUE((*p.body)["AttachStdin"]);
  EXPECT_TRUE((*p.body)["OpenStdin"]);
  EXPECT_TRUE((*p.body)["StdinOnce"]);
}

TEST(ContainerFlags, EntrypointIsOneWordAndEmptyResets) {
  auto p = parse({"--entrypoint", "echo two words", "img"});
  ASSERT_TRUE(p.body);
  EXPECT_EQ((*p.body)["Entrypoint"], json({"echo two words"}));
  auto q = parse({"--entrypoint", "", "img", "echo", "x"});
  ASSERT_TRUE(q.body);
  EXPECT_EQ((*q.body)["Entrypoint"], json({""}));
  EXPECT_EQ((*q.body)["Cmd"], json({"echo", "x"}));
}

TEST(ContainerFlags, HostnameTakesDashH) {
  auto p = parse({"-h", "box", "img"});
  ASSERT_TRUE(p.body);
  EXPECT_EQ((*p.body)["Hostname"], "box");
}

TEST(ContainerFlags, EnvFromFlagsAndClient) {
  auto p = parse({"-e", "A=1", "-e", "SPACED=a b", "-e", "EMPTY=", "-e", "FROM_CLIENT", "-e", "UNSET", "-e", "D=$HOME", "img"},
                 fake_env({{"FROM_CLIENT", "yes"}}));
  ASSERT_TRUE(p.body);
  EXPECT_EQ((*p.body)["Env"], json({"A=1", "SPACED=a b", "EMPTY=", "FROM_CLIENT=yes", "D=$HOME"}));
}

TEST(ContainerFlags, EnvFileLiteralAndBeforeDashE) {
  auto path = std::filesystem::temp_directory_path() / ("stack-env-" + std::to_string(::getpid()));
  {
    std::ofstream f(path);
    f << "# comment\nFILE_A=1\n\nFILE_Q=\"quoted value\"\n  FILE_LEAD=x\nFILE_TRAIL=kept  \nFILE_EQ=a=b\nPASSED\nNOT_SET\nOVER=file\r\n";
  }
  auto p = parse({"--env-file", path.string(), "-e", "OVER=flag", "img"}, fake_env({{"PASSED", "v"}}));
  std::filesystem::remove(path);
  ASSERT_TRUE(p.body) << p.body.error().message;
  EXPECT_EQ((*p.body)["Env"], json({"FILE_A=1", "FILE_Q=\"quoted value\"", "FILE_LEAD=x", "FILE_TRAIL=kept  ", "FILE_EQ=a=b",
                                     "PASSED=v", "OVER=file", "OVER=flag"}));
}

TEST(ContainerFlags, MissingEnvFileFails) {
  auto p = parse({"--env-file", "/nonexistent/stack.env", "img"});
  ASSERT_FALSE(p.body);
  EXPECT_NE(p.body.error().message.find("/nonexistent/stack.env"), std::string::npos);
}

TEST(ContainerFlags, EnvFileKeyWithSpaceFails) {
  auto r = parse_env_file("A B=1\n", fake_env({}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "variable 'A B' contains whitespaces");
}

TEST(ContainerFlags, LabelsUserWorkdir) {
  auto p = parse({"-l", "a=1", "--label", "flag", "-u", "nobody:nogroup", "-w", "/srv", "img"});
  ASSERT_TRUE(p.body);
  EXPECT_EQ((*p.body)["Labels"], json({{"a", "1"}, {"flag", ""}}));
  EXPECT_EQ((*p.body)["User"], "nobody:nogroup");
  EXPECT_EQ((*p.body)["WorkingDir"], "/srv");
}

TEST(ContainerFlags, RelativeWorkdirRefused) {
  auto p = parse({"-w", "srv", "img"});
  ASSERT_FALSE(p.body);
}

TEST(ContainerFlags, SecurityAndLimits) {
  auto p = parse({"--read-only", "--init", "--privileged", "--cap-add", "NET_ADMIN", "--cap-drop", "ALL",
                  "--security-opt", "no-new-privileges", "-m", "512m", "--cpus", "1.5", "--pids-limit", "100",
                  "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=64", "--sysctl", "net.ipv4.ip_forward=1",
                  "--tmpfs", "/run", "--tmpfs", "/tmp:rw,size=64m", "img"});
  ASSERT_TRUE(p.body) << p.body.error().message;
  const json& h = (*p.body)["HostConfig"];
  EXPECT_TRUE(h["ReadonlyRootfs"]);
  EXPECT_TRUE(h["Init"]);
  EXPECT_TRUE(h["Privileged"]);
  EXPECT_EQ(h["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_EQ(h["CapDrop"], json({"ALL"}));
  EXPECT_EQ(h["SecurityOpt"], json({"no-new-privileges"}));
  EXPECT_EQ(h["Memory"], 512 * 1024 * 1024);
  EXPECT_EQ(h["NanoCpus"], 1500000000);
  EXPECT_EQ(h["PidsLimit"], 100);
  EXPECT_EQ(h["Ulimits"], json::parse(R"([{"Name":"nofile","Soft":1024,"Hard":2048},{"Name":"nproc","Soft":64,"Hard":64}])"));
  EXPECT_EQ(h["Sysctls"], json({{"net.ipv4.ip_forward", "1"}}));
  EXPECT_EQ(h["Tmpfs"], json({{"/run", ""}, {"/tmp", "rw,size=64m"}}));
}

TEST(ContainerFlags, DefaultsLeaveOptionalFieldsUnset) {
  auto p = parse({"img"});
  ASSERT_TRUE(p.body);
  const json& h = (*p.body)["HostConfig"];
  EXPECT_FALSE(h.contains("Init"));
  EXPECT_TRUE(h["PidsLimit"].is_null());
  EXPECT_EQ(h["RestartPolicy"], json({{"Name", "no"}, {"MaximumRetryCount", 0}}));
  EXPECT_EQ(h["NetworkMode"], "default");
  EXPECT_FALSE(p.body->contains("Healthcheck"));
  EXPECT_FALSE(p.body->contains("StopTimeout"));
}

TEST(ContainerFlags, BadValuesAreRefused) {
  EXPECT_FALSE(parse({"-m", "12Q", "img"}).body);
  EXPECT_FALSE(parse({"--cpus", "lots", "img"}).body);
  EXPECT_FALSE(parse({"--ulimit", "nofile=10:5", "img"}).body);
  EXPECT_FALSE(parse({"--ulimit", "bogus=1", "img"}).body);
  EXPECT_FALSE(parse({"--sysctl", "novalue", "img"}).body);
  EXPECT_FALSE(parse({"--security-opt", "nonsense", "img"}).body);
  EXPECT_FALSE(parse({"--health-interval", "5x", "img"}).body);
}

TEST(ContainerFlags, RestartPolicy) {
  auto p = parse({"--restart", "on-failure:2", "img"});
  ASSERT_TRUE(p.body);
  EXPECT_EQ((*p.body)["HostConfig"]["RestartPolicy"], json({{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  // The daemon judges names and counts; the client only splits them.
  EXPECT_EQ(*parse_restart_flag("sometimes"), json({{"Name", "sometimes"}, {"MaximumRetryCount", 0}}));
  EXPECT_EQ(*parse_restart_flag("on-failure:-1"), json({{"Name", "on-failure"}, {"MaximumRetryCount", -1}}));
  EXPECT_FALSE(parse_restart_flag("on-failure:x"));
  EXPECT_FALSE(parse_restart_flag("on-failure:1:2"));
  auto conflict = parse({"--rm", "--restart", "always", "img"});
  ASSERT_FALSE(conflict.body);
  EXPECT_EQ(conflict.body.error().message, "Conflicting options: --restart and --rm");
}

TEST(ContainerFlags, Healthcheck) {
  auto p = parse({"--health-cmd", "test -f /ok", "--health-interval", "1s", "--health-timeout", "500ms",
                  "--health-retries", "3", "--health-start-period", "2s", "--health-start-interval", "100ms", "img"});
  ASSERT_TRUE(p.body) << p.body.error().message;
  EXPECT_EQ((*p.body)["Healthcheck"], json::parse(R"({"Test":["CMD-SHELL","test -f /ok"],"Interval":1000000000,
      "Timeout":500000000,"StartPeriod":2000000000,"StartInterval":100000000,"Retries":3})"));
  auto none = parse({"--no-healthcheck", "img"});
  ASSERT_TRUE(none.body);
  EXPECT_EQ((*none.body)["Healthcheck"], json({{"Test", {"NONE"}}}));
  auto both = parse({"--no-healthcheck", "--health-cmd", "true", "img"});
  ASSERT_FALSE(both.body);
  EXPECT_EQ(both.body.error().message, "--no-healthcheck conflicts with --health-* options");
  EXPECT_FALSE(parse({"--health-interval", "-1s", "img"}).body);
}

TEST(ContainerFlags, StopAndLogging) {
  auto p = parse({"--stop-signal", "SIGUSR1", "--stop-timeout", "3", "--log-driver", "json-file", "--log-opt",
                  "max-size=1m", "--log-opt", "max-file=2", "--network", "none", "img"});
  ASSERT_TRUE(p.body);
  EXPECT_EQ((*p.body)["StopSignal"], "SIGUSR1");
  EXPECT_EQ((*p.body)["StopTimeout"], 3);
  EXPECT_EQ((*p.body)["HostConfig"]["LogConfig"],
            json({{"Type", "json-file"}, {"Config", {{"max-size", "1m"}, {"max-file", "2"}}}}));
  EXPECT_EQ((*p.body)["HostConfig"]["NetworkMode"], "none");
}

TEST(ContainerFlags, SeccompProfileFileIsSentInline) {
  auto path = std::filesystem::temp_directory_path() / ("stack-seccomp-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream f(path);
    f << "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n";
  }
  auto p = parse({"--security-opt", "seccomp=" + path.string(), "--security-opt", "apparmor=unconfined", "img"});
  std::filesystem::remove(path);
  ASSERT_TRUE(p.body) << p.body.error().message;
  EXPECT_EQ((*p.body)["HostConfig"]["SecurityOpt"],
            json({"seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}", "apparmor=unconfined"}));
}

TEST(ContainerFlags, UrlEncode) {
  EXPECT_EQ(url_encode("a b/c"), "a%20b%2Fc");
  EXPECT_EQ(url_encode("{\"k\":1}"), "%7B%22k%22%3A1%7D");
  EXPECT_EQ(url_encode("web-1_x.y"), "web-1_x.y");
}

}  // namespace
}  // namespace stack::cli
