// A wake-up for coroutines on the daemon's io thread: each waiter parks on its own timer
// (its timeout); notify_all() cancels them all. Used for "container exited", "removed",
// "started" and "new log data" waits. Not thread safe: io thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

// See engine/api/responder.h: g++ 12's false -Wmismatched-new-delete on Asio coroutine frames.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace stack::daemon {

class Notifier {
 public:
  // Waits until notify_all() or the timeout; returns true when notified.
  boost::asio::awaitable<bool> wait(boost::asio::any_io_executor executor,
                                    std::chrono::steady_clock::duration timeout = std::chrono::hours(24 * 365)) {
    boost::asio::steady_timer timer(executor, timeout);
    const unsigned generation = generation_;
    waiters_.push_back(&timer);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    std::erase(waiters_, &timer);
    co_return generation != generation_;
  }

  void notify_all() {
    ++generation_;
    for (auto* timer : waiters_) timer->cancel();
  }

 private:
  std::vector<boost::asio::steady_timer*> waiters_;
  unsigned generation_ = 0;
};

}  // namespace stack::daemon
