#include "engine/api/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <unordered_map>

#include "common/strings.h"
#include "engine/api/connection.h"
#include "engine/api/version.h"

namespace stack::api {

namespace http = boost::beast::http;
using boost::system::error_code;
using local = net::local::stream_protocol;

struct Server::State {
  State(net::io_context& io_, Router router_, ServerOptions options_)
      : io(io_), router(std::move(router_)), options(std::move(options_)) {}
  net::io_context& io;
  Router router;
  ServerOptions options;
  std::optional<local::acceptor> acceptor;
  std::unordered_map<uint64_t, std::weak_ptr<detail::Connection>> connections;
  uint64_t next_id = 0;
  bool stopped = false;
};

namespace {

// Routes one request and lets the handler answer; returns whether the connection can be
// used for another request.
net::awaitable<bool> serve_one(Server::State& st, const std::shared_ptr<detail::Connection>& conn,
                               http::request<http::string_body>& msg) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  parse_target(req);

  bool head = msg.method() == http::verb::head;
  // Docker upgrades when the request carries an Upgrade header at all (attach, exec start).
  bool upgrade = msg.find(http::field::upgrade) != msg.end();
  Responder res(conn, head, msg.keep_alive(), upgrade);

  auto match = st.router.match(req.method, req.path);
  if (!match.handler) {
    co_await res.error(404, "page not found");
    co_return res.reusable();
  }
  if (compare_versions(req.api_version, kMaxApiVersion) > 0) {
    std::string message =
        "client version " + req.api_version + " is too new. Maximum supported API version is " + std::string(kMaxApiVersion);
    co_await res.error(400, message);
    co_return res.reusable();
  }
  if (compare_versions(req.api_version, kMinApiVersion) < 0) {
    std::string message = "client version " + req.api_version + " is too old. Minimum supported API version is " +
                          std::string(kMinApiVersion) + ", please upgrade your client to a newer version";
    co_await res.error(400, message);
    co_return res.reusable();
  }
  req.params = std::move(match.params);

  std::string failure;
  try {
    co_await (*match.handler)(req, res);
  } catch (const std::exception& e) {
    failure = e.what();
    if (failure.empty()) failure = "internal error";
  } catch (...) {
    failure = "internal error";
  }
  if (res.hijacked()) co_return false;
  if (!failure.empty()) {
    if (!res.responded()) {
      co_await res.error(500, failure);
      co_return res.reusable();
    }
    co_return false;  // a half-written response: the connection cannot be trusted
  }
  if (!res.responded()) {
    std::string message = "handler for " + req.method + " " + req.path + " sent no response";
    co_await res.error(500, message);
  }
  if (res.streaming()) co_return false;  // never finished: the client sees the connection end
  co_return res.reusable();
}

net::awaitable<void> session(std::shared_ptr<Server::State> st, std::shared_ptr<detail::Connection> conn,
                             uint64_t id) {
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(st->options.body_limit);
    error_code ec;
    co_await http::async_read_header(conn->socket, conn->buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      // curl waits a second for "100 Continue" before large bodies.
      auto expect = parser.get().find(http::field::expect);
      if (expect != parser.get().end() && to_lower(expect->value()) == "100-continue") {
        co_await net::async_write(conn->socket, net::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25),
                                  net::redirect_error(net::use_awaitable, ec));
      }
      if (!ec) co_await http::async_read(conn->socket, conn->buffer, parser, net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) {
      bool quiet = ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
                   ec == net::error::connection_reset || ec == net::error::broken_pipe || !conn->socket.is_open();
      if (!quiet) {
        Responder res(conn, false, false, false);
        std::string message = "bad request: " + ec.message();
        co_await res.error(ec == http::error::body_limit ? 413 : 400, message);
      }
      break;
    }
    auto msg = parser.release();
    bool again = co_await serve_one(*st, conn, msg);
    if (!again) break;
  }
  st->connections.erase(id);
  // A hijacked connection belongs to its Hijacked handle (and is closed by it).
  if (conn.use_count() == 1) {
    error_code ec;
    conn->socket.shutdown(net::socket_base::shutdown_both, ec);
    conn->socket.close(ec);
  }
}

net::awaitable<void> accept_loop(std::shared_ptr<Server::State> st) {
  while (!st->stopped && st->acceptor && st->acceptor->is_open()) {
    error_code ec;
    local::socket socket = co_await st->acceptor->async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (st->stopped || ec == net::error::operation_aborted) break;
      // EMFILE and friends: back off instead of spinning.
      net::steady_timer timer(st->io, std::chrono::milliseconds(20));
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    auto conn = std::make_shared<detail::Connection>(std::move(socket));
    uint64_t id = st->next_id++;
    st->connections.emplace(id, conn);
    net::co_spawn(st->io, session(st, std::move(conn), id), net::detached);
  }
}

}  // namespace

Server::Server(net::io_context& io, Router router, ServerOptions options)
    : state_(std::make_shared<State>(io, std::move(router), std::move(options))) {}

Server::~Server() { stop(); }

Result<void> Server::listen() {
  const std::string& path = state_->options.socket_path;
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail("listen on " + path + ": exists and is not a socket", EEXIST);
    if (::unlink(path.c_str()) != 0) return fail_errno("remove stale socket " + path);
  }
  error_code ec;
  local::acceptor acceptor(state_->io);
  acceptor.open(local(), ec);
  if (!ec) acceptor.bind(local::endpoint(path), ec);
  if (ec) return fail("bind " + path + ": " + ec.message(), ec.value());
  if (::chmod(path.c_str(), state_->options.mode) != 0) return fail_errno("chmod " + path);
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on " + path + ": " + ec.message(), ec.value());
  state_->acceptor.emplace(std::move(acceptor));
  state_->stopped = false;
  net::co_spawn(state_->io, accept_loop(state_), net::detached);
  return {};
}

void Server::stop() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  error_code ec;
  if (state_->acceptor) {
    state_->acceptor->close(ec);
    ::unlink(state_->options.socket_path.c_str());
  }
  for (auto& [id, weak] : state_->connections) {
    if (auto conn = weak.lock()) {
      conn->socket.shutdown(net::socket_base::shutdown_both, ec);
      conn->socket.close(ec);
    }
  }
}

}  // namespace stack::api
