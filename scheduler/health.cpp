#include "scheduler/health.h"

#include <cstdint>
#include <utility>

namespace stack::scheduler {

HealthTestKind HealthConfig::kind() const {
  if (test.empty()) return HealthTestKind::inherit;
  const std::string& k = test.front();
  if (k == "CMD") return HealthTestKind::cmd;
  if (k == "CMD-SHELL") return HealthTestKind::cmd_shell;
  if (k == "NONE") return HealthTestKind::none;
  return HealthTestKind::unknown;
}

bool HealthConfig::enabled() const {
  HealthTestKind k = kind();
  return k == HealthTestKind::cmd || k == HealthTestKind::cmd_shell;
}

namespace {
Duration or_default(Duration configured, Duration fallback) {
  return configured == Duration::zero() ? fallback : configured;
}
}  // namespace

Duration HealthConfig::effective_interval() const { return or_default(interval, kHealthDefaultInterval); }
Duration HealthConfig::effective_timeout() const { return or_default(timeout, kHealthDefaultTimeout); }
Duration HealthConfig::effective_start_period() const { return or_default(start_period, kHealthDefaultStartPeriod); }
Duration HealthConfig::effective_start_interval() const {
  return or_default(start_interval, effective_interval());
}
int HealthConfig::effective_retries() const { return retries <= 0 ? kHealthDefaultRetries : retries; }

std::string_view to_string(HealthStatus status) {
  switch (status) {
    case HealthStatus::none:
      return "none";
    case HealthStatus::starting:
      return "starting";
    case HealthStatus::healthy:
      return "healthy";
    case HealthStatus::unhealthy:
      return "unhealthy";
  }
  return "none";
}

std::string truncate_probe_output(std::string_view output) {
  if (output.size() <= kHealthMaxOutputLen) return std::string(output);
  std::string out(output.substr(0, kHealthMaxOutputLen));
  out += "...";
  return out;
}

namespace {

// Go's fmtFrac: the fraction of v below 10^prec, without trailing zeros.
std::string frac_string(std::uint64_t v, int prec) {
  std::string digits;
  bool printed = false;
  for (int i = 0; i < prec; ++i) {
    std::uint64_t digit = v % 10;
    printed = printed || digit != 0;
    if (printed) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  return printed ? "." + digits : std::string{};
}

}  // namespace

std::string go_duration_string(Duration d) {
  auto ns_signed = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  if (ns_signed == 0) return "0s";
  bool neg = ns_signed < 0;
  std::uint64_t ns = neg ? static_cast<std::uint64_t>(-(ns_signed + 1)) + 1 : static_cast<std::uint64_t>(ns_signed);
  std::string out;
  if (ns < 1'000'000'000ULL) {
    // Sub-second: one unit, with a fraction (Go uses ns, µs, ms).
    if (ns < 1'000ULL) {
      out = std::to_string(ns) + "ns";
    } else if (ns < 1'000'000ULL) {
      out = std::to_string(ns / 1'000) + frac_string(ns % 1'000, 3) + "\u00b5s";
    } else {
      out = std::to_string(ns / 1'000'000) + frac_string(ns % 1'000'000, 6) + "ms";
    }
  } else {
    std::uint64_t secs = ns / 1'000'000'000ULL;
    out = std::to_string(secs % 60) + frac_string(ns % 1'000'000'000ULL, 9) + "s";
    std::uint64_t mins = secs / 60;
    if (mins > 0) {
      out = std::to_string(mins % 60) + "m" + out;
      std::uint64_t hours = mins / 60;
      if (hours > 0) out = std::to_string(hours) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

HealthMonitor::HealthMonitor(HealthConfig config, TimePoint started_at)
    : config_(std::move(config)),
      started_at_(started_at),
      status_(config_.enabled() ? HealthStatus::starting : HealthStatus::none) {}

void HealthMonitor::on_container_start(TimePoint started_at) {
  started_at_ = started_at;
  failing_streak_ = 0;
  status_ = config_.enabled() ? HealthStatus::starting : HealthStatus::none;
}

TimePoint HealthMonitor::next_probe_at(TimePoint now) const {
  // Docker (25 to 28) computes the wait each time it re-arms its timer: the
  // start interval while inside the start period and still starting, the
  // interval otherwise.
  Duration wait = config_.effective_interval();
  if (now - started_at_ < config_.effective_start_period() && status_ == HealthStatus::starting)
    wait = config_.effective_start_interval();
  return now + wait;
}

std::optional<HealthEvent> HealthMonitor::on_probe_result(ProbeResult result) {
  if (status_ == HealthStatus::none) return std::nullopt;

  HealthLogEntry entry{result.start, result.end, result.exit_code, truncate_probe_output(result.output)};
  if (result.timed_out) {
    // Docker's text, with the captured output appended when there is some.
    std::string msg = "Health check exceeded timeout (" + go_duration_string(config_.effective_timeout()) + ")";
    if (!entry.output.empty()) msg += ": " + entry.output;
    entry.output = std::move(msg);
    entry.exit_code = -1;
  }

  HealthStatus old = status_;
  bool healthy = entry.exit_code == 0;
  if (log_.size() >= kHealthMaxLogEntries) log_.pop_front();
  log_.push_back(std::move(entry));

  if (healthy) {
    failing_streak_ = 0;
    status_ = HealthStatus::healthy;
  } else {
    // Any non-zero code is a failure. While still starting (never healthy),
    // a probe that began inside the start period does not count.
    bool counts = !(status_ == HealthStatus::starting &&
                    result.start - started_at_ < config_.effective_start_period());
    if (counts) {
      ++failing_streak_;
      if (failing_streak_ >= config_.effective_retries()) status_ = HealthStatus::unhealthy;
    }
  }

  if (status_ == old) return std::nullopt;
  return HealthEvent{old, status_, "health_status: " + std::string(to_string(status_))};
}

}  // namespace stack::scheduler
