// `stack container ...`, `stack system info`, `stack version` end to end (root): the
// built `stack` binary against a real `stack daemon` with a temp state root and run dir
// (DaemonTest starts it and checks that nothing is left behind). What is checked is what
// the docker CLI does: output on the right stream, exit codes (the container's own,
// 125/126/127, 1), the error shapes, and the daemon auto-start.
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "daemon_test_helpers.h"

namespace stack::daemon::testing {
namespace {

struct CliResult {
  int status = -1;
  std::string out, err;
};

class CliTest : public DaemonTest {
 protected:
  // Runs `stack --root R --run-root RR ARGS...` with `input` on stdin; kills it after
  // `timeout_ms` (a hang fails the test instead of blocking the suite).
  CliResult cli(const std::vector<std::string>& args, const std::string& input = "", int timeout_ms = 20000) {
    std::vector<std::string> argv = {STACK_BINARY, "--root", root_, "--run-root", run_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string in = dir_ + "/cli.in", out = dir_ + "/cli.out", err = dir_ + "/cli.err";
    std::ofstream(in) << input;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    CliResult r;
    if (rc != 0) {
      ADD_FAILURE() << "spawn stack: " << std::strerror(rc);
      return r;
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    for (;;) {
      pid_t done = ::waitpid(pid, &status, WNOHANG);
      if (done == pid) break;
      if (Clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "stack " << join(args) << " did not finish within " << timeout_ms << " ms";
        break;
      }
      ::usleep(2000);
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  static std::string join(const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
    return s;
  }

  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // `container ls -a -q --filter name=NAME` count, polled until it is `want` (a --rm
  // container goes away just after run returns in docker too).
  bool eventually_count(const std::string& name, size_t want, int timeout_ms = 5000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto r = cli({"container", "ls", "-a", "-q", "--filter", "name=" + name});
      size_t n = 0;
      for (char c : r.out) n += c == '\n';
      if (n == want) return true;
      if (Clock::now() > deadline) return false;
      ::usleep(20000);
    }
  }

  std::string state_of(const std::string& name) {
    return trimmed(cli({"container", "inspect", "-f", "{{.State.Status}}", name}).out);
  }

  void wait_running(const std::string& name) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (state_of(name) != "running") {
      ASSERT_LT(Clock::now(), deadline) << name << " did not reach running";
      ::usleep(20000);
    }
  }

  static constexpr const char* kLong = "trap 'exit 3' TERM; sleep 1000 & wait";

  // Runs the CLI with a fresh pty (rows x cols) as its controlling terminal and stdio;
  // each step's keys are typed once its marker has been shown (after the previous
  // step's). Returns the exit status and all the terminal showed.
  using Steps = std::vector<std::pair<std::string, std::string>>;
  CliResult cli_on_terminal(const std::vector<std::string>& args, Steps steps, unsigned short rows = 27,
                            unsigned short cols = 91) {
    CliResult r;
    int master = -1, slave = -1;
    struct winsize ws {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    if (::openpty(&master, &slave, nullptr, nullptr, &ws) != 0) {
      ADD_FAILURE() << "openpty: " << std::strerror(errno);
      return r;
    }
    std::vector<std::string> argv = {STACK_BINARY, "--root", root_, "--run-root", run_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      ::ioctl(slave, TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) ::dup2(slave, fd);
      ::close(master);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    ::close(slave);
    size_t step = 0, shown_before = 0;
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      pollfd pfd{master, POLLIN, 0};
      if (::poll(&pfd, 1, 200) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: the terminal's last user is gone
      r.out.append(buf, static_cast<size_t>(n));
      while (step < steps.size() && r.out.find(steps[step].first, shown_before) != std::string::npos) {
        const std::string& keys = steps[step].second;
        shown_before = r.out.size();
        ++step;
        if (::write(master, keys.data(), keys.size()) != static_cast<ssize_t>(keys.size())) ADD_FAILURE() << "typing";
      }
    }
    ::close(master);
    int status = 0;
    // The terminal ends as the CLI closes its files, a moment before it can be reaped.
    pid_t done = 0;
    for (auto until = Clock::now() + std::chrono::seconds(5); done != pid && Clock::now() < until;) {
      done = ::waitpid(pid, &status, WNOHANG);
      if (done != pid) ::usleep(2000);
    }
    if (done != pid) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "stack " << join(args) << " on a terminal did not finish: " << r.out;
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
  }
};

// docker's `run -it` / `exec -it`: a terminal of the container's own, sized as the
// client's, and the detach keys leave the container running with its input open.
TEST_F(CliTest, TerminalsForRunAndExec) {
  auto r = cli({"container", "run", "-d", "--name", "cli-tty", kImage, "sh", "-c", kLong});
  ASSERT_EQ(r.status, 0) << r.err;
  created_.push_back(trimmed(r.out));
  wait_running("cli-tty");
  auto exec = cli_on_terminal({"container", "exec", "-it", "cli-tty", "sh"}, {{"/ # ", "tty; stty size; exit 5\r"}});
  EXPECT_EQ(exec.status, 5) << exec.out;
  EXPECT_TRUE(std::regex_search(exec.out, std::regex("/dev/pts/[0-9]+\r\n27 91\r\n"))) << exec.out;

  auto sized = cli_on_terminal({"container", "run", "-it", "--rm", kImage, "stty", "size"}, {}, 33, 120);
  EXPECT_EQ(sized.status, 0) << sized.out;
  EXPECT_NE(sized.out.find("33 120"), std::string::npos) << sized.out;  // sized from the start, no race
  auto run = cli_on_terminal({"container", "run", "-it", "--name", "cli-tty-run", kImage, "sh"},
                             {{"/ # ", "echo one-$((2+2))\r"}, {"one-4", "\x10\x11"}}, 30, 100);
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("one-4"), std::string::npos) << run.out;
  EXPECT_EQ(state_of("cli-tty-run"), "running");
  auto again = cli_on_terminal({"container", "exec", "-it", "cli-tty-run", "sh", "-c", "stty size"}, {}, 30, 100);
  EXPECT_NE(again.out.find("30 100"), std::string::npos) << again.out;
  // An exec detached with the keys: docker's message and exit 1; the process goes on.
  auto detached = cli_on_terminal({"container", "exec", "-it", "--detach-keys", "ctrl-a,x", "cli-tty-run", "sh", "-c",
                                   "echo ready; sleep 3; echo late"},
                                  {{"ready", "\x01x"}});
  EXPECT_EQ(detached.status, 1) << detached.out;
  EXPECT_NE(detached.out.find("read escape sequence"), std::string::npos) << detached.out;
  EXPECT_EQ(detached.out.find("late"), std::string::npos) << detached.out;
  EXPECT_EQ(cli({"container", "rm", "-f", "cli-tty-run"}).status, 0);
}

TEST_F(CliTest, RunAttachedPassesStreamsAndExitCode) {
  auto r = cli({"container", "run", "--rm", "--name", "cli-streams", kImage, "sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_TRUE(eventually_count("cli-streams", 0)) << "--rm left the container";
}

TEST_F(CliTest, RunExitCodesOfSignalsAndDaemonErrors) {
  EXPECT_EQ(cli({"container", "run", "--rm", kImage, "true"}).status, 0);
  EXPECT_EQ(cli({"container", "run", "--rm", kImage, "sh", "-c", "exit 255"}).status, 255);
  EXPECT_EQ(cli({"container", "run", "--rm", kImage, "sh", "-c", "sleep 100 & kill -9 $!; wait $!"}).status, 137);

  auto missing = cli({"container", "run", "--rm", "127.0.0.1:1/no/such-image:1", "true"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_EQ(missing.out, "");
  EXPECT_NE(missing.err.find("Unable to find image '127.0.0.1:1/no/such-image:1' locally"), std::string::npos) << missing.err;

  auto flag = cli({"container", "run", "--rm", "--no-such-flag", kImage, "true"});
  EXPECT_EQ(flag.status, 125);
  EXPECT_NE(flag.err.find("--no-such-flag"), std::string::npos) << flag.err;

  // A command that cannot start: docker removes the --rm container before run returns.
  auto not_found = cli({"container", "run", "--rm", "--name", "cli-notfound", kImage, "no-such-command"});
  EXPECT_EQ(not_found.status, 127) << not_found.err;
  EXPECT_NE(not_found.err.find("no-such-command"), std::string::npos) << not_found.err;
  EXPECT_TRUE(eventually_count("cli-notfound", 0, 1000)) << "--rm left a container whose command was not found";
  auto not_exec = cli({"container", "run", "--rm", kImage, "/etc/passwd"});
  EXPECT_EQ(not_exec.status, 126) << not_exec.err;
  EXPECT_NE(not_exec.err.find("permission denied"), std::string::npos) << not_exec.err;

  auto user = cli({"container", "run", "--rm", "-u", "no-such-user", kImage, "true"});
  EXPECT_EQ(user.status, 125) << user.err;
}

TEST_F(CliTest, RunFlagsAfterImageAreTheCommand) {
  auto r = cli({"container", "run", "--rm", kImage, "echo", "--rm", "-d", "-e", "X=1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "--rm -d -e X=1\n");
}

TEST_F(CliTest, RunStdinOnlyWithDashI) {
  auto with = cli({"container", "run", "--rm", "-i", kImage, "cat"}, "piped\n");
  EXPECT_EQ(with.status, 0) << with.err;
  EXPECT_EQ(with.out, "piped\n");
  auto without = cli({"container", "run", "--rm", kImage, "cat"}, "piped\n");
  EXPECT_EQ(without.status, 0) << without.err;
  EXPECT_EQ(without.out, "");
}

TEST_F(CliTest, RunEnvironmentWorkdirUserAndEnvFile) {
  std::ofstream(dir_ + "/env.list") << "# comment\nFILE_A=1\n  FILE_LEAD=x\nFILE_Q=\"q\"\n";
  ::setenv("CLI_TEST_PASSED", "from-client", 1);
  auto r = cli({"container", "run", "--rm", "--env-file", dir_ + "/env.list", "-e", "A=1", "-e", "CLI_TEST_PASSED", "-w",
                "/tmp", "-u", "nobody", kImage, "sh", "-c", "echo $FILE_A $FILE_LEAD $FILE_Q $A $CLI_TEST_PASSED; pwd; id -u"});
  ::unsetenv("CLI_TEST_PASSED");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1 x \"q\" 1 from-client\n/tmp\n65534\n");
  auto nofile = cli({"container", "run", "--rm", "--name", "cli-nofile", "--env-file", dir_ + "/none.env", kImage, "true"});
  EXPECT_EQ(nofile.status, 125);
  EXPECT_TRUE(eventually_count("cli-nofile", 0, 0)) << "a refused run made a container";
}

TEST_F(CliTest, RunDetachedStopWaitRm) {
  auto r = cli({"container", "run", "-d", "--name", "cli-detached", kImage, "sh", "-c", kLong});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_match(trimmed(r.out), std::regex("[0-9a-f]{64}"))) << r.out;
  created_.push_back(trimmed(r.out));
  wait_running("cli-detached");

  auto rm_running = cli({"container", "rm", "cli-detached"});
  EXPECT_EQ(rm_running.status, 1);
  EXPECT_NE(rm_running.err.find("Error response from daemon: "), std::string::npos) << rm_running.err;

  auto stop = cli({"container", "stop", "-t", "5", "cli-detached"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_EQ(stop.out, "cli-detached\n");
  auto wait = cli({"container", "wait", "cli-detached"});
  EXPECT_EQ(wait.status, 0) << wait.err;
  EXPECT_EQ(wait.out, "3\n");
  EXPECT_EQ(state_of("cli-detached"), "exited");

  auto rm = cli({"container", "rm", "cli-detached"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(rm.out, "cli-detached\n");
  auto again = cli({"container", "rm", "cli-detached"});
  EXPECT_EQ(again.status, 1);
  EXPECT_EQ(again.err, "Error response from daemon: No such container: cli-detached\n");
}

TEST_F(CliTest, CreateStartAttachAndNameConflict) {
  auto c = cli({"container", "create", "--name", "cli-created", kImage, "sh", "-c", "echo attached; exit 6"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_TRUE(std::regex_match(trimmed(c.out), std::regex("[0-9a-f]{64}"))) << c.out;
  created_.push_back(trimmed(c.out));
  EXPECT_EQ(state_of("cli-created"), "created");

  auto dup = cli({"container", "create", "--name", "cli-created", kImage, "true"});
  EXPECT_EQ(dup.status, 1);
  EXPECT_NE(dup.err.find("is already in use"), std::string::npos) << dup.err;

  auto start = cli({"container", "start", "-a", "cli-created"});
  EXPECT_EQ(start.status, 6) << start.err;
  EXPECT_EQ(start.out, "attached\n");
  auto wait = cli({"container", "wait", "cli-created"});
  EXPECT_EQ(wait.out, "6\n");
  EXPECT_EQ(cli({"container", "start", "cli-nosuch"}).status, 1);
  EXPECT_EQ(cli({"container", "wait", "cli-nosuch"}).status, 1);
}

TEST_F(CliTest, LsFormatsAndFilters) {
  auto r = cli({"container", "run", "-d", "--name", "cli-ls", "-l", "cli.test=yes", kImage, "sh", "-c", kLong});
  ASSERT_EQ(r.status, 0) << r.err;
  created_.push_back(trimmed(r.out));
  auto e = cli({"container", "create", "--name", "cli-ls-created", kImage, "true"});
  ASSERT_EQ(e.status, 0) << e.err;
  created_.push_back(trimmed(e.out));
  wait_running("cli-ls");

  auto table = cli({"container", "ls"});
  EXPECT_EQ(table.status, 0) << table.err;
  EXPECT_TRUE(table.out.starts_with("CONTAINER ID   IMAGE"));
  EXPECT_NE(table.out.find("cli-ls\n"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("cli-ls-created"), std::string::npos) << "ls without -a lists a created container";
  EXPECT_NE(table.out.find("\"sh -c 'trap 'exit 3…\""), std::string::npos) << table.out;

  auto quiet = cli({"container", "ls", "-a", "-q", "--filter", "name=cli-ls"});
  EXPECT_EQ(quiet.out, trimmed(e.out).substr(0, 12) + "\n" + trimmed(r.out).substr(0, 12) + "\n");
  auto label = cli({"container", "ls", "-a", "-q", "--no-trunc", "--filter", "label=cli.test=yes"});
  EXPECT_EQ(label.out, trimmed(r.out) + "\n");

  auto json_out = cli({"container", "ls", "--format", "json", "--filter", "name=cli-ls"});
  auto j = json::parse(trimmed(json_out.out), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json_out.out;
  EXPECT_EQ(j["Names"], "cli-ls");
  EXPECT_EQ(j["State"], "running");
  EXPECT_EQ(j["Labels"], "cli.test=yes");

  auto tmpl = cli({"container", "ls", "-a", "--format", "{{.Names}} {{.State}}", "--filter", "name=cli-ls-created"});
  EXPECT_EQ(tmpl.out, "cli-ls-created created\n");
}

TEST_F(CliTest, InspectArrayTemplateAndMissing) {
  auto c = cli({"container", "create", "--name", "cli-inspect", "-e", "A=1", "--restart", "on-failure:2", kImage, "true"});
  ASSERT_EQ(c.status, 0) << c.err;
  created_.push_back(trimmed(c.out));
  auto r = cli({"container", "inspect", "cli-inspect"});
  EXPECT_EQ(r.status, 0) << r.err;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["Id"], trimmed(c.out));
  EXPECT_EQ(j[0]["HostConfig"]["RestartPolicy"], json({{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  EXPECT_EQ(trimmed(cli({"container", "inspect", "-f", "{{.Name}} {{.State.Status}}", "cli-inspect"}).out),
            "/cli-inspect created");
  EXPECT_EQ(trimmed(cli({"container", "inspect", "-f", "{{json .HostConfig.RestartPolicy}}", "cli-inspect"}).out),
            "{\"Name\":\"on-failure\",\"MaximumRetryCount\":2}");
  auto missing = cli({"container", "inspect", "cli-inspect", "cli-nosuch"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("No such container: cli-nosuch"), std::string::npos) << missing.err;
  EXPECT_EQ(json::parse(missing.out, nullptr, false).size(), 1u) << missing.out;
}

TEST_F(CliTest, LogsSplitStreamsAndTail) {
  auto r = cli({"container", "run", "--name", "cli-logs", kImage, "sh", "-c",
                "for i in 1 2 3; do echo line $i; done; echo oops >&2"});
  ASSERT_EQ(r.status, 0) << r.err;
  created_.push_back(trimmed(cli({"container", "inspect", "-f", "{{.Id}}", "cli-logs"}).out));
  auto all = cli({"container", "logs", "cli-logs"});
  EXPECT_EQ(all.status, 0) << all.err;
  EXPECT_EQ(all.out, "line 1\nline 2\nline 3\n");
  EXPECT_EQ(all.err, "oops\n");
  EXPECT_EQ(cli({"container", "logs", "--tail", "2", "cli-logs"}).out, "line 3\n");
  auto follow = cli({"container", "logs", "-f", "cli-logs"}, "", 5000);
  EXPECT_EQ(follow.status, 0);
  auto ts = cli({"container", "logs", "-t", "--tail", "2", "cli-logs"});
  EXPECT_TRUE(std::regex_search(ts.out, std::regex("^\\d{4}-\\d\\d-\\d\\dT\\S+Z line 3\n$"))) << ts.out;
  auto missing = cli({"container", "logs", "cli-nosuch"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "Error response from daemon: No such container: cli-nosuch\n");
}

TEST_F(CliTest, ExecExitCodesEnvAndStdin) {
  auto r = cli({"container", "run", "-d", "--name", "cli-exec", "-e", "RUN=from-run", "-w", "/srv", kImage, "sh", "-c", kLong});
  ASSERT_EQ(r.status, 0) << r.err;
  created_.push_back(trimmed(r.out));
  wait_running("cli-exec");
  EXPECT_EQ(cli({"container", "exec", "cli-exec", "true"}).status, 0);
  EXPECT_EQ(cli({"container", "exec", "cli-exec", "sh", "-c", "exit 5"}).status, 5);
  auto env = cli({"container", "exec", "-e", "X=1", "cli-exec", "sh", "-c", "echo $X $RUN; pwd"});
  EXPECT_EQ(env.out, "1 from-run\n/srv\n");
  EXPECT_EQ(cli({"container", "exec", "-w", "/tmp", "-u", "nobody", "cli-exec", "sh", "-c", "pwd; id -u"}).out, "/tmp\n65534\n");
  auto streams = cli({"container", "exec", "cli-exec", "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(streams.out, "out\n");
  EXPECT_EQ(streams.err, "err\n");
  EXPECT_EQ(cli({"container", "exec", "-i", "cli-exec", "cat"}, "piped\n").out, "piped\n");
  EXPECT_EQ(cli({"container", "exec", "cli-exec", "cat"}, "piped\n").out, "");
  auto not_found = cli({"container", "exec", "cli-exec", "no-such-command"});
  EXPECT_NE(not_found.status, 0);
  EXPECT_NE((not_found.out + not_found.err).find("no-such-command"), std::string::npos);
  EXPECT_EQ(cli({"container", "exec", "-d", "cli-exec", "sh", "-c", "echo d > /tmp/d"}).status, 0);

  ASSERT_EQ(cli({"container", "stop", "cli-exec"}).status, 0);
  auto stopped = cli({"container", "exec", "cli-exec", "true"});
  EXPECT_EQ(stopped.status, 1);
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos) << stopped.err;
}

TEST_F(CliTest, KillPauseRenameTopStats) {
  auto r = cli({"container", "run", "-d", "--name", "cli-misc", "-m", "64m", kImage, "sh", "-c", kLong});
  ASSERT_EQ(r.status, 0) << r.err;
  created_.push_back(trimmed(r.out));
  wait_running("cli-misc");

  auto top = cli({"container", "top", "cli-misc"});
  EXPECT_EQ(top.status, 0) << top.err;
  EXPECT_NE(top.out.find("PID"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("sleep 1000"), std::string::npos) << top.out;

  auto stats = cli({"container", "stats", "--no-stream", "cli-misc"});
  EXPECT_EQ(stats.status, 0) << stats.err;
  EXPECT_TRUE(stats.out.starts_with("CONTAINER ID   NAME       CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n"))
      << stats.out;
  EXPECT_NE(stats.out.find("cli-misc"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("/ 64MiB"), std::string::npos) << stats.out;

  EXPECT_EQ(cli({"container", "pause", "cli-misc"}).out, "cli-misc\n");
  EXPECT_EQ(state_of("cli-misc"), "paused");
  EXPECT_EQ(cli({"container", "unpause", "cli-misc"}).out, "cli-misc\n");
  EXPECT_EQ(state_of("cli-misc"), "running");

  auto rename = cli({"container", "rename", "cli-misc", "cli-renamed"});
  EXPECT_EQ(rename.status, 0) << rename.err;
  EXPECT_EQ(rename.out, "");
  EXPECT_EQ(state_of("cli-renamed"), "running");

  EXPECT_EQ(cli({"container", "kill", "cli-renamed"}).out, "cli-renamed\n");
  EXPECT_EQ(cli({"container", "wait", "cli-renamed"}).out, "137\n");
  auto kill_stopped = cli({"container", "kill", "cli-renamed"});
  EXPECT_EQ(kill_stopped.status, 1);
}

TEST_F(CliTest, VersionAndSystemInfo) {
  auto v = cli({"version"});
  EXPECT_EQ(v.status, 0) << v.err;
  EXPECT_TRUE(v.out.starts_with("Client:\n Version:           ")) << v.out;
  EXPECT_NE(v.out.find("\nServer: stack\n Engine:\n  Version:"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("API version:      1.43 (minimum version "), std::string::npos) << v.out;
  EXPECT_EQ(trimmed(cli({"version", "--short"}).out), trimmed(cli({"version", "-f", "{{.Client.Version}}"}).out));

  auto info = cli({"system", "info"});
  EXPECT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("\nServer:\n Containers: 0\n  Running: 0\n"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find(" Logging Driver: json-file\n"), std::string::npos) << info.out;
  EXPECT_EQ(trimmed(cli({"system", "info", "-f", "{{.ServerVersion}}"}).out), trimmed(cli({"version", "--short"}).out));
}

TEST_F(CliTest, VersionNeverStartsADaemon) {
  stop_daemon();
  auto v = cli({"version"});
  EXPECT_EQ(v.status, 0) << v.err;
  EXPECT_TRUE(v.out.starts_with("Client:\n")) << v.out;
  EXPECT_EQ(v.out.find("Server"), std::string::npos) << v.out;
  EXPECT_FALSE(::access((run_ + "/stack.pid").c_str(), F_OK) == 0 && fs::exists(sock_) &&
               client::Client(sock_).get("/_ping").has_value())
      << "version started a daemon";
}

TEST_F(CliTest, CommandsStartTheDaemonWhenItIsNotRunning) {
  stop_daemon();
  auto t0 = Clock::now();
  auto r = cli({"container", "ls", "-a"});
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_EQ(r.status, 0) << r.err << slurp(root_ + "/daemon.log");
  EXPECT_TRUE(r.out.starts_with("CONTAINER ID")) << r.out;
  EXPECT_LT(took, 1000) << "auto-start took " << took << " ms";
  RecordProperty("autostart_ms", static_cast<int>(took));
  // The started daemon answers, and runs in a session of its own (setsid in the middle process).
  auto ping = client::Client(sock_).get("/_ping");
  ASSERT_TRUE(ping && ping->status == 200);
  pid_t pid = std::stoi(slurp(run_ + "/stack.pid"));
  EXPECT_NE(::getsid(pid), ::getsid(0)) << "the daemon is in the CLI's session";
  // Hand it to the fixture so teardown removes the containers and stops it.
  daemon_pid_ = pid;
  daemon_status_.reset();
  EXPECT_EQ(cli({"container", "run", "--rm", kImage, "true"}).status, 0);
}

TEST_F(CliTest, RunRmTrueLatency) {
  ASSERT_EQ(cli({"container", "run", "--rm", kImage, "true"}).status, 0);  // warm caches
  std::vector<double> ms;
  for (int i = 0; i < 10; ++i) {
    auto t0 = Clock::now();
    auto r = cli({"container", "run", "--rm", kImage, "true"});
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    ASSERT_EQ(r.status, 0) << r.err;
  }
  std::sort(ms.begin(), ms.end());
  RecordProperty("run_rm_true_median_ms", std::to_string(ms[ms.size() / 2]));
  std::cout << "run --rm IMAGE true: median " << ms[ms.size() / 2] << " ms, min " << ms.front() << " ms\n";
}

}  // namespace
}  // namespace stack::daemon::testing
