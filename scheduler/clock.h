// Time for the scheduler's state machines. The machines never read a clock:
// the caller passes "now" in, so the daemon drives them from Asio timers and
// tests drive them from a FakeClock.
#pragma once

#include <chrono>

namespace stack::scheduler {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// A clock that only moves when told to; for tests.
class FakeClock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{} + std::chrono::hours(1)) : now_(start) {}
  TimePoint now() const { return now_; }
  void advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

}  // namespace stack::scheduler
