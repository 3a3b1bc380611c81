// The per-container monitor, end to end: engine/monitor's launch() makes a real busybox
// container under a real stack-monitor (the static binary next to `stack`), clients speak
// the attach protocol over its socket, and the test reads what the container produced:
// the json-file log, frames, exit.json, the monitor's own memory.
#include <sys/mount.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "common/files.h"
#include "engine/monitor/launch.h"
#include "engine/monitor/monitor_client.h"
#include "engine/monitor/protocol.h"
#include "engine/runtime/container.h"
#include "engine/runtime/spec_json.h"
#include "tests/integration/runtime_test_helpers.h"

namespace stack::monitor {
namespace {

namespace fs = std::filesystem;
using runtime::testing::RuntimeTest;
using runtime::testing::slurp;

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::string monitor_binary() { return (fs::path(STACK_BINARY).parent_path() / "stack-monitor").string(); }

struct Collected {
  std::string out, err;
  std::optional<ExitInfo> exit;
};

// Reads frames until the exit frame (or the deadline).
Collected collect(MonitorClient& client, int timeout_ms = 10000) {
  Collected c;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!c.exit) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) break;
    auto f = client.read_frame(left);
    if (!f) {
      ADD_FAILURE() << f.error().to_string();
      break;
    }
    if (!*f) break;
    auto& [type, payload] = **f;
    if (type == FrameType::stdout_data) c.out += payload;
    if (type == FrameType::stderr_data) c.err += payload;
    if (type == FrameType::exit) {
      auto e = parse_exit_json(payload);
      EXPECT_TRUE(e) << payload;
      if (e) c.exit = *e;
    }
  }
  return c;
}

// Reads output frames until `needle` shows up in stdout.
std::string read_until(MonitorClient& client, const std::string& needle, int timeout_ms = 5000) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!contains(out, needle)) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) break;
    auto f = client.read_frame(left);
    if (!f || !*f) break;
    if ((*f)->first == FrameType::stdout_data) out += (*f)->second;
  }
  return out;
}

struct LogLine {
  std::string log, stream, time;
};

std::vector<LogLine> read_log(const std::string& path) {
  std::vector<LogLine> lines;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    if (j.is_discarded()) continue;
    lines.push_back({j.value("log", ""), j.value("stream", ""), j.value("time", "")});
  }
  return lines;
}

long vm_rss_kb(pid_t pid) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

class MonitorTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(fs::exists(monitor_binary())) << monitor_binary();
    run_ = dir_ + "/run";
  }

  void TearDown() override {
    if (dir_.empty()) return;
    // Whatever still runs is killed; every monitor must be gone (we are their subreaper).
    for (const auto& id : ids_) (void)runtime::kill_container(root_, id, SIGKILL);
    for (const auto& l : launched_) {
      if (!wait_for_exit(l.monitor_pid, 5000)) {
        ADD_FAILURE() << "monitor " << l.monitor_pid << " still running";
        ::kill(l.monitor_pid, SIGKILL);
        wait_for_exit(l.monitor_pid, 2000);
      }
      EXPECT_NE(::kill(l.container_pid, 0), 0) << "container process " << l.container_pid << " left";
    }
    for (const auto& id : ids_) (void)runtime::delete_container(root_, id, true);
    RuntimeTest::TearDown();
  }

  LaunchOptions options(const std::string& name, const std::string& script) {
    LaunchOptions o;
    o.id = new_id(name);
    o.bundle = bundle_;
    set_args(script);
    auto spec = runtime::parse_spec(config_.dump());
    EXPECT_TRUE(spec) << spec.error().to_string();
    if (spec) o.spec = std::move(*spec);
    o.runtime_root = root_;
    o.run_dir = run_ + "/containers/" + o.id;
    o.log_path = dir_ + "/" + o.id + "-json.log";
    o.monitor_binary = monitor_binary();
    return o;
  }

  Launched launch_ok(const LaunchOptions& o) {
    auto l = launch(o);
    EXPECT_TRUE(l) << l.error().to_string();
    if (!l) return {};
    launched_.push_back(*l);
    EXPECT_GT(l->container_pid, 0);
    EXPECT_TRUE(monitor_alive(l->monitor_pid, l->monitor_start_time));
    return *l;
  }

  MonitorClient connect(const LaunchOptions& o) {
    auto c = MonitorClient::connect(attach_socket_path(o.run_dir));
    EXPECT_TRUE(c) << c.error().to_string();
    return std::move(*c);
  }

  void start(const LaunchOptions& o) {
    auto r = runtime::start_container(root_, o.id);
    ASSERT_TRUE(r) << r.error().to_string();
  }

  // Waits for the monitor to exit (reaping it: we are its subreaper) and checks exit.json.
  ExitInfo finished(const LaunchOptions& o, const Launched& l) {
    EXPECT_TRUE(wait_for_exit(l.monitor_pid, 5000)) << "monitor did not exit";
    auto text = read_file(exit_file_path(o.run_dir));
    EXPECT_TRUE(text) << text.error().to_string();
    if (!text) return {};
    auto e = parse_exit_json(*text);
    EXPECT_TRUE(e) << *text;
    if (!e) return {};
    EXPECT_EQ(e->pid, l.container_pid);
    EXPECT_TRUE(e->finished_at.ends_with("Z")) << e->finished_at;
    EXPECT_FALSE(monitor_alive(l.monitor_pid, l.monitor_start_time));
    return *e;
  }

  std::string run_;
  std::vector<Launched> launched_;
};

