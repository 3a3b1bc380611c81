// Capabilities and seccomp applied for real, in a forked child (no container needed):
// the child reports what the kernel says (/proc/self/status, errno of syscalls) over a
// pipe, and the parent checks it. Needs root. Nothing is left behind: children exit,
// the one mount attempt happens in a private mount namespace on a temp dir we remove.
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <grp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "engine/runtime/capabilities.h"
#include "engine/runtime/docker_defaults.h"
#include "engine/runtime/seccomp.h"

namespace stack::runtime {
namespace {

struct ChildResult {
  int status = 0;
  std::map<std::string, std::string> values;  // "key value" lines the child wrote
  std::string text;
};

// Writes "key value\n" to the report fd.
void report(int fd, const std::string& key, const std::string& value) {
  std::string line = key + " " + value + "\n";
  (void)!::write(fd, line.data(), line.size());
}

// "ok" or the errno number of a failed call.
std::string outcome(long rc) { return rc < 0 ? std::to_string(errno) : "ok"; }

void report_result(int fd, const std::string& key, const Result<void>& r) {
  report(fd, key, r ? "ok" : r.error().to_string());
}

// CapEff, CapBnd, ... and Seccomp/NoNewPrivs as /proc/self/status has them.
void report_status(int fd) {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (!f) return;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    std::string l(line);
    for (const char* key : {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Uid:"}) {
      if (l.starts_with(key)) {
        std::istringstream in(l.substr(std::strlen(key)));
        std::string value;
        in >> value;
        report(fd, std::string(key, std::strlen(key) - 1), value);
      }
    }
  }
  std::fclose(f);
}

// Forks; the body runs in the child with the report fd and must not return to gtest.
ChildResult run_child(const std::function<void(int)>& body) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    ::close(fds[0]);
    alarm(20);  // a hung child dies instead of hanging the suite
    body(fds[1]);
    _exit(0);
  }
  ::close(fds[1]);
  ChildResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) result.text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  waitpid(pid, &result.status, 0);
  std::istringstream in(result.text);
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) sp = line.find('\t');
    if (sp == std::string::npos) continue;
    std::string key = line.substr(0, sp), value = line.substr(sp + 1);
    while (!value.empty() && (value[0] == ' ' || value[0] == '\t')) value.erase(0, 1);
    result.values.emplace(key, value);  // first wins
  }
  return result;
}

// The child runs a program with stdout on the report pipe: its "Key:\tvalue" lines land in values.
[[noreturn]] void exec_cat_status(int fd) {
  dup2(fd, STDOUT_FILENO);
  execl("/bin/cat", "cat", "/proc/self/status", static_cast<char*>(nullptr));
  report(fd, "exec", std::to_string(errno));
  _exit(127);
}

std::string key_of_status(const ChildResult& r, const std::string& key) {
  auto it = r.values.find(key + ":");
  return it == r.values.end() ? "" : it->second;
}

class RuntimeSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[64];
    std::snprintf(tmpl, sizeof tmpl, "/tmp/stack-test-%d-XXXXXX", getpid());
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(RuntimeSecurity, DockerDefaultsInTheChild) {
  auto program = compile_seccomp(docker_default_seccomp());  // in the parent, as the runtime does
  ASSERT_TRUE(program) << program.error().to_string();
  const std::string target = dir_ + "/mnt";
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);

  auto r = run_child([&](int fd) {
    // Private mount namespace first: if the filter failed, the mount below stays in here.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(2);
    // Docker's order without no_new_privileges: seccomp while CAP_SYS_ADMIN is held, then caps.
    report_result(fd, "seccomp", load_seccomp(*program));
    report_result(fd, "keep", keep_capabilities_across_setuid());
    report_result(fd, "caps", apply_capabilities(docker_default_capabilities()));
    report_status(fd);
    report(fd, "unshare_ns", outcome(unshare(CLONE_NEWNS)));
    report(fd, "keyctl", outcome(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)));
    report(fd, "add_key", outcome(syscall(SYS_add_key, "user", "stack-test", "x", 1, KEY_SPEC_PROCESS_KEYRING)));
    report(fd, "mount", outcome(mount("none", target.c_str(), "tmpfs", 0, nullptr)));
    report(fd, "getpid", getpid() > 0 ? "ok" : "bad");
    long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    if (c > 0) waitpid(static_cast<pid_t>(c), nullptr, 0);
    report(fd, "clone_newuser", outcome(c));
    pid_t p = fork();  // clone without namespace flags is allowed
    if (p == 0) _exit(7);
    int st = 0;
    if (p > 0) waitpid(p, &st, 0);
    report(fd, "fork", p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? "ok" : outcome(p));
    report(fd, "clone3", outcome(syscall(SYS_clone3, nullptr, 0)));
  });
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.text;
  EXPECT_EQ(r.values["seccomp"], "ok");
  EXPECT_EQ(r.values["keep"], "ok");
  EXPECT_EQ(r.values["caps"], "ok");
  EXPECT_EQ(r.values["CapEff"], "00000000a80425fb");
  EXPECT_EQ(r.values["CapPrm"], "00000000a80425fb");
  EXPECT_EQ(r.values["CapBnd"], "00000000a80425fb");
  EXPECT_EQ(r.values["CapInh"], "0000000000000000");
  EXPECT_EQ(r.values["CapAmb"], "0000000000000000");
  EXPECT_EQ(r.values["Seccomp"], "2");     // filter mode
  EXPECT_EQ(r.values["NoNewPrivs"], "0");  // Docker's default; we never set it behind the caller's back
  EXPECT_EQ(r.values["unshare_ns"], std::to_string(EPERM));
  EXPECT_EQ(r.values["keyctl"], std::to_string(EPERM));
  EXPECT_EQ(r.values["add_key"], std::to_string(EPERM));
  EXPECT_EQ(r.values["mount"], std::to_string(EPERM));
  EXPECT_EQ(r.values["getpid"], "ok");
  EXPECT_EQ(r.values["clone_newuser"], std::to_string(EPERM));
  EXPECT_EQ(r.values["fork"], "ok");
  EXPECT_EQ(r.values["clone3"], std::to_string(ENOSYS));
}

TEST_F(RuntimeSecurity, CapabilitiesSurviveExecAsDockersDo) {
  auto r = run_child([&](int fd) {
    if (auto ok = apply_capabilities(docker_default_capabilities()); !ok) {
      report_result(fd, "caps", ok);
      _exit(1);
    }
    exec_cat_status(fd);
  });
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.text;
  EXPECT_EQ(key_of_status(r, "CapEff"), "00000000a80425fb") << r.text;
  EXPECT_EQ(key_of_status(r, "CapPrm"), "00000000a80425fb");
  EXPECT_EQ(key_of_status(r, "CapBnd"), "00000000a80425fb");
}

// The filter alone (all capabilities still held) is what refuses these.
TEST_F(RuntimeSecurity, SeccompRefusesEvenWithCapabilities) {
  auto program = compile_seccomp(docker_default_seccomp());
  ASSERT_TRUE(program);
  auto r = run_child([&](int fd) {
    report_result(fd, "seccomp", load_seccomp(*program));
    report(fd, "unshare_uts", outcome(unshare(CLONE_NEWUTS)));
    report(fd, "sethostname", outcome(sethostname("x", 1)));
    report(fd, "keyctl", outcome(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)));
    report(fd, "personality_query", outcome(syscall(SYS_personality, 0xffffffffUL)));
    report(fd, "personality_norandom", outcome(syscall(SYS_personality, 0x0040000UL)));
    report(fd, "socket_alg", outcome(syscall(SYS_socket, AF_ALG, SOCK_SEQPACKET, 0)));
    report_status(fd);
  });
  ASSERT_TRUE(WIFEXITED(r.status)) << r.text;
  EXPECT_EQ(r.values["seccomp"], "ok");
  EXPECT_NE(r.values["CapEff"], "00000000a80425fb");  // the caps were not what refused
  EXPECT_EQ(r.values["unshare_uts"], std::to_string(EPERM));
  EXPECT_EQ(r.values["sethostname"], std::to_string(EPERM));
  EXPECT_EQ(r.values["keyctl"], std::to_string(EPERM));
  EXPECT_EQ(r.values["personality_query"], "ok");
  EXPECT_EQ(r.values["personality_norandom"], std::to_string(EPERM));
  EXPECT_EQ(r.values["socket_alg"], std::to_string(EPERM));
}

