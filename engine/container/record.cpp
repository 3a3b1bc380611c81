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

}  // namespace stack::container