TEST_F(MonitorTest, OutputGoesToTheJsonFileLogAndToAnAttachedClient) {
  auto o = options("output", "echo out-1; echo err-1 >&2; printf 'no-newline'; exit 0");
  auto l = launch_ok(o);
  auto client = connect(o);
  start(o);
  auto got = collect(client);
  EXPECT_EQ(got.out, "out-1\nno-newline");
  EXPECT_EQ(got.err, "err-1\n");
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 0);
  EXPECT_EQ(got.exit->pid, l.container_pid);
  EXPECT_EQ(finished(o, l).exit_code, 0);

  auto lines = read_log(o.log_path);
  std::string out, err;
  for (const auto& line : lines) {
    EXPECT_TRUE(line.stream == "stdout" || line.stream == "stderr") << line.stream;
    EXPECT_TRUE(line.time.ends_with("Z")) << line.time;
    (line.stream == "stdout" ? out : err) += line.log;
  }
  EXPECT_EQ(out, "out-1\nno-newline");  // the unterminated tail is flushed at the end
  EXPECT_EQ(err, "err-1\n");
  EXPECT_FALSE(fs::exists(attach_socket_path(o.run_dir)));
}

TEST_F(MonitorTest, NoLogWithLogDriverNone) {
  auto o = options("nolog", "echo hi");
  o.log_path.clear();
  auto l = launch_ok(o);
  auto client = connect(o);
  start(o);
  EXPECT_EQ(collect(client).out, "hi\n");
  finished(o, l);
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_FALSE(e.path().string().ends_with("-json.log")) << e.path();
}

TEST_F(MonitorTest, StdinRoundTripThroughCat) {
  auto o = options("stdin", "cat; echo cat-done");
  o.open_stdin = true;
  auto l = launch_ok(o);
  auto client = connect(o);
  start(o);
  ASSERT_TRUE(client.send_stdin("hello monitor\n"));
  EXPECT_EQ(read_until(client, "hello monitor\n"), "hello monitor\n");
  ASSERT_TRUE(client.send_stdin("second\n"));
  EXPECT_EQ(read_until(client, "second\n"), "second\n");
  ASSERT_TRUE(client.close_stdin());  // EOF: cat ends
  auto got = collect(client);
  EXPECT_EQ(got.out, "cat-done\n");
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 0);
  finished(o, l);
}

TEST_F(MonitorTest, StdinOnceClosesStdinWhenTheFirstStdinClientLeaves) {
  auto o = options("stdinonce", "cat; echo eof-seen; exit 4");
  o.open_stdin = true;
  o.stdin_once = true;
  auto l = launch_ok(o);
  auto watcher = connect(o);  // never sends stdin: not the one that counts
  {
    auto client = connect(o);
    start(o);
    ASSERT_TRUE(client.send_stdin("once\n"));
    EXPECT_EQ(read_until(client, "once\n"), "once\n");
  }  // disconnects without close_stdin
  auto got = collect(watcher);
  EXPECT_EQ(got.out, "once\neof-seen\n");
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 4);
  finished(o, l);
}