TEST_F(RuntimeSecurity, CustomProfileErrnoAndArgConditions) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.architectures = docker_default_seccomp().architectures;
  s.syscalls = {
      {{"getcwd"}, "SCMP_ACT_ERRNO", 38u, {}},  // ENOSYS
      {{"getpriority"}, "SCMP_ACT_ERRNO", 13u, {{0, PRIO_USER, 0, "SCMP_CMP_EQ"}, {1, 4242, 0, "SCMP_CMP_EQ"}}},
      {{"lseek"}, "SCMP_ACT_ERRNO", 7u, {{2, SEEK_END, 0, "SCMP_CMP_EQ"}, {2, SEEK_HOLE, 0, "SCMP_CMP_EQ"}}},
      {{"umask"}, "SCMP_ACT_ERRNO", 22u, {{0, 0700, 0700, "SCMP_CMP_MASKED_EQ"}}},
      {{"not_a_syscall_anywhere"}, "SCMP_ACT_KILL_PROCESS", std::nullopt, {}},
  };
  auto r = run_child([&](int fd) {
    // With no_new_privs (set by the caller, as the runtime does for noNewPrivileges) the
    // filter loads without CAP_SYS_ADMIN too.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
    report_result(fd, "seccomp", apply_seccomp(s));
    char buf[256];
    report(fd, "getcwd", outcome(syscall(SYS_getcwd, buf, sizeof buf)));
    report(fd, "getpriority_user_4242", outcome(syscall(SYS_getpriority, PRIO_USER, 4242)));
    report(fd, "getpriority_user_0", outcome(syscall(SYS_getpriority, PRIO_USER, 0)));
    report(fd, "getpriority_process", outcome(syscall(SYS_getpriority, PRIO_PROCESS, 4242)));
    int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    report(fd, "lseek_end", outcome(lseek(zero, 0, SEEK_END)));
    report(fd, "lseek_hole", outcome(lseek(zero, 0, SEEK_HOLE)));
    report(fd, "lseek_set", outcome(lseek(zero, 0, SEEK_SET)));
    report(fd, "umask_0777", outcome(syscall(SYS_umask, 0777)));
    report(fd, "umask_0022", outcome(syscall(SYS_umask, 0022)));
  });
  ASSERT_TRUE(WIFEXITED(r.status)) << r.text;
  EXPECT_EQ(r.values["seccomp"], "ok");
  EXPECT_EQ(r.values["getcwd"], "38");
  EXPECT_EQ(r.values["getpriority_user_4242"], "13");
  EXPECT_EQ(r.values["getpriority_user_0"], "ok");
  EXPECT_EQ(r.values["getpriority_process"], std::to_string(ESRCH));  // reached the kernel: no such pid
  EXPECT_EQ(r.values["lseek_end"], "7");
  EXPECT_EQ(r.values["lseek_hole"], "7");
  EXPECT_EQ(r.values["lseek_set"], "ok");
  EXPECT_EQ(r.values["umask_0777"], "22");
  EXPECT_EQ(r.values["umask_0022"], "ok");
}

