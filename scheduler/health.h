// Docker's health checks as a pure state machine: the daemon runs the probe
// (exec in the container) on a timer at next_probe_at() and reports the result
// here; this class keeps Status, FailingStreak and the Log as Docker does
// (moby daemon/health.go).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/clock.h"

namespace stack::scheduler {

// Docker's defaults when a field is zero.
inline constexpr Duration kHealthDefaultInterval = std::chrono::seconds(30);
inline constexpr Duration kHealthDefaultTimeout = std::chrono::seconds(30);
inline constexpr Duration kHealthDefaultStartPeriod = Duration::zero();
inline constexpr int kHealthDefaultRetries = 3;
inline constexpr std::size_t kHealthMaxLogEntries = 5;
inline constexpr std::size_t kHealthMaxOutputLen = 4096;

enum class HealthTestKind {
  inherit,    // empty test: use the image's healthcheck
  cmd,        // ["CMD", argv...]
  cmd_shell,  // ["CMD-SHELL", "command"]
  none,       // ["NONE"]: disabled
  unknown,    // anything else: Docker warns and runs no probe
};

struct HealthConfig {
  std::vector<std::string> test;  // Config.Healthcheck.Test
  Duration interval{};            // zero means the default, as Docker
  Duration timeout{};
  Duration start_period{};
  Duration start_interval{};
  int retries = 0;  // <= 0 means the default

  HealthTestKind kind() const;
  // Whether a probe runs at all (CMD or CMD-SHELL).
  bool enabled() const;
  Duration effective_interval() const;
  Duration effective_timeout() const;
  Duration effective_start_period() const;
  // Unset: the interval. Docker's API 1.43 (what stack serves) has no StartInterval and
  // probes every Interval in the start period too, as docker.io 20.10 does; Docker 25
  // (API 1.44) added StartInterval, defaulting to 5 s.
  Duration effective_start_interval() const;
  int effective_retries() const;
};

enum class HealthStatus { none, starting, healthy, unhealthy };
std::string_view to_string(HealthStatus status);

// One probe run as the daemon saw it. A timeout is reported with timed_out
// set and whatever output the probe wrote before it was killed.
struct ProbeResult {
  int exit_code = 0;
  bool timed_out = false;
  std::string output;
  TimePoint start{};
  TimePoint end{};
};

// State.Health.Log entry.
struct HealthLogEntry {
  TimePoint start{};
  TimePoint end{};
  int exit_code = 0;
  std::string output;
};

// Emitted when the status changes; action is Docker's event action text.
struct HealthEvent {
  HealthStatus from = HealthStatus::none;
  HealthStatus to = HealthStatus::none;
  std::string action;  // "health_status: healthy"
};

// Docker's probe output capture: at most 4096 bytes, "..." appended when cut.
std::string truncate_probe_output(std::string_view output);
// Go's time.Duration String() form ("30s", "1.5s", "500ms", "1m30s").
std::string go_duration_string(Duration d);

class HealthMonitor {
 public:
  // status is starting for an enabled check, none otherwise.
  HealthMonitor(HealthConfig config, TimePoint started_at);

  // A start or restart of the container: status back to starting, streak to
  // zero; the Log is kept, as Docker does.
  void on_container_start(TimePoint started_at);

  // When the next probe should start, given the time the previous one ended
  // (or the container started). During the start period, while still
  // starting, probes run every start_interval; after it, every interval.
  TimePoint next_probe_at(TimePoint now) const;

  // Records a result, updates the streak and status; returns an event when
  // the status changed.
  std::optional<HealthEvent> on_probe_result(ProbeResult result);

  HealthStatus status() const { return status_; }
  int failing_streak() const { return failing_streak_; }
  const std::deque<HealthLogEntry>& log() const { return log_; }
  const HealthConfig& config() const { return config_; }

 private:
  HealthConfig config_;
  TimePoint started_at_;
  HealthStatus status_ = HealthStatus::none;
  int failing_streak_ = 0;
  std::deque<HealthLogEntry> log_;
};

}  // namespace stack::scheduler
