#include "scheduler/restart_policy.h"

#include <gtest/gtest.h>

#include <vector>

namespace stack::scheduler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RestartPolicyParse, AcceptsDockerForms) {
  struct Case {
    const char* text;
    RestartPolicyName name;
    int max;
    const char* canonical;
  };
  const std::vector<Case> cases = {
      {"", RestartPolicyName::no, 0, "no"},
      {"no", RestartPolicyName::no, 0, "no"},
      {"always", RestartPolicyName::always, 0, "always"},
      {"always:0", RestartPolicyName::always, 0, "always"},
      {"unless-stopped", RestartPolicyName::unless_stopped, 0, "unless-stopped"},
      {"on-failure", RestartPolicyName::on_failure, 0, "on-failure"},
      {"on-failure:", RestartPolicyName::on_failure, 0, "on-failure"},
      {"on-failure:0", RestartPolicyName::on_failure, 0, "on-failure"},
      {"on-failure:5", RestartPolicyName::on_failure, 5, "on-failure:5"},
      {"on-failure:+2", RestartPolicyName::on_failure, 2, "on-failure:2"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto p = parse_restart_policy(c.text);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->name, c.name);
    EXPECT_EQ(p->max_retries, c.max);
    EXPECT_EQ(p->to_string(), c.canonical);
  }
}

TEST(RestartPolicyParse, RejectsWithDockerMessages) {
  struct Case {
    const char* text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {":3", "invalid restart policy format: no policy provided before colon"},
      {"on-failure:x", "invalid restart policy format: maximum retry count must be an integer"},
      {"on-failure:1.5", "invalid restart policy format: maximum retry count must be an integer"},
      {"on-failure:+-1", "invalid restart policy format: maximum retry count must be an integer"},
      {"on-failure:-1", "invalid restart policy: maximum retry count cannot be negative"},
      {"always:3", "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
      {"no:-2",
       "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"},
      {"sometimes",
       "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
       "'unless-stopped'"},
      {"Always",
       "invalid restart policy: unknown policy 'Always'; use one of 'no', 'always', 'on-failure', or "
       "'unless-stopped'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto p = parse_restart_policy(c.text);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().to_string(), c.message);
  }
}

// Exits that each ran for `ran_for`, all failing.
std::vector<RestartDecision> exits(RestartManager& rm, FakeClock& clock, int n, Duration ran_for, int code = 1) {
  std::vector<RestartDecision> out;
  for (int i = 0; i < n; ++i) {
    clock.advance(ran_for);
    out.push_back(rm.on_exit({code, false, false, ran_for}, clock.now()));
    clock.advance(out.back().delay);
  }
  return out;
}

TEST(RestartManager, DelayDoublesFrom100msCappedAtOneMinute) {
  FakeClock clock;
  RestartManager rm(*parse_restart_policy("always"));
  auto got = exits(rm, clock, 13, milliseconds(5));
  const std::vector<Duration> want = {
      milliseconds(100),   milliseconds(200),   milliseconds(400),   milliseconds(800),  milliseconds(1600),
      milliseconds(3200),  milliseconds(6400),  milliseconds(12800), milliseconds(25600), milliseconds(51200),
      seconds(60),         seconds(60),         seconds(60),
  };
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(got[i].restart);
    EXPECT_EQ(got[i].delay, want[i]);
    EXPECT_EQ(got[i].restart_count, static_cast<int>(i) + 1);
  }
  EXPECT_EQ(rm.restart_count(), 13);
}

TEST(RestartManager, RestartAtIsNowPlusDelay) {
  FakeClock clock;
  RestartManager rm(*parse_restart_policy("always"));
  rm.on_exit({1, false, false, milliseconds(1)}, clock.now());
  auto d = rm.on_exit({1, false, false, milliseconds(1)}, clock.now());
  EXPECT_EQ(d.restart_at, clock.now() + milliseconds(200));
}

TEST(RestartManager, TenSecondsOfRunningResetsTheBackoff) {
  struct Case {
    Duration ran_for;
    Duration want;
  };
  // After four quick exits the delay is 800 ms; the fifth exit decides.
  const std::vector<Case> cases = {
      {milliseconds(9999), milliseconds(1600)},
      {seconds(10), milliseconds(100)},
      {seconds(3600), milliseconds(100)},
  };
  for (const auto& c : cases) {
    FakeClock clock;
    RestartManager rm(*parse_restart_policy("always"));
    exits(rm, clock, 4, milliseconds(1));
    EXPECT_EQ(rm.current_delay(), milliseconds(800));
    auto d = rm.on_exit({1, false, false, c.ran_for}, clock.now());
    EXPECT_TRUE(d.restart);
    EXPECT_EQ(d.delay, c.want);
    // And it doubles again from there.
    EXPECT_EQ(rm.on_exit({1, false, false, milliseconds(1)}, clock.now()).delay, c.want * 2);
  }
}

TEST(RestartManager, OnFailureStopsAfterMaxRetries) {
  FakeClock clock;
  RestartManager rm(*parse_restart_policy("on-failure:3"));
  auto got = exits(rm, clock, 5, milliseconds(1));
  const std::vector<bool> want = {true, true, true, false, false};
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].restart, want[i]);
  }
  EXPECT_EQ(rm.restart_count(), 3);
  EXPECT_EQ(got[4].restart_count, 3);
}