TEST_F(RuntimeSecurity, KillProcessAndTrapActions) {
  for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_KILL"}) {
    Seccomp s;
    s.default_action = "SCMP_ACT_ALLOW";
    s.syscalls = {{{"getppid"}, action, std::nullopt, {}}};
    auto r = run_child([&](int fd) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
      report_result(fd, "seccomp", apply_seccomp(s));
      syscall(SYS_getppid);
      report(fd, "survived", "yes");
    });
    EXPECT_TRUE(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS) << action << ": " << r.text;
    EXPECT_EQ(r.values["seccomp"], "ok") << action;
    EXPECT_EQ(r.values.count("survived"), 0u) << action;
  }
}

TEST_F(RuntimeSecurity, LoadingWithoutSysAdminNeedsNoNewPrivs) {
  auto program = compile_seccomp(docker_default_seccomp());
  ASSERT_TRUE(program);
  auto r = run_child([&](int fd) {
    report_result(fd, "caps", apply_capabilities(docker_default_capabilities()));
    report_result(fd, "without_nnp", load_seccomp(*program));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
    report_result(fd, "with_nnp", load_seccomp(*program));
  });
  ASSERT_TRUE(WIFEXITED(r.status)) << r.text;
  EXPECT_EQ(r.values["caps"], "ok");
  EXPECT_NE(r.values["without_nnp"].find("needs no_new_privs or CAP_SYS_ADMIN"), std::string::npos) << r.text;
  EXPECT_EQ(r.values["with_nnp"], "ok");
}

Capabilities only(const std::vector<std::string>& names, bool ambient) {
  Capabilities c;
  c.bounding = c.effective = c.permitted = c.inheritable = names;
  if (ambient) c.ambient = names;
  return c;
}

void become_nobody(int fd) {
  if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
    report(fd, "setuid", std::to_string(errno));
    _exit(3);
  }
}

TEST_F(RuntimeSecurity, AmbientCapabilitiesAfterSetuid) {
  auto r = run_child([&](int fd) {
    if (auto ok = keep_capabilities_across_setuid(); !ok) _exit(4);
    become_nobody(fd);
    if (auto ok = apply_capabilities(only({"CAP_NET_BIND_SERVICE"}, true)); !ok) {
      report_result(fd, "caps", ok);
      _exit(1);
    }
    exec_cat_status(fd);  // a non-root exec keeps only the ambient set
  });
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.text;
  EXPECT_TRUE(key_of_status(r, "Uid").starts_with("65534")) << r.text;
  EXPECT_EQ(key_of_status(r, "CapEff"), "0000000000000400") << r.text;
  EXPECT_EQ(key_of_status(r, "CapPrm"), "0000000000000400");
  EXPECT_EQ(key_of_status(r, "CapAmb"), "0000000000000400");
  EXPECT_EQ(key_of_status(r, "CapInh"), "0000000000000400");
  EXPECT_EQ(key_of_status(r, "CapBnd"), "0000000000000400");
}

TEST_F(RuntimeSecurity, WithoutAmbientANonRootExecHasNoCapabilities) {
  auto r = run_child([&](int fd) {
    if (auto ok = keep_capabilities_across_setuid(); !ok) _exit(4);
    become_nobody(fd);
    if (auto ok = apply_capabilities(only({"CAP_NET_BIND_SERVICE"}, false)); !ok) _exit(1);
    exec_cat_status(fd);
  });
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.text;
  EXPECT_EQ(key_of_status(r, "CapEff"), "0000000000000000") << r.text;
  EXPECT_EQ(key_of_status(r, "CapBnd"), "0000000000000400");
}

TEST_F(RuntimeSecurity, SetuidWithoutKeepCapsIsExplained) {
  auto r = run_child([&](int fd) {
    become_nobody(fd);
    report_result(fd, "caps", apply_capabilities(only({"CAP_NET_BIND_SERVICE"}, true)));
  });
  ASSERT_TRUE(WIFEXITED(r.status)) << r.text;
  EXPECT_NE(r.values["caps"].find("cannot grant: CAP_NET_BIND_SERVICE"), std::string::npos) << r.text;
  EXPECT_NE(r.values["caps"].find("keep_capabilities_across_setuid"), std::string::npos) << r.text;
}