TEST_F(MonitorTest, WithoutStdinOnceADisconnectKeepsStdinOpen) {
  auto o = options("stdinkeep", "cat; echo eof-seen");
  o.open_stdin = true;
  auto l = launch_ok(o);
  {
    auto client = connect(o);
    start(o);
    ASSERT_TRUE(client.send_stdin("a\n"));
    EXPECT_EQ(read_until(client, "a\n"), "a\n");
  }
  auto again = connect(o);
  // cat is still there to echo a second client's input.
  ASSERT_TRUE(again.send_stdin("b\n"));
  EXPECT_EQ(read_until(again, "b\n"), "b\n");
  ASSERT_TRUE(again.close_stdin());
  auto got = collect(again);
  EXPECT_EQ(got.out, "eof-seen\n");
  finished(o, l);
}

// Docker keeps a TTY's input open when the attached client leaves, StdinOnce or not:
// `docker run -it` then ctrl-p ctrl-q, and `docker attach` later finds the shell alive.
TEST_F(MonitorTest, WithATtyStdinOnceKeepsStdinOpenWhenTheClientLeaves) {
  auto o = options("ttykeep", "read a; echo got-$a; read b; echo got-$b; exit 3");
  o.tty = true;
  o.open_stdin = true;
  o.stdin_once = true;
  auto l = launch_ok(o);
  {
    auto client = connect(o);
    start(o);
    ASSERT_TRUE(client.send_stdin("one\n"));
    EXPECT_TRUE(contains(read_until(client, "got-one"), "got-one"));
  }  // gone without close_stdin, as a detach
  auto again = connect(o);
  ASSERT_TRUE(again.send_stdin("two\n"));
  auto got = collect(again);
  EXPECT_TRUE(contains(got.out, "got-two")) << got.out;
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 3);
  finished(o, l);
}

TEST_F(MonitorTest, TtyShowsThePtyAndResizes) {
  auto o = options("tty", "read go; busybox tty; busybox stty size; exit 6");
  o.tty = true;
  o.open_stdin = true;
  auto l = launch_ok(o);
  auto client = connect(o);
  start(o);
  ASSERT_TRUE(client.resize(37, 101));
  ASSERT_TRUE(client.send_stdin("go\n"));
  auto got = collect(client);
  EXPECT_TRUE(contains(got.out, "/dev/pts/0")) << got.out;
  EXPECT_TRUE(contains(got.out, "37 101")) << got.out;
  EXPECT_TRUE(contains(got.out, "\r\n")) << "a terminal turns \\n into \\r\\n: " << got.out;
  EXPECT_EQ(got.err, "");  // with a TTY everything is stdout
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 6);
  EXPECT_EQ(finished(o, l).exit_code, 6);
  EXPECT_FALSE(fs::exists(o.run_dir + "/console.sock"));
  std::string logged;
  for (const auto& line : read_log(o.log_path)) {
    EXPECT_EQ(line.stream, "stdout");
    logged += line.log;
  }
  EXPECT_TRUE(contains(logged, "/dev/pts/0")) << logged;
}

TEST_F(MonitorTest, ExitCodesZeroThreeAndKilled) {
  auto zero = options("exit0", "exit 0");
  auto three = options("exit3", "exit 3");
  auto killed = options("exit137", "echo ready; exec sleep 1000");
  auto l0 = launch_ok(zero);
  auto l3 = launch_ok(three);
  auto lk = launch_ok(killed);
  auto c0 = connect(zero);
  auto c3 = connect(three);
  auto ck = connect(killed);
  start(zero);
  start(three);
  start(killed);
  EXPECT_EQ(read_until(ck, "ready\n"), "ready\n");
  ASSERT_TRUE(runtime::kill_container(root_, killed.id, SIGKILL));
  auto g0 = collect(c0), g3 = collect(c3), gk = collect(ck);
  ASSERT_TRUE(g0.exit && g3.exit && gk.exit);
  EXPECT_EQ(g0.exit->exit_code, 0);
  EXPECT_EQ(g3.exit->exit_code, 3);
  EXPECT_EQ(gk.exit->exit_code, 137);
  EXPECT_EQ(finished(zero, l0).exit_code, 0);
  EXPECT_EQ(finished(three, l3).exit_code, 3);
  EXPECT_EQ(finished(killed, lk).exit_code, 137);
}

