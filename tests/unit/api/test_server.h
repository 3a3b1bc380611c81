// A real API server on a temp unix socket, its io_context on a background thread.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "engine/api/server.h"

namespace stack::api::testing {

class TestServer {
 public:
  TestServer() {
    char tmpl[] = "/tmp/stack-api-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    socket_ = dir_ + "/api.sock";
  }
  ~TestServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start(Router router) {
    server_.emplace(io_, std::move(router), ServerOptions{socket_});
    auto r = server_->listen();
    ASSERT_TRUE(r) << r.error().to_string();
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    std::promise<void> done;
    net::post(io_, [&] {
      server_->stop();
      done.set_value();
    });
    done.get_future().wait();
    io_.stop();
    thread_.join();
    server_.reset();
    pool_.join();
  }

  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  net::thread_pool& pool() { return pool_; }
  net::io_context& io() { return io_; }

 private:
  std::string dir_, socket_;
  net::io_context io_;
  net::thread_pool pool_{2};
  std::optional<Server> server_;
  std::thread thread_;
};

}  // namespace stack::api::testing
