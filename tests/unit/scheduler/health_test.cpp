#include "scheduler/health.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stack::scheduler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

HealthConfig cmd_config() {
  HealthConfig c;
  c.test = {"CMD-SHELL", "curl -f http://localhost/"};
  return c;
}

// Runs a probe that starts at the monitor's next_probe_at and takes 10 ms.
std::optional<HealthEvent> probe(HealthMonitor& m, FakeClock& clock, int exit_code, std::string output = "",
                                 bool timed_out = false) {
  TimePoint start = m.next_probe_at(clock.now());
  clock.advance(start - clock.now());
  TimePoint end = start + milliseconds(10);
  clock.advance(milliseconds(10));
  return m.on_probe_result({exit_code, timed_out, std::move(output), start, end});
}

TEST(HealthConfig, KindsAndDefaults) {
  struct Case {
    std::vector<std::string> test;
    HealthTestKind kind;
    bool enabled;
  };
  const std::vector<Case> cases = {
      {{}, HealthTestKind::inherit, false},
      {{"CMD", "true"}, HealthTestKind::cmd, true},
      {{"CMD-SHELL", "exit 0"}, HealthTestKind::cmd_shell, true},
      {{"NONE"}, HealthTestKind::none, false},
      {{"cmd", "true"}, HealthTestKind::unknown, false},
  };
  for (const auto& c : cases) {
    HealthConfig h;
    h.test = c.test;
    EXPECT_EQ(h.kind(), c.kind);
    EXPECT_EQ(h.enabled(), c.enabled);
  }
  HealthConfig h = cmd_config();
  EXPECT_EQ(h.effective_interval(), seconds(30));
  EXPECT_EQ(h.effective_timeout(), seconds(30));
  EXPECT_EQ(h.effective_start_period(), seconds(0));
  EXPECT_EQ(h.effective_start_interval(), seconds(30));
  h.interval = seconds(2);
  EXPECT_EQ(h.effective_start_interval(), seconds(2));  // the interval, as API 1.43
  h.interval = {};
  EXPECT_EQ(h.effective_retries(), 3);
  h.retries = -1;
  EXPECT_EQ(h.effective_retries(), 3);
}

TEST(HealthMonitor, DisabledIsNoneAndIgnoresResults) {
  FakeClock clock;
  HealthConfig c;
  c.test = {"NONE"};
  HealthMonitor m(c, clock.now());
  EXPECT_EQ(m.status(), HealthStatus::none);
  EXPECT_FALSE(m.on_probe_result({0, false, "", clock.now(), clock.now()}));
  EXPECT_TRUE(m.log().empty());
}

TEST(HealthMonitor, Transitions) {
  // Each step: a probe exit code; the status and streak after it; the event.
  struct Step {
    int exit_code;
    HealthStatus status;
    int streak;
    const char* event;  // nullptr when the status did not change
  };
  struct Case {
    const char* name;
    int retries;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"healthy at once",
       3,
       {{0, HealthStatus::healthy, 0, "health_status: healthy"}, {0, HealthStatus::healthy, 0, nullptr}}},
      {"unhealthy after retries",
       3,
       {{1, HealthStatus::starting, 1, nullptr},
        {1, HealthStatus::starting, 2, nullptr},
        {1, HealthStatus::unhealthy, 3, "health_status: unhealthy"},
        {1, HealthStatus::unhealthy, 4, nullptr},
        {0, HealthStatus::healthy, 0, "health_status: healthy"}}},
      {"a success resets the streak",
       2,
       {{0, HealthStatus::healthy, 0, "health_status: healthy"},
        {1, HealthStatus::healthy, 1, nullptr},
        {0, HealthStatus::healthy, 0, nullptr},
        {1, HealthStatus::healthy, 1, nullptr},
        {1, HealthStatus::unhealthy, 2, "health_status: unhealthy"}}},
      {"any non-zero code fails",
       1,
       {{2, HealthStatus::unhealthy, 1, "health_status: unhealthy"},
        {0, HealthStatus::healthy, 0, "health_status: healthy"},
        {137, HealthStatus::unhealthy, 1, "health_status: unhealthy"},
        {-1, HealthStatus::unhealthy, 2, nullptr}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeClock clock;
    HealthConfig cfg = cmd_config();
    cfg.retries = c.retries;
    HealthMonitor m(cfg, clock.now());
    EXPECT_EQ(m.status(), HealthStatus::starting);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE(i);
      const Step& s = c.steps[i];
      auto ev = probe(m, clock, s.exit_code);
      EXPECT_EQ(m.status(), s.status);
      EXPECT_EQ(m.failing_streak(), s.streak);
      if (s.event == nullptr) {
        EXPECT_FALSE(ev);
      } else {
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->action, s.event);
        EXPECT_EQ(ev->to, s.status);
      }
    }
  }
}

