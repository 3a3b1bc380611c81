// Docker's restart policies (`no`, `always`, `on-failure[:N]`, `unless-stopped`)
// and the restart decision with its backoff, as a pure state machine: the
// daemon reports exits and arms a timer for the returned delay.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "scheduler/clock.h"

namespace stack::scheduler {

enum class RestartPolicyName { no, always, on_failure, unless_stopped };

struct RestartPolicy {
  RestartPolicyName name = RestartPolicyName::no;
  // Only for on-failure; 0 means no limit (Docker's MaximumRetryCount).
  int max_retries = 0;

  // The HostConfig.RestartPolicy.Name spelling: "no", "always", "on-failure", "unless-stopped".
  std::string_view name_string() const;
  // "on-failure:3" form, as given on the command line.
  std::string to_string() const;
  bool operator==(const RestartPolicy&) const = default;
};

// Parses the `--restart` / compose `restart:` value. The empty string is `no`.
// Errors carry Docker's texts (the CLI's format errors, then the daemon's
// validation errors).
Result<RestartPolicy> parse_restart_policy(std::string_view text);

// Docker's backoff: 100 ms, doubling per consecutive restart, capped at 1 min.
inline constexpr Duration kRestartInitialDelay = std::chrono::milliseconds(100);
inline constexpr Duration kRestartMaxDelay = std::chrono::minutes(1);
// A run at least this long resets the backoff to the initial delay.
inline constexpr Duration kRestartResetAfter = std::chrono::seconds(10);

struct ContainerExit {
  int exit_code = 0;
  // Stopped or killed through the API (Docker's HasBeenManuallyStopped).
  bool stopped_by_user = false;
  bool daemon_shutting_down = false;
  // How long the container ran before exiting.
  Duration ran_for{};
};

struct RestartDecision {
  bool restart = false;
  Duration delay{};
  TimePoint restart_at{};  // now + delay when restart is true
  int restart_count = 0;   // State.RestartCount after this decision
};

// One per container, as moby's restartmanager: tracks the backoff and the
// restart count across exits.
class RestartManager {
 public:
  explicit RestartManager(RestartPolicy policy, int restart_count = 0)
      : policy_(policy), restart_count_(restart_count) {}

  // Decides what to do about an exit. A restart increments the count.
  RestartDecision on_exit(const ContainerExit& exit, TimePoint now);

  // A user stop/kill: no exit after this restarts the container, and a pending
  // restart must be dropped (the daemon checks canceled() when its timer fires).
  void cancel() { canceled_ = true; }
  bool canceled() const { return canceled_; }

  // A user `start`/`restart`: Docker makes a fresh manager with RestartCount 0.
  void on_user_start();

  // `docker update --restart`: the count and backoff carry over.
  void set_policy(RestartPolicy policy) { policy_ = policy; }

  const RestartPolicy& policy() const { return policy_; }
  int restart_count() const { return restart_count_; }
  // The delay the last decision computed (zero before any exit).
  Duration current_delay() const { return delay_; }

 private:
  RestartPolicy policy_;
  int restart_count_ = 0;
  Duration delay_{};
  bool canceled_ = false;
};

// Whether the daemon starts this container when it comes up (Docker's restore
// with AutoRestart): only containers started before and not running now.
// `always` starts even after a user stop; `unless-stopped` does not;
// `on-failure` follows the last exit code and the retry limit.
// `was_running` is Docker's HasBeenStartedBefore.
bool should_start_on_daemon_start(const RestartPolicy& policy, bool was_running, bool stopped_by_user,
                                  int last_exit_code = 0, int restart_count = 0);

}  // namespace stack::scheduler
