// Runs runtime::exec_container (which blocks until the process exits) on its own
// thread and resumes the awaiting coroutine on the io thread with the result. A thread
// per exec rather than a pool: `exec -it sh` sessions live for hours.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <unistd.h>

#include <thread>
#include <utility>

#include "common/error.h"
#include "engine/runtime/container.h"

namespace stack::daemon {

template <class Token>
auto async_exec(boost::asio::any_io_executor executor, runtime::ExecOptions options, Token&& token) {
  return boost::asio::async_initiate<Token, void(Result<int>)>(
      [executor, options = std::move(options)](auto handler) mutable {
        auto work = boost::asio::make_work_guard(executor);
        std::thread([handler = std::move(handler), options = std::move(options), work = std::move(work)]() mutable {
          Result<int> result = runtime::exec_container(options);
          for (int fd : options.stdio) {
            if (fd >= 0) ::close(fd);  // our copies of the process's ends: EOF for the readers
          }
          auto ex = work.get_executor();
          boost::asio::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        }).detach();
      },
      token);
}

}  // namespace stack::daemon