TEST(HealthMonitor, FailuresInsideStartPeriodDoNotCount) {
  FakeClock clock;
  HealthConfig cfg = cmd_config();
  cfg.start_period = seconds(20);
  cfg.start_interval = seconds(5);
  cfg.interval = seconds(30);
  cfg.retries = 2;
  TimePoint started = clock.now();
  HealthMonitor m(cfg, started);

  // Probes at 5, 10, 15 s (start interval) fail without counting.
  for (int i = 1; i <= 3; ++i) {
    probe(m, clock, 1);
    EXPECT_EQ(m.log().back().start, started + seconds(5 * i) + milliseconds(10 * (i - 1)));
    EXPECT_EQ(m.failing_streak(), 0);
    EXPECT_EQ(m.status(), HealthStatus::starting);
  }
  // The next one starts at 20.03 s, past the start period: it counts.
  probe(m, clock, 1);
  EXPECT_EQ(m.log().back().start, started + seconds(20) + milliseconds(30));
  EXPECT_EQ(m.failing_streak(), 1);
  EXPECT_EQ(m.status(), HealthStatus::starting);
  // From now on probes run every interval.
  TimePoint before = clock.now();
  EXPECT_EQ(m.next_probe_at(before), before + seconds(30));
  auto ev = probe(m, clock, 1);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->action, "health_status: unhealthy");
}

TEST(HealthMonitor, StartPeriodBoundaryUsesProbeStart) {
  FakeClock clock;
  HealthConfig cfg = cmd_config();
  cfg.start_period = seconds(10);
  cfg.retries = 1;
  TimePoint started = clock.now();
  HealthMonitor m(cfg, started);
  // Began just inside the start period (even though it ended after): ignored.
  EXPECT_FALSE(m.on_probe_result({1, false, "", started + seconds(10) - milliseconds(1), started + seconds(11)}));
  EXPECT_EQ(m.failing_streak(), 0);
  // Began at the boundary: counts.
  auto ev = m.on_probe_result({1, false, "", started + seconds(10), started + seconds(11)});
  ASSERT_TRUE(ev);
  EXPECT_EQ(m.status(), HealthStatus::unhealthy);
}

TEST(HealthMonitor, SuccessDuringStartPeriodIsHealthyAndThenFailuresCount) {
  FakeClock clock;
  HealthConfig cfg = cmd_config();
  cfg.start_period = seconds(60);
  cfg.retries = 1;
  TimePoint started = clock.now();
  HealthMonitor m(cfg, started);
  auto ev = probe(m, clock, 0);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->action, "health_status: healthy");
  EXPECT_EQ(m.log().back().start, started + seconds(30));  // start interval unset: the interval
  // No longer starting: the next probe waits the interval, and failures count
  // even inside the start period.
  EXPECT_EQ(m.next_probe_at(clock.now()), clock.now() + seconds(30));
  ev = probe(m, clock, 1);
  ASSERT_TRUE(ev);
  EXPECT_EQ(m.status(), HealthStatus::unhealthy);
}

TEST(HealthMonitor, NextProbeSchedule) {
  struct Case {
    Duration start_period;
    Duration start_interval;
    Duration interval;
    Duration since_start;
    Duration want;
  };
  const std::vector<Case> cases = {
      {seconds(0), seconds(0), seconds(0), seconds(0), seconds(30)},     // defaults
      {seconds(0), seconds(1), seconds(7), seconds(0), seconds(7)},      // no start period
      {seconds(30), seconds(0), seconds(0), seconds(0), seconds(30)},    // start interval unset: the interval
      {seconds(30), seconds(0), seconds(1), seconds(0), seconds(1)},     // ... as Docker's API 1.43
      {seconds(30), seconds(2), seconds(10), seconds(29), seconds(2)},   // inside
      {seconds(30), seconds(2), seconds(10), seconds(30), seconds(10)},  // at the end
  };
  for (const auto& c : cases) {
    FakeClock clock;
    HealthConfig cfg = cmd_config();
    cfg.start_period = c.start_period;
    cfg.start_interval = c.start_interval;
    cfg.interval = c.interval;
    HealthMonitor m(cfg, clock.now());
    TimePoint now = clock.now() + c.since_start;
    EXPECT_EQ(m.next_probe_at(now) - now, c.want);
  }
}

