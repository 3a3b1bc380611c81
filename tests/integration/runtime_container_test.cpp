// `stack runtime` against the real kernel: what the container sees from inside, exit
// codes, the create/start/state/kill/delete lifecycle, and that nothing is left behind.
#include <signal.h>

#include "engine/runtime/docker_defaults.h"

#include "tests/integration/runtime_test_helpers.h"

namespace stack::runtime::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// The /proc/self/mounts line for a mount point, or "".
std::string mount_line(const std::string& mounts, const std::string& target) {
  std::istringstream in(mounts);
  std::string line, found;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string src, dst;
    f >> src >> dst;
    if (dst == target) found = line;
  }
  return found;
}

TEST_F(RuntimeTest, NamespacesAndMountsAsSeenFromInside) {
  set_args(
      "echo pid=$$; echo host=$(hostname); ls /sys/class/net | tr '\\n' ' ' 2>/dev/null || ls /sys/class/net; echo; "
      "echo nets=$(ls /sys/class/net); cat /proc/self/mounts; readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; "
      "stat -c '%n %t:%T %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty");
  auto o = run_container(new_id("ns"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "pid=1\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "host=stack-test-host\n")) << o.out;
  EXPECT_TRUE(contains(o.out, "nets=lo\n")) << o.out;
  EXPECT_TRUE(mount_line(o.out, "/proc").starts_with("proc /proc proc rw")) << o.out;
  EXPECT_TRUE(mount_line(o.out, "/sys").starts_with("sysfs /sys sysfs ro")) << o.out;
  EXPECT_TRUE(mount_line(o.out, "/dev").starts_with("tmpfs /dev tmpfs rw,nosuid")) << o.out;
  EXPECT_TRUE(contains(mount_line(o.out, "/dev/pts"), "devpts /dev/pts devpts rw,nosuid,noexec")) << o.out;
  EXPECT_TRUE(contains(mount_line(o.out, "/dev/shm"), "/dev/shm tmpfs rw,nosuid,nodev,noexec")) << o.out;
  EXPECT_TRUE(mount_line(o.out, "/dev/mqueue").starts_with("mqueue /dev/mqueue mqueue")) << o.out;
  EXPECT_TRUE(contains(mount_line(o.out, "/sys/fs/cgroup"), "tmpfs ro")) << o.out;
  EXPECT_TRUE(contains(mount_line(o.out, "/"), " / ") && contains(mount_line(o.out, "/"), " ro,")) << "read-only root: " << o.out;
  EXPECT_TRUE(contains(mount_line(o.out, "/proc/sys"), "proc ro")) << o.out;
  EXPECT_TRUE(contains(o.out, "pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n")) << o.out;
  for (const char* dev : {"/dev/null 1:3 666", "/dev/zero 1:5 666", "/dev/full 1:7 666", "/dev/random 1:8 666",
                          "/dev/urandom 1:9 666", "/dev/tty 5:0 666"})
    EXPECT_TRUE(contains(o.out, dev)) << dev << " in " << o.out;
  // The host saw none of it.
  EXPECT_EQ(slurp("/proc/self/mountinfo").find(bundle_), std::string::npos);
}

TEST_F(RuntimeTest, CgroupNamespaceShowsTheContainersCgroupAsRoot) {
  set_args("cat /proc/self/cgroup; ls /sys/fs/cgroup/memory/memory.limit_in_bytes");
  config_["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  auto o = run_container(new_id("cgns"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(contains(o.out, ":memory:/\n")) << o.out;
  EXPECT_TRUE(contains(o.out, ":pids:/\n")) << o.out;
}

TEST_F(RuntimeTest, UserGroupsCwdEnvUmaskRlimits) {
  set_args("id -u; id -g; id -G; pwd; umask; ulimit -n; ulimit -Hn; echo FOO=$FOO; cat /proc/self/oom_score_adj");
  config_["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}, {"umask", 027}};
  config_["process"]["cwd"] = "/work/dir";  // missing: created
  config_["process"]["env"].push_back("FOO=bar baz");
  config_["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 600}}};
  config_["process"]["oomScoreAdj"] = 300;
  auto o = run_container(new_id("user"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "1000\n1001\n1001 10 20\n/work/dir\n0027\n512\n600\nFOO=bar baz\n300\n");
}

TEST_F(RuntimeTest, ReadOnlyRootMaskedAndReadonlyPaths) {
  set_args(
      "touch /x 2>/dev/null && echo root-writable; touch /tmp/x 2>/dev/null && echo tmp-writable-too-bad;"
      "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo procsys-writable;"
      "echo timer=$(wc -c < /proc/timer_list); echo firmware=$(ls -A /sys/firmware | wc -l); echo done");
  auto o = run_container(new_id("ro"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "timer=0\nfirmware=0\ndone\n");
}

TEST_F(RuntimeTest, WritableRootWhenAsked) {
  config_["root"]["readonly"] = false;
  set_args("touch /created && echo ok");
  auto o = run_container(new_id("rw"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "ok\n");
  EXPECT_TRUE(std::filesystem::exists(bundle_ + "/rootfs/created"));
}

TEST_F(RuntimeTest, BindAndTmpfsMountsWithOptions) {
  std::filesystem::create_directories(dir_ + "/shared");
  std::ofstream(dir_ + "/shared/hello") << "from host\n";
  config_["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", dir_ + "/shared"}, {"options", {"rbind", "ro", "rprivate"}}});
  config_["mounts"].push_back({{"destination", "/scratch"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=1m", "mode=1700", "noexec"}}});
  set_args("cat /data/hello; touch /data/x 2>/dev/null || echo data-ro; stat -c %a /scratch; grep ' /scratch ' /proc/self/mounts");
  auto o = run_container(new_id("binds"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(o.out.starts_with("from host\ndata-ro\n1700\ntmpfs /scratch tmpfs rw,noexec")) << o.out;
  EXPECT_TRUE(contains(o.out, "size=1024k")) << o.out;
}

TEST_F(RuntimeTest, ExitCodes) {
  set_args("exit 3");
  EXPECT_EQ(run_container(new_id("exit3")).status, 3);

  // Killed from outside (pid 1 of a pid namespace cannot be SIGKILLed from inside it).
  std::string id = new_id("kill9");
  set_args("echo ready; exec sleep 30");
  write_config();
  pid_t pid = -1;
  run_stack({"run", id}, &pid, false);
  std::string out_file = last_out_, err_file = last_err_;
  for (int i = 0; i < 500 && !contains(slurp(out_file), "ready"); ++i) ::usleep(10000);
  ASSERT_TRUE(contains(slurp(out_file), "ready"));
  EXPECT_EQ(run_stack({"kill", id, "9"}).status, 0);
  last_out_ = out_file;
  last_err_ = err_file;
  EXPECT_EQ(finish(pid).status, 137);

  config_["process"]["args"] = {"nonexistent"};
  auto missing = run_container(new_id("missing"));
  EXPECT_EQ(missing.status, 127);
  EXPECT_EQ(missing.err, "stack runtime: exec: \"nonexistent\": executable file not found in $PATH\n");

  config_["process"]["args"] = {"/etc/passwd"};
  auto noexec = run_container(new_id("noexec"));
  EXPECT_EQ(noexec.status, 126);
  EXPECT_EQ(noexec.err, "stack runtime: exec: \"/etc/passwd\": permission denied\n");
}

TEST_F(RuntimeTest, RunForwardsSignals) {
  set_args("trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 1; done");
  write_config();
  pid_t pid = -1;
  run_stack({"run", new_id("signals")}, &pid, false);
  // Wait until the trap is installed: the container prints "ready" first.
  for (int i = 0; i < 500 && !contains(slurp(last_out_), "ready"); ++i) ::usleep(10000);
  ASSERT_TRUE(contains(slurp(last_out_), "ready"));
  ::kill(pid, SIGTERM);
  auto o = finish(pid);
  EXPECT_EQ(o.status, 7) << o.err;
  EXPECT_TRUE(contains(o.out, "got-term")) << o.out;
}

TEST_F(RuntimeTest, CreateStartStateKillDelete) {
  std::string id = new_id("life");
  set_args("sleep 30");
  write_config();
  auto created = run_stack({"create", "--pid-file", dir_ + "/pid", id});
  ASSERT_EQ(created.status, 0) << created.err;
  auto st = state_of(id);
  EXPECT_EQ(st["status"], "created");
  EXPECT_EQ(st["ociVersion"], "1.0.2");
  EXPECT_EQ(st["bundle"], bundle_);
  pid_t pid = st["pid"].get<pid_t>();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(slurp(dir_ + "/pid"), std::to_string(pid));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/" + id + "/exec.fifo"));

  // The process is waiting: its command has not run yet.
  EXPECT_EQ(slurp("/proc/" + std::to_string(pid) + "/comm"), "stack\n");
  ASSERT_EQ(run_stack({"start", id}).status, 0);
  EXPECT_EQ(state_of(id)["status"], "running");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/" + id + "/exec.fifo"));
  auto again = run_stack({"start", id});
  EXPECT_EQ(again.status, 1);
  EXPECT_EQ(again.err, "stack runtime: cannot start an already running container\n");

  auto listed = run_stack({"list", "--format", "json"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  auto arr = nlohmann::json::parse(listed.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], id);
  EXPECT_EQ(arr[0]["status"], "running");
  auto table = run_stack({"list"});
  EXPECT_TRUE(table.out.starts_with("ID")) << table.out;
  EXPECT_TRUE(contains(table.out, id)) << table.out;

  auto refused = run_stack({"delete", id});
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.err, "stack runtime: cannot delete container " + id + " that is not stopped: running\n");

  ASSERT_EQ(run_stack({"kill", id, "KILL"}).status, 0);
  ASSERT_TRUE(wait_for_exit(pid, 5000));
  EXPECT_EQ(state_of(id)["status"], "stopped");
  EXPECT_EQ(state_of(id)["pid"], 0);
  auto dead = run_stack({"kill", id});
  EXPECT_EQ(dead.status, 1);
  EXPECT_EQ(dead.err, "stack runtime: container not running\n");

  auto deleted = run_stack({"delete", id});
  ASSERT_EQ(deleted.status, 0) << deleted.err;
  EXPECT_FALSE(std::filesystem::exists(root_ + "/" + id));
  auto gone = run_stack({"state", id});
  EXPECT_EQ(gone.status, 1);
  EXPECT_EQ(gone.err, "stack runtime: container does not exist: " + id + ": No such file or directory\n");
  expect_nothing_left();
}

TEST_F(RuntimeTest, StartedContainerRunsItsCommand) {
  std::string id = new_id("started");
  set_args("echo started-ok > /dev/shm/x; cat /dev/shm/x");
  write_config();
  ASSERT_EQ(run_stack({"create", id}).status, 0);
  pid_t pid = state_of(id)["pid"].get<pid_t>();
  auto started = run_stack({"start", id});
  ASSERT_EQ(started.status, 0) << started.err;
  ASSERT_TRUE(wait_for_exit(pid, 5000));
  // The container's stdout was the create command's.
  EXPECT_EQ(slurp(dir_ + "/out.0"), "started-ok\n");
  EXPECT_EQ(state_of(id)["status"], "stopped");
  EXPECT_EQ(run_stack({"delete", id}).status, 0);
}

TEST_F(RuntimeTest, DeleteKillsCreatedAndForceKillsRunning) {
  std::string created = new_id("del-created"), running = new_id("del-running");
  set_args("sleep 30");
  write_config();
  ASSERT_EQ(run_stack({"create", created}).status, 0);
  ASSERT_EQ(run_stack({"create", running}).status, 0);
  pid_t p1 = state_of(created)["pid"].get<pid_t>(), p2 = state_of(running)["pid"].get<pid_t>();
  ASSERT_EQ(run_stack({"start", running}).status, 0);
  auto d1 = run_stack({"delete", created});
  EXPECT_EQ(d1.status, 0) << d1.err;
  auto d2 = run_stack({"delete", "--force", running});
  EXPECT_EQ(d2.status, 0) << d2.err;
  EXPECT_TRUE(wait_for_exit(p1, 5000));
  EXPECT_TRUE(wait_for_exit(p2, 5000));
  EXPECT_EQ(run_stack({"delete", "--force", running}).status, 0);  // already gone: fine with --force
  EXPECT_EQ(run_stack({"delete", running}).status, 1);
  expect_nothing_left();
}

TEST_F(RuntimeTest, FailuresLeaveNothingBehind) {
  config_["mounts"].push_back({{"destination", "/data"}, {"type", "bind"}, {"source", dir_ + "/no-such-dir"}, {"options", {"bind"}}});
  auto o = run_container(new_id("badmount"));
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(o.err.starts_with("stack runtime: rootfs " + bundle_ + "/rootfs: mounts[7] /data: bind mount source " + dir_ +
                                "/no-such-dir: No such file or directory"))
      << o.err;
  expect_nothing_left();

  config_ = nlohmann::json::parse(default_spec_json());
  config_["process"]["args"] = {"true"};
  config_["root"]["path"] = "missing-rootfs";
  auto r = run_container(new_id("norootfs"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "stack runtime: rootfs " + bundle_ + "/missing-rootfs: No such file or directory\n");

  config_["root"]["path"] = "rootfs";
  config_["process"]["args"] = "true";
  auto bad = run_container(new_id("badjson"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.err, "stack runtime: config.json: process.args: must be an array of strings\n");

  config_["process"]["args"] = {"true"};
  config_["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1 << 30}}};
  auto limit = run_container(new_id("limit"));
  if (limit.status != 0) {  // without CAP_SYS_RESOURCE (this machine) the kernel refuses
    EXPECT_TRUE(contains(limit.err, "setrlimit RLIMIT_NOFILE 1:1073741824")) << limit.err;
  }
  auto create_fail = run_stack({"create", new_id("createfail")});
  expect_nothing_left();
  (void)create_fail;
}

TEST_F(RuntimeTest, CreateRuntimeHookGetsTheState) {
  std::string id = new_id("hooks");
  std::string out = dir_ + "/hook-state.json";
  config_["hooks"]["createRuntime"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > " + out}}}};
  config_["hooks"]["poststop"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo stopped > " + dir_ + "/poststop"}}}};
  auto o = run_container(id);
  ASSERT_EQ(o.status, 0) << o.err;
  auto st = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(st["id"], id);
  EXPECT_EQ(st["status"], "creating");
  EXPECT_GT(st["pid"].get<int>(), 0);
  EXPECT_EQ(slurp(dir_ + "/poststop"), "stopped\n");
}

TEST_F(RuntimeTest, UserNamespaceWithMappings) {
  // The mapped root (host uid 100000) must be able to reach the rootfs.
  ::chmod(dir_.c_str(), 0755);
  config_["linux"]["namespaces"].push_back({{"type", "user"}});
  config_["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  config_["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  set_args("id -u; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; echo x > /dev/null && echo null-ok; hostname");
  auto o = run_container(new_id("userns"));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "0\n 0 100000 65536\n 0 100000 65536\nnull-ok\nstack-test-host\n");
}

// Docker's capability set and seccomp profile reach the process (their contents are
// tested with the security code; this checks the core applies them, in the right order).
TEST_F(RuntimeTest, DockerCapabilitiesAndSeccompApplied) {
  Capabilities caps = docker_default_capabilities();
  config_["process"]["capabilities"] = {{"bounding", caps.bounding}, {"effective", caps.effective}, {"permitted", caps.permitted},
                                        {"inheritable", caps.inheritable}, {"ambient", caps.ambient}};
  Seccomp sc = docker_default_seccomp();
  nlohmann::json seccomp = {{"defaultAction", sc.default_action}, {"architectures", sc.architectures}, {"syscalls", nlohmann::json::array()}};
  if (sc.default_errno_ret) seccomp["defaultErrnoRet"] = *sc.default_errno_ret;
  for (const auto& rule : sc.syscalls) {
    nlohmann::json r = {{"names", rule.names}, {"action", rule.action}, {"args", nlohmann::json::array()}};
    if (rule.errno_ret) r["errnoRet"] = *rule.errno_ret;
    for (const auto& a : rule.args) r["args"].push_back({{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
    seccomp["syscalls"].push_back(r);
  }
  config_["linux"]["seccomp"] = seccomp;
  for (bool nnp : {true, false}) {
    config_["process"]["noNewPrivileges"] = nnp;
    set_args("grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | tr -d ' \t'");
    auto o = run_container(new_id(nnp ? "caps-nnp" : "caps"));
    ASSERT_EQ(o.status, 0) << o.err;
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
    // SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP: 0xa80425fb, what `docker run` shows.
    EXPECT_EQ(o.out, std::string("CapEff:00000000a80425fb\nCapBnd:00000000a80425fb\nNoNewPrivs:") + (nnp ? "1" : "0") +
                         "\nSeccomp:2\n");
  }
}

TEST_F(RuntimeTest, SpecWritesADefaultConfig) {
  std::filesystem::remove(bundle_ + "/config.json");
  auto o = run_stack({"spec"});
  ASSERT_EQ(o.status, 0) << o.err;
  auto spec = load_spec(bundle_);
  ASSERT_TRUE(spec) << spec.error().message;
  auto again = run_stack({"spec", "-b", bundle_});
  EXPECT_EQ(again.status, 1);
  EXPECT_TRUE(contains(again.err, "exists. Remove it first")) << again.err;
}

}  // namespace
}  // namespace stack::runtime::testing