TEST_F(MonitorTest, KeepsRunningWhenTheLauncherDiesAndAcceptsReconnects) {
  auto o = options("orphan", "i=0; while [ $i -lt 30 ]; do echo tick-$i; i=$((i+1)); sleep 0.05; done; exit 7");
  // The launching process (a stand-in for the daemon) launches, attaches, starts, and dies.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t launcher = ::fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    ::close(pipe_fds[0]);
    auto l = launch(o);
    if (!l) ::_exit(1);
    auto c = MonitorClient::connect(attach_socket_path(o.run_dir));
    if (!c || !runtime::start_container(o.runtime_root, o.id)) ::_exit(2);
    if (::write(pipe_fds[1], &*l, sizeof *l) != sizeof *l) ::_exit(3);
    (void)c->read_frame(2000);
    ::_exit(0);  // no close_stdin, no goodbye
  }
  ::close(pipe_fds[1]);
  Launched l{};
  ASSERT_EQ(::read(pipe_fds[0], &l, sizeof l), static_cast<ssize_t>(sizeof l));
  ::close(pipe_fds[0]);
  launched_.push_back(l);
  int status = 0;
  ASSERT_EQ(::waitpid(launcher, &status, 0), launcher);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(monitor_alive(l.monitor_pid, l.monitor_start_time));

  // Later, a new client: it sees output from then on, and the exit.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto client = connect(o);
  auto got = collect(client);
  EXPECT_TRUE(contains(got.out, "tick-29\n")) << got.out;
  EXPECT_FALSE(contains(got.out, "tick-0\n")) << "a late client sees only what came after it connected";
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 7);
  EXPECT_EQ(finished(o, l).exit_code, 7);
  // The log has everything, before and after the launcher died.
  std::string logged;
  for (const auto& line : read_log(o.log_path)) logged += line.log;
  EXPECT_TRUE(contains(logged, "tick-0\ntick-1\n")) << logged;
  EXPECT_TRUE(contains(logged, "tick-29\n")) << logged;
}

TEST_F(MonitorTest, ExitJsonIsWrittenWithNoClientAtAll) {
  auto o = options("noclient", "echo alone; exit 9");
  auto l = launch_ok(o);
  start(o);
  EXPECT_EQ(finished(o, l).exit_code, 9);
  auto lines = read_log(o.log_path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].log, "alone\n");
}

TEST_F(MonitorTest, LogRotatesAtMaxSize) {
  auto o = options("rotate", "i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done");
  o.log_options = {{"max-size", "1k"}, {"max-file", "3"}};
  auto l = launch_ok(o);
  start(o);
  EXPECT_EQ(finished(o, l).exit_code, 0);
  EXPECT_TRUE(fs::exists(o.log_path + ".1"));
  EXPECT_TRUE(fs::exists(o.log_path + ".2"));
  EXPECT_FALSE(fs::exists(o.log_path + ".3"));  // max-file 3: current + 2
  for (const auto& p : {o.log_path, o.log_path + ".1", o.log_path + ".2"}) EXPECT_LE(fs::file_size(p), 1200u) << p;
  auto last = read_log(o.log_path);
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last.back().log, "line-199-xxxxxxxxxxxxxxxxxxxxxxxx\n");
}

TEST_F(MonitorTest, BadLogOptionsAreRefusedBeforeAnythingStarts) {
  auto o = options("badopt", "true");
  o.log_options = {{"max-size", "lots"}};
  EXPECT_FALSE(launch(o));
  EXPECT_FALSE(fs::exists(root_ + "/" + o.id));
}

