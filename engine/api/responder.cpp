#include "engine/api/responder.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "engine/api/connection.h"
#include "engine/api/version.h"

namespace stack::api {

namespace {

using boost::system::error_code;

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string_view reason(int status) {
  return boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
}

}  // namespace

int status_for(const stack::Error& e) {
  switch (e.errno_value) {
    case ENOENT:
      return 404;
    case EEXIST:
    case EBUSY:
      return 409;
    case EINVAL:
      return 400;
    case EALREADY:
      return 304;
    default:
      return 500;
  }
}

// --- Hijacked ---

net::awaitable<std::size_t> Hijacked::read_some(net::mutable_buffer buf) {
  if (!conn_ || buf.size() == 0) co_return 0;
  auto& pending = conn_->buffer;
  if (pending.size() > 0) {
    std::size_t n = net::buffer_copy(buf, pending.data());
    pending.consume(n);
    co_return n;
  }
  error_code ec;
  std::size_t n = co_await conn_->socket.async_read_some(buf, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return 0;
  co_return n;
}

net::awaitable<bool> Hijacked::write(std::string_view data) {
  if (!conn_ || !conn_->socket.is_open()) co_return false;
  error_code ec;
  co_await net::async_write(conn_->socket, net::buffer(data), net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

void Hijacked::shutdown_send() {
  if (!conn_) return;
  error_code ec;
  conn_->socket.shutdown(net::socket_base::shutdown_send, ec);
}

void Hijacked::close() {
  if (!conn_) return;
  error_code ec;
  conn_->socket.close(ec);
}

net::any_io_executor Hijacked::executor() const { return conn_->socket.get_executor(); }

// --- Responder ---

Responder::Responder(std::shared_ptr<detail::Connection> conn, bool head_request, bool keep_alive,
                     bool upgrade_requested)
    : conn_(std::move(conn)),
      head_request_(head_request),
      keep_alive_(keep_alive),
      upgrade_requested_(upgrade_requested) {}

void Responder::set_header(std::string name, std::string value) {
  extra_headers_.emplace_back(std::move(name), std::move(value));
}

net::any_io_executor Responder::executor() const { return conn_->socket.get_executor(); }

bool Responder::reusable() const {
  return keep_alive_ && !failed_ && (state_ == State::done || state_ == State::finished);
}

std::string Responder::head(int status, std::string_view why, bool chunked, std::string_view content_type,
                            std::size_t content_length, bool with_length) const {
  std::string h;
  h.reserve(256);
  h += "HTTP/1.1 ";
  h += std::to_string(status);
  h += ' ';
  h += why;
  // Docker reports its own (default) API version, whatever the request asked for.
  h += "\r\nApi-Version: ";
  h += kDefaultApiVersion;
  if (!content_type.empty()) {
    h += "\r\nContent-Type: ";
    h += content_type;
  }
  h += "\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/";
  h += kEngineVersion;
  h += " (linux)\r\nDate: ";
  h += http_date();
  for (const auto& [k, v] : extra_headers_) {
    h += "\r\n";
    h += k;
    h += ": ";
    h += v;
  }
  if (chunked) h += "\r\nTransfer-Encoding: chunked";
  if (with_length) {
    h += "\r\nContent-Length: ";
    h += std::to_string(content_length);
  }
  if (!keep_alive_) h += "\r\nConnection: close";
  h += "\r\n\r\n";
  return h;
}

net::awaitable<void> Responder::send(int status, std::string_view content_type, std::string_view body) {
  if (state_ != State::none) co_return;
  state_ = State::done;
  // 1xx, 204 and 304 carry no body (RFC 9110); Go's server drops one too.
  bool bodiless = status == 204 || status == 304 || status < 200;
  if (bodiless) body = {};
  std::string h = head(status, reason(status), false, content_type, body.size(), !bodiless);
  std::array<net::const_buffer, 2> bufs{net::buffer(h), net::buffer(head_request_ ? std::string_view{} : body)};
  error_code ec;
  co_await net::async_write(conn_->socket, bufs, net::redirect_error(net::use_awaitable, ec));
  if (ec) failed_ = true;
}

net::awaitable<void> Responder::json(int status, const nlohmann::json& body) {
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  co_await send(status, "application/json", text);
}

net::awaitable<void> Responder::json(int status, const nlohmann::ordered_json& body) {
  std::string text = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  text.push_back('\n');
  co_await send(status, "application/json", text);
}

net::awaitable<void> Responder::error(int status, std::string_view message) {
  nlohmann::json body = {{"message", std::string(message)}};
  co_await json(status, body);
}

net::awaitable<void> Responder::error(const stack::Error& e) {
  // Docker's messages carry no errno text: the engine's message is the API's message.
  co_await error(status_for(e), e.message);
}

net::awaitable<void> Responder::empty(int status) { co_await send(status, {}, {}); }

net::awaitable<void> Responder::raw(int status, std::string_view content_type, std::string_view body) {
  co_await send(status, content_type, body);
}

net::awaitable<void> Responder::start_stream(int status, std::string_view content_type) {
  if (state_ != State::none) co_return;
  state_ = State::streaming;
  std::string h = head(status, reason(status), !head_request_, content_type, 0, head_request_);
  error_code ec;
  co_await net::async_write(conn_->socket, net::buffer(h), net::redirect_error(net::use_awaitable, ec));
  if (ec) failed_ = true;
}

net::awaitable<bool> Responder::write(std::string_view chunk) {
  if (failed_ || state_ != State::streaming) co_return false;
  if (chunk.empty() || head_request_) co_return true;
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  std::array<net::const_buffer, 3> bufs{net::buffer(size, static_cast<std::size_t>(n)), net::buffer(chunk),
                                        net::buffer("\r\n", 2)};
  error_code ec;
  co_await net::async_write(conn_->socket, bufs, net::redirect_error(net::use_awaitable, ec));
  if (ec) failed_ = true;
  co_return !ec;
}

net::awaitable<void> Responder::finish() {
  if (state_ != State::streaming) co_return;
  state_ = State::finished;
  if (failed_ || head_request_) co_return;
  error_code ec;
  co_await net::async_write(conn_->socket, net::buffer("0\r\n\r\n", 5), net::redirect_error(net::use_awaitable, ec));
  if (ec) failed_ = true;
}

net::awaitable<Hijacked> Responder::hijack(std::string_view content_type) {
  if (state_ != State::none) co_return Hijacked{};
  state_ = State::hijacked;
  // As moby's attach/exec handlers: the status line and the headers set so far, then the raw stream.
  std::string h;
  if (upgrade_requested_) {
    h = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + std::string(content_type) +
        "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n";
  } else {
    h = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(content_type) + "\r\n";
  }
  h += "Api-Version: ";
  h += kDefaultApiVersion;
  h += "\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/";
  h += kEngineVersion;
  h += " (linux)\r\n";
  for (const auto& [k, v] : extra_headers_) h += k + ": " + v + "\r\n";
  h += "\r\n";
  error_code ec;
  co_await net::async_write(conn_->socket, net::buffer(h), net::redirect_error(net::use_awaitable, ec));
  if (ec) failed_ = true;
  co_return Hijacked{conn_};
}

net::awaitable<void> Responder::client_closed() {
  std::array<char, 512> sink;
  for (;;) {
    error_code ec;
    co_await conn_->socket.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      // Cancelled (the handler finished first): not a disconnect.
      if (ec != net::error::operation_aborted) failed_ = true;
      co_return;
    }
  }
}

}  // namespace stack::api
