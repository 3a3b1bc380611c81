// `stack runtime exec`, `ps`, `pause`/`resume` and the container-side hooks against the
// real kernel: what an exec'd process sees (namespaces, env, cwd, user, caps, seccomp),
// exit codes, exec after stop, pids, the freezer, and that nothing is left behind.
#include <signal.h>

#include <chrono>
#include <thread>

#include "tests/integration/runtime_test_helpers.h"

namespace stack::runtime::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string host_readlink(const std::string& path) {
  std::error_code ec;
  return std::filesystem::read_symlink(path, ec).string();
}

class RuntimeExec : public RuntimeTest {
 protected:
  void TearDown() override {
    kill_and_reap();  // exec -d processes come back to us (see kill_and_reap)
    RuntimeTest::TearDown();
  }

  // A detached container running `sleep 1000` as PID 1; returns its host pid.
  pid_t start_sleeper(const std::string& id) {
    set_args("exec sleep 1000");
    write_config();
    auto o = run_stack({"run", "-d", id});
    EXPECT_EQ(o.status, 0) << o.err;
    return state_of(id).value("pid", 0);
  }
};

TEST_F(RuntimeExec, JoinsEveryNamespaceOfTheContainer) {
  std::filesystem::create_symlink("busybox", bundle_ + "/rootfs/bin/ps");
  std::string id = new_id("ns");
  pid_t init = start_sleeper(id);
  ASSERT_GT(init, 0);
  auto o = run_stack({"exec", id, "sh", "-c",
                      "echo pid=$$; hostname; for n in mnt pid uts ipc net cgroup; do readlink /proc/self/ns/$n; done; "
                      "ps -o pid,args; cat /proc/self/cgroup | grep pids"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_FALSE(contains(o.out, "pid=1\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "pid=")) << o.out;
  EXPECT_TRUE(contains(o.out, "stack-test-host\n")) << o.out;
  for (const char* ns : {"mnt", "pid", "uts", "ipc", "net", "cgroup"}) {
    std::string theirs = host_readlink("/proc/" + std::to_string(init) + "/ns/" + ns);
    EXPECT_TRUE(contains(o.out, theirs + "\n")) << ns << " " << theirs << " not in\n" << o.out;
    EXPECT_NE(theirs, host_readlink(std::string("/proc/self/ns/") + ns)) << ns;
  }
  // ps in the container's /proc shows its PID 1, the init.
  EXPECT_TRUE(contains(o.out, "    1 sleep 1000")) << o.out;
  // In the cgroup namespace the container's cgroup is the root.
  EXPECT_TRUE(contains(o.out, ":pids:/\n")) << o.out;
}

TEST_F(RuntimeExec, EnvCwdUserAndOverrides) {
  config_["process"]["env"].push_back("FROM_CONTAINER=yes");
  std::string id = new_id("env");
  start_sleeper(id);
  auto o = run_stack({"exec", "--env", "EXTRA=1", "-e", "FROM_CONTAINER=over", "--cwd", "/tmp", "--user", "65534:65534", id,
                      "sh", "-c", "echo $EXTRA $FROM_CONTAINER $TERM; pwd; id -u; id -g"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "1 over xterm\n/tmp\n65534\n65534\n");
  // Without flags: the container's process settings (root, cwd /, its env).
  o = run_stack({"exec", id, "sh", "-c", "echo $FROM_CONTAINER; pwd; id -u"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "yes\n/\n0\n");
}

TEST_F(RuntimeExec, CapabilitiesAndSeccompOfTheContainer) {
  // mkdir refused by the container's filter: exec must get it too.
  config_["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  config_["root"]["readonly"] = false;
  std::string id = new_id("caps");
  pid_t init = start_sleeper(id);
  ASSERT_GT(init, 0);
  std::string init_status = slurp("/proc/" + std::to_string(init) + "/status");
  auto field = [](const std::string& status, const std::string& name) {
    auto at = status.find(name + ":\t");
    return at == std::string::npos ? std::string() : status.substr(at, status.find('\n', at) - at);
  };
  auto o = run_stack({"exec", id, "sh", "-c", "grep -E '^(CapBnd|CapEff|Seccomp|NoNewPrivs):' /proc/self/status; mkdir /tmp/x"});
  EXPECT_NE(o.status, 0) << "mkdir should be refused by seccomp";
  for (const char* f : {"CapBnd", "CapEff", "Seccomp", "NoNewPrivs"})
    EXPECT_TRUE(contains(o.out, field(init_status, f))) << f << ": " << field(init_status, f) << " vs\n" << o.out;
  EXPECT_TRUE(contains(o.out, "Seccomp:\t2")) << o.out;
  EXPECT_FALSE(std::filesystem::exists(bundle_ + "/rootfs/tmp/x"));
  // --cap adds to the bounding set (CAP_SYS_ADMIN is bit 21).
  o = run_stack({"exec", "--cap", "CAP_SYS_ADMIN", id, "grep", "CapBnd", "/proc/self/status"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out, field(init_status, "CapBnd") + "\n");
  unsigned long long bnd = std::stoull(o.out.substr(o.out.find('\t') + 1), nullptr, 16);
  EXPECT_TRUE(bnd & (1ULL << 21)) << o.out;
}

TEST_F(RuntimeExec, ExitCodesAsRun) {
  std::string id = new_id("codes");
  start_sleeper(id);
  EXPECT_EQ(run_stack({"exec", id, "sh", "-c", "exit 3"}).status, 3);
  auto o = run_stack({"exec", id, "no-such-command"});
  EXPECT_EQ(o.status, 127);
  EXPECT_TRUE(contains(o.err, "exec: \"no-such-command\": executable file not found in $PATH")) << o.err;
  EXPECT_EQ(run_stack({"exec", id, "/etc"}).status, 126);
  EXPECT_EQ(run_stack({"exec", id, "sh", "-c", "kill -9 $$"}).status, 137);
}

TEST_F(RuntimeExec, DetachedWithPidFileThenPsListsIt) {
  std::string id = new_id("detach");
  pid_t init = start_sleeper(id);
  std::string pid_file = dir_ + "/exec.pid";
  auto o = run_stack({"exec", "-d", "--pid-file", pid_file, id, "sleep", "1000"});
  ASSERT_EQ(o.status, 0) << o.err;
  pid_t pid = std::stoi(slurp(pid_file));
  EXPECT_NE(pid, init);
  EXPECT_TRUE(contains(slurp("/proc/" + std::to_string(pid) + "/cmdline"), "sleep")) << pid;

  o = run_stack({"ps", "--format", "json", id});
  ASSERT_EQ(o.status, 0) << o.err;
  auto pids = nlohmann::json::parse(o.out);
  EXPECT_EQ(pids, nlohmann::json::array({std::min(init, pid), std::max(init, pid)})) << o.out;

  o = run_stack({"ps", id});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "PID")) << o.out;
  EXPECT_TRUE(contains(o.out, " " + std::to_string(pid) + " ")) << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 3) << o.out;  // header + 2 processes
  o = run_stack({"ps", id, "--", "-o", "pid,comm"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(contains(o.out, std::to_string(pid) + " sleep")) << o.out;
}

TEST_F(RuntimeExec, ExecIntoStoppedOrPausedContainerFails) {
  std::string id = new_id("stopped");
  set_args("true");
  write_config();
  ASSERT_EQ(run_stack({"create", id}).status, 0);
  pid_t init = state_of(id).value("pid", 0);
  ASSERT_EQ(run_stack({"start", id}).status, 0);
  ASSERT_TRUE(wait_for_exit(init, 5000));
  auto o = run_stack({"exec", id, "true"});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(contains(o.err, "cannot exec in a stopped container")) << o.err;

  std::string id2 = new_id("paused");
  start_sleeper(id2);
  ASSERT_EQ(run_stack({"pause", id2}).status, 0);
  o = run_stack({"exec", id2, "true"});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(contains(o.err, "cannot exec in a paused container")) << o.err;
  ASSERT_EQ(run_stack({"resume", id2}).status, 0);
}

TEST_F(RuntimeExec, PauseStopsProgressAndResumeRestartsIt) {
  config_["root"]["readonly"] = false;
  set_args("i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; done");
  write_config();
  std::string id = new_id("pause");
  ASSERT_EQ(run_stack({"run", "-d", id}).status, 0);
  std::string ticks = bundle_ + "/rootfs/tmp/ticks";
  auto read_ticks = [&] { return trim(slurp(ticks)); };
  auto wait_change = [&](const std::string& from) {
    for (int i = 0; i < 200; ++i) {
      std::string now = read_ticks();
      if (!now.empty() && now != from) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  ASSERT_TRUE(wait_change(""));

  auto o = run_stack({"resume", id});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(contains(o.err, "container not paused")) << o.err;
  ASSERT_EQ(run_stack({"pause", id}).status, 0);
  EXPECT_EQ(state_of(id)["status"], "paused");
  o = run_stack({"list", "--format", "json"});
  EXPECT_TRUE(contains(o.out, "\"status\":\"paused\"")) << o.out;
  o = run_stack({"pause", id});
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(contains(o.err, "container not running")) << o.err;
  std::string frozen = read_ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(read_ticks(), frozen) << "a paused container made progress";

  ASSERT_EQ(run_stack({"resume", id}).status, 0);
  EXPECT_EQ(state_of(id)["status"], "running");
  EXPECT_TRUE(wait_change(frozen)) << "no progress after resume";
  // delete --force of a paused container works too.
  ASSERT_EQ(run_stack({"pause", id}).status, 0);
  EXPECT_EQ(run_stack({"delete", "--force", id}).status, 0);
}

TEST_F(RuntimeExec, CreateContainerAndStartContainerHooksRunInTheContainer) {
  config_["root"]["readonly"] = false;
  std::string out = dir_ + "/hooks";
  std::filesystem::create_directories(out);
  // createContainer: path resolved in the runtime's namespace, before pivot_root, in the
  // container's mount namespace. startContainer: resolved inside the container.
  config_["hooks"]["createContainer"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "readlink /proc/self/ns/mnt > " + out + "/cc.ns; cat > " + out + "/cc.state"}}}};
  config_["hooks"]["startContainer"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "hostname > /tmp/sc.host; cat > /tmp/sc.state; test ! -e /tmp/process-ran"}}}};
  set_args("touch /tmp/process-ran; exec sleep 1000");
  write_config();
  std::string id = new_id("hooks");
  ASSERT_EQ(run_stack({"create", id}).status, 0);
  pid_t init = state_of(id).value("pid", 0);
  EXPECT_EQ(trim(slurp(out + "/cc.ns")), host_readlink("/proc/" + std::to_string(init) + "/ns/mnt"));
  EXPECT_NE(trim(slurp(out + "/cc.ns")), host_readlink("/proc/self/ns/mnt"));
  auto cc_state = nlohmann::json::parse(slurp(out + "/cc.state"));
  EXPECT_EQ(cc_state["id"], id);
  EXPECT_FALSE(std::filesystem::exists(bundle_ + "/rootfs/tmp/sc.host")) << "startContainer ran before start";
  ASSERT_EQ(run_stack({"start", id}).status, 0);
  for (int i = 0; i < 200 && !std::filesystem::exists(bundle_ + "/rootfs/tmp/process-ran"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(slurp(bundle_ + "/rootfs/tmp/sc.host"), "stack-test-host\n");
  EXPECT_EQ(nlohmann::json::parse(slurp(bundle_ + "/rootfs/tmp/sc.state"))["id"], id);
  EXPECT_EQ(state_of(id)["status"], "running");
}

TEST_F(RuntimeExec, FailingStartContainerHookStopsTheProcess) {
  config_["hooks"]["startContainer"] = {{{"path", "/bin/false"}}};
  set_args("exec sleep 1000");
  auto o = run_container(new_id("badhook"));
  EXPECT_NE(o.status, 0);
  EXPECT_TRUE(contains(o.err, "startContainer hook")) << o.err;
}

}  // namespace
}  // namespace stack::runtime::testing
