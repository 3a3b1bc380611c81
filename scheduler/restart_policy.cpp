#include "scheduler/restart_policy.h"

#include <charconv>

namespace stack::scheduler {

std::string_view RestartPolicy::name_string() const {
  switch (name) {
    case RestartPolicyName::no:
      return "no";
    case RestartPolicyName::always:
      return "always";
    case RestartPolicyName::on_failure:
      return "on-failure";
    case RestartPolicyName::unless_stopped:
      return "unless-stopped";
  }
  return "no";
}

std::string RestartPolicy::to_string() const {
  std::string out(name_string());
  if (name == RestartPolicyName::on_failure && max_retries != 0) out += ":" + std::to_string(max_retries);
  return out;
}

namespace {

// Go's strconv.Atoi: optional sign, decimal digits, nothing else.
bool parse_go_int(std::string_view s, int& out) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return false;
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

Result<RestartPolicy> parse_restart_policy(std::string_view text) {
  // Two stages as in Docker: the CLI splits "name:count" (docker/cli
  // opts.ParseRestartPolicy), then the daemon validates the pair
  // (container.ValidateRestartPolicy). Their messages are kept verbatim.
  RestartPolicy policy;
  if (text.empty()) return policy;

  auto colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  std::string_view count = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (colon != std::string_view::npos && name.empty())
    return fail("invalid restart policy format: no policy provided before colon");
  if (!count.empty() && !parse_go_int(count, policy.max_retries))
    return fail("invalid restart policy format: maximum retry count must be an integer");

  if (name == "on-failure") {
    policy.name = RestartPolicyName::on_failure;
    if (policy.max_retries < 0) return fail("invalid restart policy: maximum retry count cannot be negative");
    return policy;
  }
  if (name == "no") {
    policy.name = RestartPolicyName::no;
  } else if (name == "always") {
    policy.name = RestartPolicyName::always;
  } else if (name == "unless-stopped") {
    policy.name = RestartPolicyName::unless_stopped;
  } else {
    return fail("invalid restart policy: unknown policy '" + std::string(name) +
                "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  }
  if (policy.max_retries != 0) {
    std::string msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
    if (policy.max_retries < 0) msg += " and cannot be negative";
    return fail(std::move(msg));
  }
  return policy;
}

RestartDecision RestartManager::on_exit(const ContainerExit& exit, TimePoint now) {
  RestartDecision decision;
  decision.restart_count = restart_count_;
  if (policy_.name == RestartPolicyName::no) return decision;
  // A user stop or kill, or the daemon going down, is never undone by the
  // policy (Docker cancels the restart manager before stopping).
  if (canceled_ || exit.daemon_shutting_down) return decision;

  // moby advances the backoff on every exit, restart or not, and resets it
  // after a run of 10 s or more regardless of status and policy.
  if (exit.ran_for >= kRestartResetAfter) delay_ = Duration::zero();
  if (delay_ == Duration::zero()) {
    delay_ = kRestartInitialDelay;
  } else if (delay_ < kRestartMaxDelay) {
    delay_ *= 2;
  }
  if (delay_ > kRestartMaxDelay) delay_ = kRestartMaxDelay;

  bool restart = false;
  switch (policy_.name) {
    case RestartPolicyName::no:
      break;
    case RestartPolicyName::always:
      restart = true;
      break;
    case RestartPolicyName::unless_stopped:
      restart = !exit.stopped_by_user;
      break;
    case RestartPolicyName::on_failure:
      // MaximumRetryCount 0 means no limit.
      if (policy_.max_retries == 0 || restart_count_ < policy_.max_retries) restart = exit.exit_code != 0;
      break;
  }
  if (!restart) return decision;

  ++restart_count_;
  decision.restart = true;
  decision.delay = delay_;
  decision.restart_at = now + delay_;
  decision.restart_count = restart_count_;
  return decision;
}

void RestartManager::on_user_start() {
  restart_count_ = 0;
  delay_ = Duration::zero();
  canceled_ = false;
}

bool should_start_on_daemon_start(const RestartPolicy& policy, bool was_running, bool stopped_by_user,
                                  int last_exit_code, int restart_count) {
  if (!was_running) return false;
  switch (policy.name) {
    case RestartPolicyName::no:
      return false;
    case RestartPolicyName::always:
      // Docker: a manually stopped `always` container comes back when the daemon restarts.
      return true;
    case RestartPolicyName::unless_stopped:
      return !stopped_by_user;
    case RestartPolicyName::on_failure:
      return (policy.max_retries == 0 || restart_count < policy.max_retries) && last_exit_code != 0;
  }
  return false;
}

}  // namespace stack::scheduler
