// Pure parts of the runtime: namespace plans, state files and status, executable lookup
// with Docker's messages and exit codes, rlimit and signal names.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/runtime/container.h"
#include "engine/runtime/namespaces.h"
#include "engine/runtime/process_setup.h"
#include "engine/runtime/state.h"

namespace stack::runtime {
namespace {

Linux with_namespaces(std::vector<Namespace> ns) {
  Linux l;
  l.namespaces = std::move(ns);
  return l;
}

TEST(Namespaces, NewOnesBecomeCloneFlagsCgroupIsUnsharedLater) {
  auto plan = plan_namespaces(with_namespaces({{"pid", ""}, {"network", ""}, {"mount", ""}, {"cgroup", ""}}));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->clone_flags, static_cast<uint64_t>(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS));
  EXPECT_TRUE(plan->new_cgroup);
  EXPECT_TRUE(plan->has(CLONE_NEWCGROUP));
  EXPECT_FALSE(plan->has(CLONE_NEWUTS));
  EXPECT_TRUE(plan->joins.empty());
}

TEST(Namespaces, PathsAreJoinedUserFirstPidByTheParent) {
  auto plan = plan_namespaces(with_namespaces(
      {{"network", "/proc/1/ns/net"}, {"pid", "/proc/1/ns/pid"}, {"mount", ""}, {"user", "/proc/1/ns/user"}}));
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->clone_flags, static_cast<uint64_t>(CLONE_NEWNS));
  EXPECT_EQ(plan->pid_path, "/proc/1/ns/pid");
  ASSERT_EQ(plan->joins.size(), 2u);
  EXPECT_EQ(plan->joins[0].type, "user");
  EXPECT_EQ(plan->joins[1].flag, CLONE_NEWNET);
  EXPECT_TRUE(plan->has(CLONE_NEWPID));
  EXPECT_TRUE(plan->has(CLONE_NEWNET));
}

TEST(Namespaces, UserNamespaceAndMappingsGoTogether) {
  Linux l = with_namespaces({{"user", ""}, {"mount", ""}});
  auto no_maps = plan_namespaces(l);
  ASSERT_FALSE(no_maps);
  EXPECT_EQ(no_maps.error().message, "linux.uidMappings, linux.gidMappings: a new user namespace needs both");
  l.uid_mappings = {{0, 100000, 65536}};
  l.gid_mappings = {{0, 100000, 65536}};
  auto ok = plan_namespaces(l);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->new_user);
  EXPECT_EQ(format_id_map(l.uid_mappings), "0 100000 65536\n");
  Linux maps_only = with_namespaces({{"mount", ""}});
  maps_only.uid_mappings = {{0, 1, 1}};
  EXPECT_FALSE(plan_namespaces(maps_only));
}

TEST(Namespaces, UnknownAndDuplicate) {
  EXPECT_EQ(plan_namespaces(with_namespaces({{"bogus", ""}})).error().message,
            "linux.namespaces: unknown namespace type \"bogus\"");
  EXPECT_EQ(plan_namespaces(with_namespaces({{"uts", ""}, {"uts", ""}})).error().message,
            "linux.namespaces: duplicate namespace \"uts\"");
}

class StateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stack-unit-state-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = std::string(tmpl) + "/root";
  }
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(root_).parent_path()); }
  std::string root_;
};

TEST_F(StateFiles, RoundTripAndStatus) {
  ASSERT_TRUE(create_state_dir(root_, "c1"));
  auto again = create_state_dir(root_, "c1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "container with id exists: c1");

  State s;
  s.id = "c1";
  s.pid = ::getpid();  // a live process with a known start time
  s.start_time = process_start_time(::getpid());
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = rfc3339_nano_now();
  s.annotations = {{"a", "b"}};
  s.cgroups_path = "/c1";
  s.poststop = {Hook{"/bin/true", {"true"}, {"X=1"}, 3}};
  ASSERT_TRUE(write_state(root_, s));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/c1/state.json.tmp"));

  auto back = read_state(root_, "c1");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->pid, s.pid);
  EXPECT_EQ(back->start_time, s.start_time);
  EXPECT_EQ(back->annotations, s.annotations);
  ASSERT_EQ(back->poststop.size(), 1u);
  EXPECT_EQ(back->poststop[0].timeout, 3);
  EXPECT_EQ(back->poststop[0].env, std::vector<std::string>{"X=1"});

  EXPECT_EQ(observe_status(root_, *back), Status::Running);
  std::ofstream(exec_fifo_path(root_, "c1")) << "";
  EXPECT_EQ(observe_status(root_, *back), Status::Created);
  back->start_time += 1;  // a reused pid
  EXPECT_EQ(observe_status(root_, *back), Status::Stopped);
  back->pid = 0;
  EXPECT_EQ(observe_status(root_, *back), Status::Stopped);

  auto j = oci_state_json(*back, Status::Stopped);
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(j["pid"], 0);
  EXPECT_EQ(j["annotations"]["a"], "b");
  EXPECT_EQ(j.begin().key(), "ociVersion");

  EXPECT_EQ(*list_ids(root_), std::vector<std::string>{"c1"});
  ASSERT_TRUE(remove_state_dir(root_, "c1"));
  auto gone = read_state(root_, "c1");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().message, "container does not exist: c1");
  EXPECT_TRUE(list_ids(root_ + "/none")->empty());
}

