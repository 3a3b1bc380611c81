// Helpers for the daemon integration tests (root, real kernel): each test gets a temp dir
// with its own state root and run dir, a busybox image imported there with the built
// `stack`, and a real `stack daemon` child process it talks to over <run>/stack.sock
// (engine/client for plain requests; a small raw HTTP reader with deadlines for the
// requests that block: wait, logs follow, events). Teardown removes every container,
// stops the daemon, and checks (then cleans) what could be left: monitors, container
// processes, mounts, cgroups, the temp dir.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/request.h"
#include "engine/api/stdcopy.h"
#include "engine/client/client.h"
#include "engine/runtime/container.h"

extern char** environ;

namespace stack::daemon::testing {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

using api::url_encode;

inline int64_t unix_now_nano() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Docker's since/until form: "<seconds>.<nanoseconds>".
inline std::string event_time(int64_t nano) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(nano / 1000000000),
                static_cast<long long>(nano % 1000000000));
  return buf;
}

// RFC 3339 (Docker's RFC3339Nano, UTC "Z" or an offset) -> unix nanoseconds; nullopt if unparsable.
inline std::optional<int64_t> parse_rfc3339(const std::string& s) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t nano = 0;
  std::size_t i = static_cast<std::size_t>(consumed);
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 9) {
        nano = nano * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    while (digits++ < 9) nano *= 10;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int h = 0, m = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &h, &m) != 2) return std::nullopt;
    offset = (s[i] == '+' ? 1 : -1) * (h * 3600 + m * 60);
  } else if (i >= s.size() || s[i] != 'Z') {
    return std::nullopt;
  }
  return (static_cast<int64_t>(::timegm(&tm)) - offset) * 1000000000 + nano;
}

// Splits a multiplexed (stdcopy) stream into stdout and stderr text.
struct Demuxed {
  std::string out, err;
  std::vector<api::Frame> frames;
  std::size_t leftover = 0;  // bytes of an incomplete frame
};
inline Demuxed demux(const std::string& bytes) {
  api::FrameDecoder d;
  Demuxed r;
  r.frames = d.feed(bytes);
  r.leftover = d.pending();
  for (const auto& f : r.frames) (f.stream == api::kStderr ? r.err : r.out) += f.data;
  return r;
}

// One HTTP/1.1 request on its own connection, read with deadlines (so a request the
// daemon never answers fails the test instead of hanging it). Handles chunked,
// Content-Length and close-delimited bodies.
class HttpStream {
 public:
  HttpStream() = default;
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;
  ~HttpStream() { close(); }

  bool open(const std::string& socket_path, const std::string& method, const std::string& target,
            const std::string& body = {}, const std::string& extra_headers = {}) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      (contains(extra_headers, "Connection:") ? "" : "Connection: close\r\n") + extra_headers;
    if (!body.empty() || method == "POST")
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    std::size_t off = 0;
    while (off < req.size()) {
      ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads until the status line and headers are in; false at the deadline or EOF.
  bool read_head(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!head_done_) {
      if (!fill(deadline)) return false;
      parse_head();
    }
    return true;
  }

  // Reads body bytes until the body is complete, `enough(body)` says stop, or the deadline.
  // Returns true when it stopped for the first two reasons.
  bool read_body(int timeout_ms, const std::function<bool(const std::string&)>& enough = nullptr) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    if (!head_done_ && !read_head(timeout_ms)) return false;
    for (;;) {
      decode_body();
      if (complete_) return true;
      if (enough && enough(body_)) return true;
      if (!fill(deadline)) {
        decode_body();
        return complete_ || (enough && enough(body_));
      }
    }
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int status() const { return status_; }
  const std::string& body() const { return body_; }
  bool complete() const { return complete_; }
  std::string header(const std::string& lower) const {
    auto it = headers_.find(lower);
    return it == headers_.end() ? "" : it->second;
  }

 private:
  // Reads once (waiting until the deadline). False at the deadline or EOF (eof_ set).
  bool fill(Clock::time_point deadline) {
    if (eof_ || fd_ < 0) return false;
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, left);
    if (rc <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    raw_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  void parse_head() {
    auto end = raw_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::istringstream in(raw_.substr(0, end));
    std::string line;
    std::getline(in, line);
    if (line.size() > 12) status_ = std::atoi(line.c_str() + 9);
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(0, colon);
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      headers_[key] = value;
    }
    raw_.erase(0, end + 4);
    head_done_ = true;
    chunked_ = contains(header("transfer-encoding"), "chunked");
    if (!header("content-length").empty()) content_length_ = std::stoll(header("content-length"));
    if (status_ == 204 || status_ == 304 || status_ == 101) complete_ = status_ != 101;
  }

