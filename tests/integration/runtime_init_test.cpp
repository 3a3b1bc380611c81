// The built-in init ("stack.init": "true", `--init`): PID 1 reaps orphaned zombies and
// forwards signals to the container's process; without it, the same containers keep a
// zombie and ignore SIGTERM (so these tests can fail).
#include <signal.h>

#include <chrono>
#include <thread>

#include "tests/integration/runtime_test_helpers.h"

namespace stack::runtime::testing {
namespace {

class RuntimeInit : public RuntimeTest {
 protected:
  // Whether PID 1 of the container has a zombie child (zombies leave the cgroup, so
  // PID 1's children list is where they show), polled until `want` holds for a while
  // or 3 s pass.
  bool zombies_become(const std::string& id, bool want) {
    pid_t init = state_of(id).value("pid", 0);
    std::string children_file = "/proc/" + std::to_string(init) + "/task/" + std::to_string(init) + "/children";
    int settled = 0;
    for (int i = 0; i < 300; ++i) {
      std::istringstream children(slurp(children_file));
      bool any = false;
      for (pid_t pid; children >> pid;) {
        std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
        auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') any = true;
      }
      settled = any == want ? settled + 1 : 0;
      if (settled > 20) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Container processes that left through exec -d (or died with a killed init) are
  // reparented to us, the subreaper, and a pid namespace's init does not finish exiting
  // until they are reaped: kill every container and reap before the deletes.
  void TearDown() override {
    kill_and_reap();
    RuntimeTest::TearDown();
  }
};

// The shell's child `sleep 0.05` is orphaned when that shell exits; PID 1 inherits it.
constexpr const char* kOrphanMaker = "sh -c 'sleep 0.05 &'; exec sleep 1000";

TEST_F(RuntimeInit, InitReapsOrphanedZombies) {
  config_["annotations"]["stack.init"] = "true";
  set_args(kOrphanMaker);
  write_config();
  std::string id = new_id("reap");
  ASSERT_EQ(run_stack({"run", "-d", id}).status, 0);
  EXPECT_TRUE(zombies_become(id, false)) << "a zombie stayed under the init";
  auto o = run_stack({"ps", "--format", "json", id});
  EXPECT_EQ(nlohmann::json::parse(o.out).size(), 2u) << o.out;  // init + sleep 1000
}

TEST_F(RuntimeInit, WithoutInitTheZombieStays) {
  set_args(kOrphanMaker);
  write_config();
  std::string id = new_id("noreap");
  ASSERT_EQ(run_stack({"run", "-d", id}).status, 0);
  EXPECT_TRUE(zombies_become(id, true)) << "expected the orphan to stay a zombie under `sleep` as PID 1";
}

TEST_F(RuntimeInit, SigtermReachesTheChild) {
  set_args("exec sleep 1000");  // sleep installs no handler: as PID 1 it would ignore SIGTERM
  write_config();
  std::string id = new_id("term");
  ASSERT_EQ(run_stack({"run", "-d", "--init", id}).status, 0);
  pid_t init = state_of(id).value("pid", 0);
  ASSERT_GT(init, 0);
  ASSERT_EQ(run_stack({"kill", id, "TERM"}).status, 0);
  EXPECT_TRUE(wait_for_exit(init, 5000)) << "SIGTERM did not reach the child through the init";
  EXPECT_EQ(state_of(id)["status"], "stopped");

  std::string id2 = new_id("term-noinit");
  ASSERT_EQ(run_stack({"run", "-d", id2}).status, 0);
  pid_t pid1 = state_of(id2).value("pid", 0);
  ASSERT_EQ(run_stack({"kill", id2, "TERM"}).status, 0);
  EXPECT_FALSE(wait_for_exit(pid1, 300)) << "PID 1 without handler should ignore SIGTERM";
}

TEST_F(RuntimeInit, ExitStatusAndPidOfTheChild) {
  config_["annotations"]["stack.init"] = "true";
  set_args("echo pid=$$; cat /proc/1/status | grep -c '^State:'; exit 7");
  auto o = run_container(new_id("status"));
  EXPECT_EQ(o.status, 7) << o.err;
  EXPECT_EQ(o.out.substr(0, 6), "pid=2\n") << o.out;
  set_args("kill -KILL $$");
  o = run_container(new_id("signal"));
  EXPECT_EQ(o.status, 137) << o.err;
  // A foreground run forwards SIGTERM to the init, which forwards it to the child.
  set_args("exec sleep 1000");
  write_config();
  pid_t cli = -1;
  std::string id = new_id("fg");
  run_stack({"run", id}, &cli, false);
  // Ready once the init's child is `sleep` (read from /proc: run_stack would reuse the
  // output files `finish` reads).
  auto child_is_sleep = [&] {
    std::string state = slurp(root_ + "/" + id + "/state.json");
    if (state.empty()) return false;
    pid_t init = nlohmann::json::parse(state).value("pid", 0);
    std::string children = slurp("/proc/" + std::to_string(init) + "/task/" + std::to_string(init) + "/children");
    if (children.empty()) return false;
    return slurp("/proc/" + std::to_string(std::stoi(children)) + "/comm") == "sleep\n";
  };
  for (int i = 0; i < 300 && !child_is_sleep(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(child_is_sleep());
  ::kill(cli, SIGTERM);
  EXPECT_EQ(finish(cli).status, 128 + SIGTERM);
}

}  // namespace
}  // namespace stack::runtime::testing
