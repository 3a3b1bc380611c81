#include "engine/container/record.h"

namespace stack::container {

std::string state_string(const State& s) {
  // moby container.State.StateString.
  if (s.running) {
    if (s.paused) return "paused";
    if (s.restarting) return "restarting";
    return "running";
  }
  if (s.removal_in_progress) return "removing";
  if (s.dead) return "dead";
  if (s.started_at == kZeroTime || s.started_at.empty()) return "created";
  return "exited";
}

void set_running(State& s, int pid, const std::string& started_at) {
  s.running = true;
  s.paused = s.restarting = s.oom_killed = s.dead = false;
  s.error.clear();
  s.exit_code = 0;
  s.pid = pid;
  s.started_at = started_at;
  s.status = state_string(s);
}

void set_stopped(State& s, int exit_code, const std::string& finished_at, bool oom_killed) {
  s.running = s.paused = s.restarting = false;
  s.pid = 0;
  s.exit_code = exit_code;
  s.finished_at = finished_at;
  s.oom_killed = oom_killed;
  s.status = state_string(s);
}

void set_restarting(State& s, int exit_code, const std::string& finished_at) {
  s.running = true;
  s.restarting = true;
  s.paused = false;
  s.pid = 0;
  s.exit_code = exit_code;
  s.finished_at = finished_at;
  s.status = state_string(s);
}

void set_paused(State& s, bool paused) {
  s.paused = paused;
  s.status = state_string(s);
}

void set_removal_in_progress(State& s, bool removing) {
  s.removal_in_progress = removing;
  s.status = state_string(s);
}

void set_dead(State& s) {
  s.dead = true;
  s.running = s.paused = s.restarting = false;
  s.pid = 0;
  s.status = state_string(s);
}

void set_error(State& s, const std::string& error, int exit_code) {
  s.error = error;
  s.exit_code = exit_code;
  s.status = state_string(s);
}

}  // namespace stack::container