  void decode_body() {
    if (!head_done_ || complete_) return;
    if (chunked_) {
      for (;;) {
        auto eol = raw_.find("\r\n");
        if (eol == std::string::npos) return;
        std::size_t size = std::stoul(raw_.substr(0, eol), nullptr, 16);
        if (raw_.size() < eol + 2 + size + 2) return;
        if (size == 0) {
          complete_ = true;
          return;
        }
        body_ += raw_.substr(eol + 2, size);
        raw_.erase(0, eol + 2 + size + 2);
      }
    }
    body_ += raw_;
    raw_.clear();
    if (content_length_ >= 0 && static_cast<long long>(body_.size()) >= content_length_) complete_ = true;
    if (content_length_ < 0 && eof_) complete_ = true;
  }

  int fd_ = -1;
  std::string raw_, body_;
  std::map<std::string, std::string> headers_;
  int status_ = 0;
  bool head_done_ = false, chunked_ = false, complete_ = false, eof_ = false;
  long long content_length_ = -1;
};

// The fixture: a temp root + run dir, the busybox image, a running daemon.
class DaemonTest : public ::testing::Test {
 protected:
  static constexpr const char* kImage = "test/busybox:1";

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    // Monitors leave the daemon by a double fork; they come to us (not init) and we reap them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ::signal(SIGPIPE, SIG_IGN);
    // Short: <run>/containers/<64-hex id>/attach.sock must fit a unix socket path (107 bytes).
    std::string tmpl = "/tmp/sd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    run_ = dir_ + "/r";
    sock_ = run_ + "/stack.sock";
    make_rootfs_tar(dir_ + "/rootfs", dir_ + "/rootfs.tar");
    std::string out = run_stack({"--root", root_, "image", "import", "--change", "CMD [\"sh\"]", dir_ + "/rootfs.tar", kImage});
    ASSERT_EQ(last_status_, 0) << "image import: " << out;
    fs::remove_all(dir_ + "/rootfs");
    fs::remove(dir_ + "/rootfs.tar");
    ASSERT_NO_FATAL_FAILURE(start_daemon());
  }

  void TearDown() override {
    if (dir_.empty()) return;
    std::set<std::string> ids = known_ids();
    if (daemon_pid_ > 0 && !daemon_exited()) {
      for (const auto& id : ids) {
        auto r = api().del("/containers/" + id + "?force=1");
        EXPECT_TRUE(r && (r->status == 204 || r->status == 404))
            << "remove " << id << ": " << (r ? std::to_string(r->status) + " " + r->body : r.error().to_string());
      }
      stop_daemon();
    }
    // The daemon removed every container: no monitor, container process, mount or cgroup
    // may remain. Each leftover is reported, then cleaned so that nothing stays behind.
    reap();
    for (pid_t pid : monitors_alive()) {
      ADD_FAILURE() << "stack-monitor " << pid << " still running after every container was removed";
      ::kill(pid, SIGKILL);
    }
    const std::string runtime_root = run_ + "/runtime";
    for (const auto& id : ids) {
      if (fs::exists(runtime_root + "/" + id)) {
        ADD_FAILURE() << "runtime state left for " << id;
        (void)runtime::delete_container(runtime_root, id, true);
      }
    }
    for (int i = 0; i < 200 && !monitors_alive().empty(); ++i) {
      reap();
      ::usleep(10000);
    }
    reap();
    for (const auto& m : mounts_under(dir_)) {
      ADD_FAILURE() << "mount left: " << m;
    }
    auto mounts = mounts_under(dir_);
    std::sort(mounts.begin(), mounts.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    for (const auto& id : ids) {
      for (const char* c : {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "freezer", "devices", "net_cls",
                            "perf_event", "hugetlb", "unified", "systemd"}) {
        std::string path = std::string("/sys/fs/cgroup/") + c + "/stack/" + id;
        if (fs::exists(path)) {
          ADD_FAILURE() << "cgroup left: " << path;
          ::rmdir(path.c_str());
        }
      }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
    EXPECT_FALSE(ec) << "remove " << dir_ << ": " << ec.message();
  }

  // ---- the daemon process ----

  void start_daemon() {
    daemon_err_ = dir_ + "/daemon." + std::to_string(daemon_starts_++) + ".log";
    std::vector<std::string> argv = {STACK_BINARY, "--root", root_, "--run-root", run_, "daemon"};
    daemon_pid_ = spawn(argv, daemon_err_);
    daemon_status_.reset();
    ASSERT_GT(daemon_pid_, 0);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
      if (daemon_exited()) FAIL() << "the daemon exited at start: " << slurp(daemon_err_);
      HttpStream s;
      if (s.open(sock_, "GET", "/_ping") && s.read_body(1000) && s.status() == 200) return;
      if (Clock::now() > deadline) {
        std::string where;
        for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(daemon_pid_) + "/task", ec_))
          where += " " + slurp(t.path().string() + "/wchan");
        FAIL() << "the daemon (pid " << daemon_pid_ << ", still running, threads waiting in:" << where
               << ") did not answer /_ping in 5 s; socket " << (fs::exists(sock_) ? "exists" : "missing")
               << "; its log: " << slurp(daemon_err_);
      }
      ::usleep(5000);
    }
  }

  // SIGTERM and wait (5 s, then SIGKILL and a failure).
  void stop_daemon() {
    if (daemon_pid_ <= 0 || daemon_exited()) return;
    ::kill(daemon_pid_, SIGTERM);
    if (!wait_daemon(5000)) {
      ADD_FAILURE() << "the daemon did not exit within 5 s of SIGTERM";
      ::kill(daemon_pid_, SIGKILL);
      wait_daemon(5000);
    }
  }

  void kill_daemon() {
    ASSERT_FALSE(daemon_exited());
    ::kill(daemon_pid_, SIGKILL);
    ASSERT_TRUE(wait_daemon(5000));
  }

  bool wait_daemon(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!daemon_exited()) {
      if (Clock::now() > deadline) return false;
      ::usleep(5000);
    }
    return true;
  }

  bool daemon_exited() {
    reap();
    return daemon_status_.has_value();
  }

  // Reaps our exited children (monitors re-parented to us, the daemon).
  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == daemon_pid_) daemon_status_ = status;
    }
  }

  // stack-monitor processes of this test's run dir.
  std::vector<pid_t> monitors_alive() {
    std::vector<pid_t> out;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::string name = entry.path().filename();
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
      std::string cmdline = slurp(entry.path().string() + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      if (!contains(cmdline, "stack-monitor") || !contains(cmdline, run_ + "/")) continue;
      std::string stat = slurp(entry.path().string() + "/stat");
      auto paren = stat.rfind(')');
      if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') continue;
      out.push_back(std::stoi(name));
    }
    return out;
  }

  static std::vector<std::string> mounts_under(const std::string& dir) {
    std::vector<std::string> out;
    std::istringstream in(slurp("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string id, parent, devs, root, mount_point;
      f >> id >> parent >> devs >> root >> mount_point;
      if (mount_point.rfind(dir + "/", 0) == 0) out.push_back(mount_point);
    }
    return out;
  }

  // Container ids: the ones the test created plus every dir under <root>/containers.
  std::set<std::string> known_ids() {
    std::set<std::string> ids(created_.begin(), created_.end());
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_ + "/containers", ec)) ids.insert(e.path().filename());
    return ids;
  }

  // ---- processes ----

  pid_t spawn(const std::vector<std::string>& args, const std::string& out_path) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> cargv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, copy[0].c_str(), &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
  }

  // Runs `stack ARGS...` to its end; returns its output (stdout + stderr), status in last_status_.
  std::string run_stack(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {STACK_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out = dir_ + "/cmd.out";
    fs::remove(out);
    pid_t pid = spawn(argv, out);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    last_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return slurp(out);
  }

  // /bin/busybox with every applet, /etc/passwd and group, /tmp 1777, in a tar.
  static void make_rootfs_tar(const std::string& rootfs, const std::string& tar) {
    for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "proc", "sys", "dev", "home"})
      fs::create_directories(rootfs + "/" + d);
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    ::chmod((rootfs + "/bin/busybox").c_str(), 0755);
    FILE* list = ::popen("/bin/busybox --list", "r");
    ASSERT_NE(list, nullptr);
    char line[256];
    while (std::fgets(line, sizeof line, list)) {
      std::string applet(line);
      while (!applet.empty() && (applet.back() == '\n' || applet.back() == '\r')) applet.pop_back();
      if (applet.empty() || applet == "busybox") continue;
      std::error_code ec;
      fs::create_symlink("busybox", rootfs + "/bin/" + applet, ec);
    }
    ::pclose(list);
    std::ofstream(rootfs + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n";
    std::ofstream(rootfs + "/etc/group") << "root:x:0:\nnogroup:x:65534:\n";
    ::chmod((rootfs + "/tmp").c_str(), 01777);
    std::string cmd = "tar -C '" + rootfs + "' -cf '" + tar + "' .";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // ---- API ----

  client::Client api() { return client::Client(sock_); }

  // GET/POST/DELETE returning the response (a transport failure fails the test).
  client::Response get(const std::string& target) { return must(api().get(target), "GET " + target); }
  client::Response post(const std::string& target, const json& body = json::object()) {
    return must(api().post(target, body), "POST " + target);
  }
  client::Response del(const std::string& target) { return must(api().del(target), "DELETE " + target); }

  client::Response must(Result<client::Response> r, const std::string& what) {
    if (!r) {
      ADD_FAILURE() << what << ": " << r.error().to_string() << "\ndaemon log:\n" << slurp(daemon_err_);
      return {};
    }
    return *r;
  }

  static json body_json(const client::Response& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() ? json() : j;
  }

  // POST /containers/create; returns the id ("" and a failure when not 201).
  std::string create(json body, const std::string& name = "") {
    if (!body.contains("Image")) body["Image"] = kImage;
    auto r = post("/containers/create" + (name.empty() ? "" : "?name=" + url_encode(name)), body);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return "";
    std::string id = body_json(r).value("Id", "");
    created_.push_back(id);
    return id;
  }

  static json cmd(const std::string& script) { return json{{"Cmd", {"sh", "-c", script}}}; }

  void start(const std::string& id) {
    auto r = post("/containers/" + id + "/start");
    ASSERT_EQ(r.status, 204) << r.body << "\ndaemon log:\n" << slurp(daemon_err_);
  }

  json inspect(const std::string& id) {
    auto r = get("/containers/" + id + "/json");
    EXPECT_EQ(r.status, 200) << r.body;
    return body_json(r);
  }

  // POST /containers/{id}/wait[?condition=...] read to its end; the JSON body.
  json wait(const std::string& id, const std::string& condition = "", int timeout_ms = 10000) {
    HttpStream s;
    std::string target = "/containers/" + id + "/wait" + (condition.empty() ? "" : "?condition=" + condition);
    if (!s.open(sock_, "POST", target)) {
      ADD_FAILURE() << "connect for " << target;
      return {};
    }
    if (!s.read_body(timeout_ms)) {
      ADD_FAILURE() << target << ": no complete answer in " << timeout_ms << " ms (status " << s.status() << ", body '"
                    << s.body() << "')";
      return {};
    }
    EXPECT_EQ(s.status(), 200) << s.body();
    auto j = json::parse(s.body(), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << s.body();
    return j.is_discarded() ? json() : j;
  }

  // Polls `pred(inspect)` every 20 ms until true or the timeout; returns the last inspect.
  json wait_for(const std::string& id, const std::function<bool(const json&)>& pred, int timeout_ms,
                const std::string& what) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    json j;
    for (;;) {
      j = inspect(id);
      if (!j.is_null() && pred(j)) return j;
      if (Clock::now() > deadline) {
        ADD_FAILURE() << "timed out (" << timeout_ms << " ms) waiting for " << what << "; State: " << j["State"].dump();
        return j;
      }
      ::usleep(20000);
    }
  }

  // GET logs (not following) demultiplexed.
  Demuxed logs(const std::string& id, const std::string& query = "stdout=1&stderr=1") {
    auto r = get("/containers/" + id + "/logs?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    auto d = demux(r.body);
    EXPECT_EQ(d.leftover, 0u) << "an incomplete frame at the end of the logs";
    return d;
  }

  // GET /events?since&until (ends at until) as parsed messages.
  std::vector<json> events(int64_t since_nano, int64_t until_nano, const std::string& filters = "") {
    HttpStream s;
    std::string target = "/events?since=" + event_time(since_nano) + "&until=" + event_time(until_nano);
    if (!filters.empty()) target += "&filters=" + url_encode(filters);
    std::vector<json> out;
    if (!s.open(sock_, "GET", target) || !s.read_body(5000)) {
      ADD_FAILURE() << target << ": no complete answer in 5 s (status " << s.status() << ")";
      return out;
    }
    EXPECT_EQ(s.status(), 200) << s.body();
    std::istringstream in(s.body());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line == "\r") continue;
      auto j = json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << line;
      if (!j.is_discarded()) out.push_back(j);
    }
    return out;
  }

  // Host path of a file in the container's mounted rootfs.
  std::string merged(const std::string& id, const std::string& path) {
    return root_ + "/containers/" + id + "/rootfs/merged" + path;
  }

  std::string daemon_log() { return slurp(daemon_err_); }

  std::string dir_, root_, run_, sock_;
  std::string daemon_err_;
  pid_t daemon_pid_ = -1;
  std::optional<int> daemon_status_;
  int daemon_starts_ = 0;
  int last_status_ = -1;
  std::vector<std::string> created_;
  std::error_code ec_;
};

}  // namespace stack::daemon::testing