TEST(RestartManager, OnFailureZeroMeansUnlimited) {
  FakeClock clock;
  RestartManager rm(*parse_restart_policy("on-failure"));
  for (const auto& d : exits(rm, clock, 50, milliseconds(1))) EXPECT_TRUE(d.restart);
  EXPECT_EQ(rm.restart_count(), 50);
}

TEST(RestartManager, RestartCountCarriesOverFromState) {
  FakeClock clock;
  RestartManager rm(*parse_restart_policy("on-failure:3"), 2);
  EXPECT_TRUE(rm.on_exit({1, false, false, milliseconds(1)}, clock.now()).restart);
  EXPECT_FALSE(rm.on_exit({1, false, false, milliseconds(1)}, clock.now()).restart);
  EXPECT_EQ(rm.restart_count(), 3);
}

TEST(RestartManager, PolicyByExit) {
  struct Case {
    const char* policy;
    int exit_code;
    bool stopped_by_user;
    bool shutting_down;
    bool want;
  };
  const std::vector<Case> cases = {
      {"no", 0, false, false, false},
      {"no", 1, false, false, false},
      {"no", 137, false, false, false},
      {"always", 0, false, false, true},
      {"always", 1, false, false, true},
      {"always", 137, false, false, true},
      {"always", 1, false, true, false},
      {"unless-stopped", 0, false, false, true},
      {"unless-stopped", 2, false, false, true},
      {"unless-stopped", 143, true, false, false},
      {"unless-stopped", 1, false, true, false},
      {"on-failure", 0, false, false, false},
      {"on-failure", 1, false, false, true},
      {"on-failure", 255, false, false, true},
      {"on-failure", -1, false, false, true},
      {"on-failure", 1, false, true, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.policy) + " exit " + std::to_string(c.exit_code));
    FakeClock clock;
    RestartManager rm(*parse_restart_policy(c.policy));
    auto d = rm.on_exit({c.exit_code, c.stopped_by_user, c.shutting_down, seconds(1)}, clock.now());
    EXPECT_EQ(d.restart, c.want);
    EXPECT_EQ(rm.restart_count(), c.want ? 1 : 0);
    if (c.want) {
      EXPECT_EQ(d.delay, milliseconds(100));
    }
  }
}

TEST(RestartManager, UserStopIsNeverUndone) {
  for (const char* policy : {"always", "unless-stopped", "on-failure"}) {
    SCOPED_TRACE(policy);
    FakeClock clock;
    RestartManager rm(*parse_restart_policy(policy));
    EXPECT_TRUE(rm.on_exit({1, false, false, seconds(1)}, clock.now()).restart);
    rm.cancel();  // docker stop / docker kill
    EXPECT_TRUE(rm.canceled());
    EXPECT_FALSE(rm.on_exit({137, true, false, seconds(1)}, clock.now()).restart);
    EXPECT_FALSE(rm.on_exit({1, false, false, seconds(1)}, clock.now()).restart);
    // docker start: a fresh manager, RestartCount back to 0.
    rm.on_user_start();
    EXPECT_EQ(rm.restart_count(), 0);
    auto d = rm.on_exit({1, false, false, seconds(1)}, clock.now());
    EXPECT_TRUE(d.restart);
    EXPECT_EQ(d.delay, milliseconds(100));
    EXPECT_EQ(d.restart_count, 1);
  }
}

TEST(RestartManager, DaemonStart) {
  struct Case {
    const char* policy;
    bool was_running;
    bool stopped_by_user;
    int exit_code;
    int restart_count;
    bool want;
  };
  const std::vector<Case> cases = {
      {"no", true, false, 1, 0, false},
      {"always", true, false, 0, 0, true},
      {"always", true, true, 0, 0, true},  // Docker: restarted when the daemon restarts
      {"always", false, false, 0, 0, false},
      {"unless-stopped", true, false, 0, 0, true},
      {"unless-stopped", true, true, 0, 0, false},
      {"unless-stopped", false, false, 0, 0, false},
      {"on-failure", true, false, 137, 0, true},
      {"on-failure", true, false, 0, 0, false},
      {"on-failure:2", true, false, 1, 2, false},
      {"on-failure:2", true, false, 1, 1, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.policy);
    EXPECT_EQ(should_start_on_daemon_start(*parse_restart_policy(c.policy), c.was_running, c.stopped_by_user,
                                           c.exit_code, c.restart_count),
              c.want);
  }
}

}  // namespace
}  // namespace stack::scheduler
