// Helpers for the runtime integration tests (root, real kernel): a busybox bundle made in
// a per-test temp dir from /bin/busybox, the `stack runtime` binary run with its output
// captured, and checks that nothing is left behind (state dir, cgroup dirs, mounts).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runtime/spec_json.h"

extern char** environ;

namespace stack::runtime::testing {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Output {
  int status = -1;  // exit code
  std::string out, err;
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    // Containers started by `create` are reparented to us when the CLI exits; we reap them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    std::string tmpl = "/tmp/stack-test-" + std::to_string(::getpid()) + "-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/state";
    bundle_ = dir_ + "/bundle";
    make_rootfs(bundle_ + "/rootfs");
    auto spec = nlohmann::json::parse(default_spec_json());
    spec["process"]["args"] = {"true"};
    spec["hostname"] = "stack-test-host";
    config_ = spec;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    for (const auto& id : ids_) (void)run_stack({"delete", "--force", id});
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    expect_nothing_left();
    std::filesystem::remove_all(dir_);
  }

  // A rootfs as make-rootfs.sh makes it: /bin/busybox and one symlink per applet.
  static void make_rootfs(const std::string& rootfs) {
    for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "proc", "sys", "dev"})
      std::filesystem::create_directories(rootfs + "/" + d);
    std::filesystem::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    ::chmod((rootfs + "/bin/busybox").c_str(), 0755);
    for (const char* applet : {"sh", "true", "false", "id", "hostname", "cat", "ls", "sleep", "touch", "echo", "wc",
                               "grep", "env", "pwd", "stat", "kill", "mkdir", "readlink", "head"})
      std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet);
    std::ofstream(rootfs + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n";
    std::ofstream(rootfs + "/etc/group") << "root:x:0:\nnogroup:x:65534:\n";
    ::chmod((rootfs + "/tmp").c_str(), 01777);
  }

  std::string new_id(const std::string& name) {
    std::string id = "stack-test-" + std::to_string(::getpid()) + "-" + name;
    ids_.push_back(id);
    return id;
  }

  void write_config() { std::ofstream(bundle_ + "/config.json") << config_.dump(2); }

  void set_args(const std::string& script) { config_["process"]["args"] = {"sh", "-c", script}; }

  // Runs `stack runtime --root ROOT ARGS...` in the bundle dir; stdout and stderr go to
  // files (a created container inherits them, so no pipe may wait for its end).
  Output run_stack(const std::vector<std::string>& args, pid_t* pid_out = nullptr, bool wait = true) {
    std::vector<std::string> argv = {STACK_BINARY, "runtime", "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out = dir_ + "/out." + std::to_string(counter_), err = dir_ + "/err." + std::to_string(counter_);
    ++counter_;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, bundle_.c_str());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = -1;
    Output o;
    int rc = posix_spawn(&pid, STACK_BINARY, &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      o.err = "posix_spawn failed";
      return o;
    }
    if (pid_out) *pid_out = pid;
    last_out_ = out;
    last_err_ = err;
    if (!wait) return o;
    return finish(pid);
  }

  Output finish(pid_t pid) {
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    Output o;
    o.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    o.out = slurp(last_out_);
    o.err = slurp(last_err_);
    return o;
  }

  // Runs the config as it is and returns what the container printed.
  Output run_container(const std::string& id) {
    write_config();
    return run_stack({"run", id});
  }

  nlohmann::json state_of(const std::string& id) {
    auto o = run_stack({"state", id});
    EXPECT_EQ(o.status, 0) << o.err;
    return o.status == 0 ? nlohmann::json::parse(o.out) : nlohmann::json{};
  }

  // Waits (pidfd, no polling loop) for a process to exit, reaping it when it is ours.
  static bool wait_for_exit(pid_t pid, int timeout_ms) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return true;  // already gone
    pollfd p{fd, POLLIN, 0};
    bool exited = ::poll(&p, 1, timeout_ms) > 0;
    ::close(fd);
    if (exited) ::waitpid(pid, nullptr, WNOHANG);
    return exited;
  }

  // Containers whose processes outlive the CLI that made them (exec -d, an init killed
  // with its namespace) send those processes to us, the subreaper; a pid namespace's init
  // does not finish exiting until every process of it is reaped. Kills each container's
  // init (SIGKILL, thawed first) and reaps until they are gone (3 s at most).
  void kill_and_reap() {
    for (const auto& id : ids_) {
      (void)run_stack({"resume", id});
      (void)run_stack({"kill", id, "KILL"});
    }
    for (int i = 0; i < 300; ++i) {
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      bool alive = false;
      for (const auto& id : ids_) {
        std::string state = slurp(root_ + "/" + id + "/state.json");
        if (state.empty()) continue;
        pid_t pid = nlohmann::json::parse(state).value("pid", 0);
        if (pid > 0 && ::kill(pid, 0) == 0) alive = true;
      }
      if (!alive) return;
      ::usleep(10000);
    }
  }

  void expect_nothing_left() {
    EXPECT_TRUE(!std::filesystem::exists(root_) || std::filesystem::is_empty(root_)) << "state left in " << root_;
    for (const auto& id : ids_) {
      for (const char* c : {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "freezer", "devices", "unified"})
        EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/" + std::string(c) + "/" + id)) << "cgroup left: " << c << "/" << id;
      EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/" + id));
    }
    std::string mounts = slurp("/proc/self/mountinfo");
    EXPECT_EQ(mounts.find(dir_), std::string::npos) << "a mount references " << dir_;
  }

  std::string dir_, root_, bundle_;
  nlohmann::json config_;
  std::vector<std::string> ids_;
  std::string last_out_, last_err_;
  int counter_ = 0;
};

}  // namespace stack::runtime::testing