TEST_F(MonitorTest, AStuckClientIsDroppedAndTheContainerIsNotBlocked) {
  // ~6 MiB of output (more than a client socket buffers); the stuck client reads nothing.
  auto o = options("stuck", "i=0; while [ $i -lt 6 ]; do busybox head -c 1048576 /dev/zero | busybox tr '\\0' 'z'; i=$((i+1)); done; echo end");
  o.log_path.clear();
  auto l = launch_ok(o);
  auto stuck = connect(o);
  auto reader = connect(o);
  start(o);
  auto got = collect(reader, 30000);
  ASSERT_TRUE(got.exit);
  EXPECT_EQ(got.exit->exit_code, 0);
  EXPECT_EQ(got.out.size(), 6u * 1048576 + 4);
  EXPECT_TRUE(got.out.ends_with("zzend\n"));
  finished(o, l);
  // The stuck client got part of it, then the connection was closed (no exit frame).
  Collected partial;
  bool closed = false;
  for (;;) {
    auto f = stuck.read_frame(2000);
    if (!f) {
      closed = true;  // ECONNRESET: closed before an exit frame
      break;
    }
    if (!*f) break;
    if ((*f)->first == FrameType::exit) partial.exit = ExitInfo{};
    if ((*f)->first == FrameType::stdout_data) partial.out += (*f)->second;
  }
  EXPECT_TRUE(closed);
  EXPECT_FALSE(partial.exit);
  EXPECT_LT(partial.out.size(), got.out.size());
}

TEST_F(MonitorTest, IdleMonitorRssIsUnderOneMebibyte) {
  auto o = options("rss", "echo up; exec sleep 1000");
  o.open_stdin = true;
  auto l = launch_ok(o);
  {
    auto client = connect(o);
    start(o);
    EXPECT_EQ(read_until(client, "up\n"), "up\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  long rss = vm_rss_kb(l.monitor_pid);
  std::string pss_line;
  {
    std::istringstream in(slurp("/proc/" + std::to_string(l.monitor_pid) + "/smaps_rollup"));
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Pss:", 0) == 0) pss_line = line;
  }
  std::printf("[ monitor ] idle stack-monitor VmRSS: %ld kB; %s\n", rss, pss_line.c_str());
  RecordProperty("monitor_vm_rss_kb", static_cast<int>(rss));
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, 1024);
  ASSERT_TRUE(runtime::kill_container(root_, o.id, SIGKILL));
  EXPECT_EQ(finished(o, l).exit_code, 137);
}

TEST_F(MonitorTest, NothingIsLeftAfterExitAndDelete) {
  auto o = options("cleanup", "echo bye");
  auto l = launch_ok(o);
  start(o);
  EXPECT_EQ(finished(o, l).exit_code, 0);
  ASSERT_TRUE(runtime::delete_container(root_, o.id, false));
  EXPECT_NE(::kill(l.monitor_pid, 0), 0);
  EXPECT_NE(::kill(l.container_pid, 0), 0);
  EXPECT_FALSE(fs::exists(attach_socket_path(o.run_dir)));
  EXPECT_FALSE(fs::exists(root_ + "/" + o.id));
  // (TearDown checks mounts, cgroups and the state root.)
}

TEST_F(MonitorTest, AFailedCreateLeavesNothing) {
  auto o = options("nocmd", "true");
  o.spec.process.args = {"/no/such/command"};
  auto l = launch(o);
  ASSERT_FALSE(l);
  EXPECT_TRUE(contains(l.error().to_string(), "/no/such/command")) << l.error().to_string();
  EXPECT_FALSE(fs::exists(root_ + "/" + o.id));
  EXPECT_FALSE(fs::exists(attach_socket_path(o.run_dir)));
  // No monitor or stray child: nothing of ours is left to reap but exited zombies.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(MonitorTest, AMissingMonitorBinaryIsRefused) {
  auto o = options("nobinary", "true");
  o.monitor_binary = dir_ + "/no-such-monitor";
  auto l = launch(o);
  ASSERT_FALSE(l);
  EXPECT_FALSE(fs::exists(root_ + "/" + o.id));
}

}  // namespace
}  // namespace stack::monitor
