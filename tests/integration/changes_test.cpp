// docker diff / commit / update / system df against a real daemon: the container changes
// files, the API reports them, a committed image carries them into a new container, an
// update reaches the record (across a daemon restart) and the live cgroup.
#include <set>

#include "tests/integration/daemon_test_helpers.h"

namespace stack::daemon::testing {
namespace {

std::set<std::string> change_lines(const json& changes) {
  std::set<std::string> out;
  if (!changes.is_array()) return out;
  for (const auto& c : changes) {
    int kind = c.value("Kind", -1);
    out.insert(std::string(kind == 0 ? "C" : kind == 1 ? "A" : kind == 2 ? "D" : "?") + " " + c.value("Path", ""));
  }
  return out;
}

// The directory of `controller` ("memory", "pids"; "" for v2) of a process's cgroup.
std::string cgroup_dir_of(int pid, const std::string& controller) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  std::string unified;
  while (std::getline(in, line)) {
    // "4:memory:/stack/<id>" (v1) or "0::/stack/<id>" (v2)
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    std::string names = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (names.empty()) unified = path;
    std::stringstream ss(names);
    std::string n;
    while (std::getline(ss, n, ','))
      if (n == controller) return "/sys/fs/cgroup/" + controller + path;
  }
  return unified.empty() ? "" : "/sys/fs/cgroup" + unified;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class ChangesTest : public DaemonTest {
 protected:
  json changes(const std::string& id) {
    auto r = get("/containers/" + id + "/changes");
    EXPECT_EQ(r.status, 200) << r.body;
    return body_json(r);
  }
  std::string run_to_end(const json& body) {
    std::string id = create(body);
    if (id.empty()) return id;
    start(id);
    wait(id);
    return id;
  }
};

TEST_F(ChangesTest, DiffOfAStoppedContainer) {
  std::string id = run_to_end(cmd("echo x > /etc/new; rm /etc/group; mkdir -p /tmp/a; touch /tmp/a/f; echo y >> /etc/passwd"));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(change_lines(changes(id)), (std::set<std::string>{"C /etc", "A /etc/new", "D /etc/group", "C /etc/passwd",
                                                              "C /tmp", "A /tmp/a", "A /tmp/a/f"}));
  // The lease mounted the stopped container's rootfs only for the scan (the unmount
  // follows the lease's release, off the request's path).
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (!mounts_under(root_ + "/containers/" + id).empty() && Clock::now() < deadline) ::usleep(10000);
  EXPECT_EQ(mounts_under(root_ + "/containers/" + id).size(), 0u);
}

TEST_F(ChangesTest, NothingChangedIsNull) {
  std::string id = run_to_end(cmd("true"));
  ASSERT_FALSE(id.empty());
  auto r = get("/containers/" + id + "/changes");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(trimmed(r.body), "null") << "Docker's nil list: the runtime's mount points are no change";
  EXPECT_EQ(get("/containers/nope/changes").status, 404);
}

TEST_F(ChangesTest, DiffOfARunningContainer) {
  std::string id = create(cmd("mkdir /data; touch /data/x; sleep 1000"));
  ASSERT_NO_FATAL_FAILURE(start(id));
  auto deadline = Clock::now() + std::chrono::seconds(5);
  std::set<std::string> lines;
  while (Clock::now() < deadline) {
    lines = change_lines(changes(id));
    if (lines.contains("A /data/x")) break;
    ::usleep(20000);
  }
  EXPECT_EQ(lines, (std::set<std::string>{"A /data", "A /data/x"}));
  EXPECT_EQ(inspect(id)["State"]["Running"], true);
}

TEST_F(ChangesTest, CommitThenRunTheNewImage) {
  std::string id = run_to_end(cmd("echo committed > /etc/new; rm /etc/group"));
  ASSERT_FALSE(id.empty());
  auto r = post("/commit?container=" + id + "&repo=test/committed&tag=v1&comment=hello&author=me&changes=" +
                url_encode("ENV X=1"));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string image_id = body_json(r).value("Id", "");
  ASSERT_TRUE(image_id.starts_with("sha256:")) << r.body;

  auto img = get("/images/test/committed:v1/json");
  ASSERT_EQ(img.status, 200) << img.body;
  json i = body_json(img);
  EXPECT_EQ(i["Id"], image_id);
  EXPECT_EQ(i["Author"], "me");
  EXPECT_EQ(i["Comment"], "hello");
  EXPECT_EQ(i["RootFS"]["Layers"].size(), 2u) << "the image's layer plus the container's";
  auto env = i["Config"]["Env"].dump();
  EXPECT_TRUE(contains(env, "X=1")) << env;
  EXPECT_EQ(i["Config"]["Cmd"], json({"sh", "-c", "echo committed > /etc/new; rm /etc/group"}));
  auto hist = get("/images/test/committed:v1/history");
  ASSERT_EQ(hist.status, 200);
  ASSERT_EQ(body_json(hist).size(), 2u) << hist.body;
  EXPECT_EQ(body_json(hist)[0]["Comment"], "hello");

  std::string child = run_to_end(json{{"Image", "test/committed:v1"}, {"Cmd", {"sh", "-c", "cat /etc/new; ls /etc/group; echo $X"}}});
  ASSERT_FALSE(child.empty());
  auto out = logs(child);
  EXPECT_EQ(out.out, "committed\n1\n");
  EXPECT_TRUE(contains(out.err, "No such file")) << out.err;
  // The committed container's own diff is empty: the image has its files now.
  EXPECT_EQ(changes(child), json(nullptr));
}

TEST_F(ChangesTest, CommitOfAnUnchangedContainerAddsNoLayer) {
  std::string id = run_to_end(cmd("true"));
  auto r = post("/commit?container=" + id);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string image_id = body_json(r).value("Id", "");
  auto img = get("/images/" + image_id + "/json");
  ASSERT_EQ(img.status, 200) << img.body;
  EXPECT_EQ(body_json(img)["RootFS"]["Layers"].size(), 1u);
  EXPECT_EQ(body_json(img)["RepoTags"], json::array()) << "no repo: untagged";
  EXPECT_EQ(post("/commit?container=nope").status, 404);
  EXPECT_EQ(post("/commit?container=" + id + "&changes=" + url_encode("FROM x")).status, 400);
  auto bad = post("/commit?container=" + id + "&repo=Bad/Name");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(ChangesTest, CommitPausesARunningContainerAndResumesIt) {
  int64_t since = unix_now_nano();
  std::string id = create(cmd("echo live > /live; sleep 1000"));
  ASSERT_NO_FATAL_FAILURE(start(id));
  wait_for(id, [&](const json&) { return change_lines(changes(id)).contains("A /live"); }, 5000, "/live written");
  auto r = post("/commit?container=" + id + "&repo=test/live");
  ASSERT_EQ(r.status, 201) << r.body;
  json c = inspect(id);
  EXPECT_EQ(c["State"]["Running"], true);
  EXPECT_EQ(c["State"]["Paused"], false);
  std::vector<std::string> actions;
  for (const auto& e : events(since, unix_now_nano(), R"({"container":[")" + id + R"("]})"))
    actions.push_back(e.value("Action", e.value("status", "")));
  std::string seq;
  for (const auto& a : actions) seq += a + " ";
  EXPECT_TRUE(contains(seq, "pause unpause commit")) << seq;
  std::string child = run_to_end(json{{"Image", "test/live"}, {"Cmd", {"cat", "/live"}}});
  EXPECT_EQ(logs(child).out, "live\n");
}

TEST_F(ChangesTest, UpdateRecordsAndAppliesLimits) {
  std::string id = create(json{{"Cmd", {"sleep", "1000"}}});
  ASSERT_NO_FATAL_FAILURE(start(id));
  int pid = inspect(id)["State"]["Pid"];
  ASSERT_GT(pid, 0);

  // Docker's conflict: a memory limit above the (unset) swap limit needs the swap too.
  auto r = post("/containers/" + id + "/update", json{{"Memory", 64 << 20}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(body_json(r).value("message", ""),
            "Cannot update container " + id +
                ": Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
  r = post("/containers/" + id + "/update", json{{"Memory", 1 << 20}, {"MemorySwap", -1}});
  EXPECT_EQ(r.status, 400) << r.body;

  r = post("/containers/" + id + "/update",
           json{{"Memory", 64 << 20},
                {"MemorySwap", 128 << 20},
                {"CpuShares", 512},
                {"PidsLimit", 50},
                {"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 3}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r), json({{"Warnings", nullptr}}));
  json h = inspect(id)["HostConfig"];
  EXPECT_EQ(h["Memory"], 64 << 20);
  EXPECT_EQ(h["MemorySwap"], 128 << 20);
  EXPECT_EQ(h["CpuShares"], 512);
  EXPECT_EQ(h["PidsLimit"], 50);
  EXPECT_EQ(h["RestartPolicy"], json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));

  // What the kernel enforces now, read from the container process's own cgroup.
  std::string mem = cgroup_dir_of(pid, "memory"), pids = cgroup_dir_of(pid, "pids");
  ASSERT_FALSE(mem.empty());
  if (fs::exists(mem + "/memory.limit_in_bytes")) {
    EXPECT_EQ(trimmed(slurp(mem + "/memory.limit_in_bytes")), std::to_string(64 << 20));
    EXPECT_EQ(trimmed(slurp(pids + "/pids.max")), "50");
  } else {
    EXPECT_EQ(trimmed(slurp(mem + "/memory.max")), std::to_string(64 << 20));
    EXPECT_EQ(trimmed(slurp(mem + "/pids.max")), "50");
  }
  r = post("/containers/" + id + "/update", json{{"PidsLimit", -1}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(inspect(id)["HostConfig"]["PidsLimit"], 0);
  std::string pids_max = fs::exists(pids + "/pids.max") ? pids + "/pids.max" : mem + "/pids.max";
  EXPECT_EQ(trimmed(slurp(pids_max)), "max");

  // The record is saved: a restarted daemon has it.
  stop_daemon();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  h = inspect(id)["HostConfig"];
  EXPECT_EQ(h["Memory"], 64 << 20);
  EXPECT_EQ(h["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(post("/containers/nope/update", json{{"CpuShares", 2}}).status, 404);
}

TEST_F(ChangesTest, UpdatedRestartPolicyTakesEffect) {
  std::string id = create(cmd("sleep 0.5; exit 3"));
  ASSERT_NO_FATAL_FAILURE(start(id));
  auto r = post("/containers/" + id + "/update", json{{"RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 1}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  wait_for(id, [](const json& c) { return c["RestartCount"] == 1 && c["State"]["Running"] == false; }, 10000,
           "one restart by the updated policy, then the stop");
}

TEST_F(ChangesTest, RestartPolicyOfAnAutoRemoveContainerCannotChange) {
  std::string id = create(json{{"Cmd", {"sleep", "1000"}}, {"HostConfig", {{"AutoRemove", true}}}});
  auto r = post("/containers/" + id + "/update", json{{"RestartPolicy", {{"Name", "always"}}}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(body_json(r).value("message", ""),
            "Cannot update container " + id + ": Restart policy cannot be updated because AutoRemove is enabled for the container");
}

TEST_F(ChangesTest, SystemDf) {
  std::string id = run_to_end(cmd("head -c 5000 /dev/zero > /blob"));
  auto r = get("/system/df");
  ASSERT_EQ(r.status, 200) << r.body;
  json df = body_json(r);
  EXPECT_GT(df["LayersSize"].get<int64_t>(), 0);
  ASSERT_EQ(df["Images"].size(), 1u) << r.body;
  EXPECT_EQ(df["Images"][0]["Containers"], 1);
  EXPECT_EQ(df["Images"][0]["RepoTags"], json({kImage}));
  ASSERT_EQ(df["Containers"].size(), 1u);
  EXPECT_EQ(df["Containers"][0]["Id"], id);
  EXPECT_EQ(df["Containers"][0]["SizeRw"], 5000);
  EXPECT_EQ(df["Volumes"], json::array());
}

}  // namespace
}  // namespace stack::daemon::testing