// This machine's runtime lacks CAP_SYS_RESOURCE; users' hosts have it. The child drops it
// itself so the test means the same on both.
TEST_F(RuntimeSecurity, CapabilityTheRuntimeLacks) {
  auto r = run_child([&](int fd) {
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) != 0) _exit(2);
    cap_t state = cap_get_proc();
    cap_value_t v[1] = {CAP_SYS_RESOURCE};
    cap_set_flag(state, CAP_PERMITTED, 1, v, CAP_CLEAR);
    cap_set_flag(state, CAP_EFFECTIVE, 1, v, CAP_CLEAR);
    if (cap_set_proc(state) != 0) _exit(2);
    cap_free(state);

    // Asked for in the bounding set only: nothing to drop, accepted (as runc).
    Capabilities bounding_only = only({"CAP_CHOWN"}, false);
    bounding_only.bounding.push_back("CAP_SYS_RESOURCE");
    // Asked to be effective/permitted: refused, naming it (runc: a bare capset EPERM).
    Capabilities granted = only({"CAP_CHOWN", "CAP_SYS_RESOURCE"}, false);
    pid_t p = fork();
    if (p == 0) {
      auto res = apply_capabilities(granted);
      report(fd, "granted", res ? "ok" : res.error().message + " errno=" + std::to_string(res.error().errno_value));
      _exit(0);
    }
    waitpid(p, nullptr, 0);
    report_result(fd, "bounding_only", apply_capabilities(bounding_only));
    report_status(fd);
  });
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.text;
  EXPECT_EQ(r.values["granted"],
            "capabilities not held by the runtime, cannot grant: CAP_SYS_RESOURCE errno=" + std::to_string(EPERM));
  EXPECT_EQ(r.values["bounding_only"], "ok");
  EXPECT_EQ(r.values["CapBnd"], "0000000000000001");
  EXPECT_EQ(r.values["CapEff"], "0000000000000001");
}

// What the child pays: compile is done once in the parent; load and caps per container.
TEST_F(RuntimeSecurity, Cost) {
  using clock = std::chrono::steady_clock;
  auto us = [](clock::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); };
  Seccomp profile = docker_default_seccomp();
  // A name no libseccomp knows (skipped) makes this profile new to the compile cache.
  profile.syscalls.push_back({{"stack_cost_probe_" + std::to_string(getpid())}, "SCMP_ACT_ALLOW", std::nullopt, {}});
  auto t0 = clock::now();
  auto program = compile_seccomp(profile);
  auto t1 = clock::now();
  ASSERT_TRUE(program);
  auto again = compile_seccomp(profile);  // the same profile again: from the cache
  auto t2 = clock::now();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->instructions.size(), program->instructions.size());
  auto r = run_child([&](int fd) {
    auto a = clock::now();
    auto loaded = load_seccomp(*program);
    auto b = clock::now();
    auto caps = apply_capabilities(docker_default_capabilities());
    auto c = clock::now();
    report(fd, "load_us", loaded ? std::to_string(us(b - a)) : loaded.error().to_string());
    report(fd, "caps_us", caps ? std::to_string(us(c - b)) : caps.error().to_string());
  });
  std::printf("docker default profile: compile %lld us (cached: %lld us; %zu BPF instructions), load %s us, caps %s us\n",
              static_cast<long long>(us(t1 - t0)), static_cast<long long>(us(t2 - t1)), program->instructions.size(),
              r.values["load_us"].c_str(), r.values["caps_us"].c_str());
  EXPECT_LT(program->instructions.size(), 4096u);
}

}  // namespace
}  // namespace stack::runtime