TEST(StateIds, Validation) {
  EXPECT_TRUE(validate_id("abc-1_2.3+x"));
  EXPECT_FALSE(validate_id(""));
  EXPECT_FALSE(validate_id(".."));
  EXPECT_FALSE(validate_id("a/b"));
  EXPECT_EQ(validate_id("a b").error().message, "invalid container id format: a b");
}

TEST(StateTime, Rfc3339Nano) {
  std::string t = rfc3339_nano_now();
  ASSERT_EQ(t.size(), 30u) << t;
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

class Executables : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stack-unit-exec-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/tool") << "#!/bin/sh\n";
    ::chmod((dir_ + "/tool").c_str(), 0755);
    std::ofstream(dir_ + "/data") << "x";
    ::chmod((dir_ + "/data").c_str(), 0644);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(Executables, LookupInPath) {
  EXPECT_EQ(*find_executable("tool", "/nonexistent:" + dir_), dir_ + "/tool");
  auto missing = find_executable("nope", dir_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "exec: \"nope\": executable file not found in $PATH");
  EXPECT_EQ(exit_code_for_start_error(missing.error().message), 127);
  // A file without the execute bit is skipped, as Go's LookPath does.
  EXPECT_FALSE(find_executable("data", dir_));
  EXPECT_FALSE(find_executable("tool", ""));
}

TEST_F(Executables, PathsWithASlash) {
  EXPECT_EQ(*find_executable(dir_ + "/tool", ""), dir_ + "/tool");
  auto missing = find_executable("/nonexistent/x", "");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "exec: \"/nonexistent/x\": stat /nonexistent/x: no such file or directory");
  EXPECT_EQ(exit_code_for_start_error(missing.error().message), 127);
  auto data = find_executable(dir_ + "/data", "");
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().message, "exec: \"" + dir_ + "/data\": permission denied");
  EXPECT_EQ(exit_code_for_start_error(data.error().message), 126);
  auto directory = find_executable(dir_, "");
  ASSERT_FALSE(directory);
  EXPECT_EQ(exit_code_for_start_error(directory.error().message), 126);
  EXPECT_EQ(exit_code_for_start_error("mounts[0] /x: mount: no such file or directory"), 1);
}

TEST(ProcessSetup, PathFromEnvAndNames) {
  EXPECT_EQ(path_from_env({"A=1", "PATH=/bin", "PATH=/usr/bin"}), "/usr/bin");
  EXPECT_EQ(path_from_env({"A=1"}), "");
  EXPECT_EQ(rlimit_resource("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_resource("NOFILE"), -1);
  EXPECT_EQ(go_strerror(ENOENT), "no such file or directory");
  auto bad = apply_rlimits({Rlimit{"RLIMIT_BOGUS", 1, 1}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "process.rlimits: unknown rlimit type \"RLIMIT_BOGUS\"");
  auto inverted = apply_rlimits({Rlimit{"RLIMIT_NOFILE", 10, 5}});
  ASSERT_FALSE(inverted);
  EXPECT_EQ(inverted.error().message, "process.rlimits: RLIMIT_NOFILE: soft limit 10 above hard limit 5");
}

TEST(Signals, NamesAndNumbers) {
  EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*parse_signal("sigusr1"), SIGUSR1);
  EXPECT_EQ(*parse_signal("9"), 9);
  EXPECT_FALSE(parse_signal("SIGNOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("99999"));
}

}  // namespace
}  // namespace stack::runtime