TEST(HealthMonitor, TimeoutIsAFailureWithDockersText) {
  struct Case {
    Duration timeout;
    std::string output;
    std::string want;
  };
  const std::vector<Case> cases = {
      {seconds(0), "", "Health check exceeded timeout (30s)"},
      {seconds(3), "", "Health check exceeded timeout (3s)"},
      {milliseconds(1500), "partial", "Health check exceeded timeout (1.5s): partial"},
      {milliseconds(500), "", "Health check exceeded timeout (500ms)"},
      {seconds(90), "", "Health check exceeded timeout (1m30s)"},
      {seconds(120), "", "Health check exceeded timeout (2m0s)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    FakeClock clock;
    HealthConfig cfg = cmd_config();
    cfg.timeout = c.timeout;
    cfg.retries = 1;
    HealthMonitor m(cfg, clock.now());
    auto ev = probe(m, clock, 0, c.output, /*timed_out=*/true);
    ASSERT_TRUE(ev);
    EXPECT_EQ(m.status(), HealthStatus::unhealthy);
    EXPECT_EQ(m.log().back().exit_code, -1);
    EXPECT_EQ(m.log().back().output, c.want);
  }
}

TEST(HealthMonitor, LogKeepsTheLastFive) {
  FakeClock clock;
  HealthMonitor m(cmd_config(), clock.now());
  for (int i = 0; i < 8; ++i) probe(m, clock, i % 2, "run " + std::to_string(i));
  ASSERT_EQ(m.log().size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(m.log()[i].output, "run " + std::to_string(i + 3));
    EXPECT_EQ(m.log()[i].exit_code, static_cast<int>((i + 3) % 2));
    EXPECT_EQ(m.log()[i].end - m.log()[i].start, milliseconds(10));
  }
}

TEST(HealthMonitor, OutputTruncatedTo4096Bytes) {
  EXPECT_EQ(truncate_probe_output(std::string(4096, 'a')), std::string(4096, 'a'));
  EXPECT_EQ(truncate_probe_output(std::string(4097, 'a')), std::string(4096, 'a') + "...");
  FakeClock clock;
  HealthMonitor m(cmd_config(), clock.now());
  probe(m, clock, 0, std::string(10000, 'x'));
  EXPECT_EQ(m.log().back().output, std::string(4096, 'x') + "...");
  HealthConfig cfg = cmd_config();
  cfg.timeout = seconds(1);
  HealthMonitor t(cfg, clock.now());
  probe(t, clock, 0, std::string(5000, 'y'), true);
  EXPECT_EQ(t.log().back().output, "Health check exceeded timeout (1s): " + std::string(4096, 'y') + "...");
}

TEST(HealthMonitor, ContainerRestartResetsToStartingKeepsLog) {
  FakeClock clock;
  HealthConfig cfg = cmd_config();
  cfg.retries = 1;
  HealthMonitor m(cfg, clock.now());
  probe(m, clock, 1);
  EXPECT_EQ(m.status(), HealthStatus::unhealthy);
  m.on_container_start(clock.now());
  EXPECT_EQ(m.status(), HealthStatus::starting);
  EXPECT_EQ(m.failing_streak(), 0);
  EXPECT_EQ(m.log().size(), 1u);
}

TEST(HealthDuration, GoFormatting) {
  EXPECT_EQ(go_duration_string(seconds(0)), "0s");
  EXPECT_EQ(go_duration_string(std::chrono::nanoseconds(5)), "5ns");
  EXPECT_EQ(go_duration_string(std::chrono::microseconds(1500)), "1.5ms");
  EXPECT_EQ(go_duration_string(std::chrono::hours(1) + seconds(1)), "1h0m1s");
  EXPECT_EQ(go_duration_string(milliseconds(100)), "100ms");
}

}  // namespace
}  // namespace stack::scheduler
