// Runs blocking work (file system, fork, the image store) on a thread pool and resumes
// the awaiting coroutine on its own executor (the io thread).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace stack::api {

namespace net = boost::asio;

template <class F>
net::awaitable<std::invoke_result_t<F>> run_blocking(net::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F>;
  std::exception_ptr error;
  if constexpr (std::is_void_v<R>) {
    co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(
        [&pool, &f, &error](auto handler) {
          auto work = net::prefer(net::get_associated_executor(handler), net::execution::outstanding_work.tracked);
          net::post(pool, [&f, &error, work, handler = std::move(handler)]() mutable {
            try {
              f();
            } catch (...) {
              error = std::current_exception();
            }
            net::dispatch(work, std::move(handler));
          });
        },
        net::use_awaitable);
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<R> result;
    co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(
        [&pool, &f, &error, &result](auto handler) {
          auto work = net::prefer(net::get_associated_executor(handler), net::execution::outstanding_work.tracked);
          net::post(pool, [&f, &error, &result, work, handler = std::move(handler)]() mutable {
            try {
              result.emplace(f());
            } catch (...) {
              error = std::current_exception();
            }
            net::dispatch(work, std::move(handler));
          });
        },
        net::use_awaitable);
    if (error) std::rethrow_exception(error);
    co_return std::move(*result);
  }
}

}  // namespace stack::api
