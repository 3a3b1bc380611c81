// Writing the answer to one request: JSON, errors, chunked streams, or hijacking the
// connection (attach, exec start) as Docker does.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

// g++ 12 reports a false -Wmismatched-new-delete at the end of every coroutine whose frame
// Asio allocates (awaitable_frame_base's operator new/delete pair, GCC PR 109224). It is
// disabled for the rest of each file that uses the API (no push/pop on purpose: the
// warning is reported at the handler's closing brace, in the including file).
// g++ 12 also miscompiles braced temporaries inside a co_await expression
// (`co_await res.json(200, nlohmann::json{{"Id", id}})`: "array used as initializer";
// `co_await res.error(Error{...})`: destroyed twice). Build such values in a local first.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace stack::api {

namespace net = boost::asio;

namespace detail {
struct Connection;
}

// HTTP status for an engine error: ENOENT 404, EEXIST/EBUSY 409, EINVAL 400,
// EALREADY 304, anything else 500.
int status_for(const stack::Error& e);

// The raw connection after an upgrade. Bytes the client sent after the request
// headers are returned first by read_some.
class Hijacked {
 public:
  Hijacked() = default;
  explicit Hijacked(std::shared_ptr<detail::Connection> conn) : conn_(std::move(conn)) {}

  // 0 at EOF (or half-close by the client) and on errors.
  net::awaitable<std::size_t> read_some(net::mutable_buffer buf);
  // false once the peer is gone.
  net::awaitable<bool> write(std::string_view data);
  void shutdown_send();
  void close();
  bool valid() const { return conn_ != nullptr; }
  net::any_io_executor executor() const;

 private:
  std::shared_ptr<detail::Connection> conn_;
};

class Responder {
 public:
  Responder(std::shared_ptr<detail::Connection> conn, bool head_request, bool keep_alive, bool upgrade_requested);

  // Adds a header to the next response (e.g. Cache-Control for /_ping).
  void set_header(std::string name, std::string value);

  // application/json, the body followed by "\n" as Go's json.Encoder writes it.
  net::awaitable<void> json(int status, const nlohmann::json& body);
  net::awaitable<void> json(int status, const nlohmann::ordered_json& body);
  // {"message":"..."}
  net::awaitable<void> error(int status, std::string_view message);
  net::awaitable<void> error(const stack::Error& e);
  net::awaitable<void> empty(int status);
  net::awaitable<void> raw(int status, std::string_view content_type, std::string_view body);

  // A chunked response; the headers go out at once.
  net::awaitable<void> start_stream(int status, std::string_view content_type);
  // One chunk (empty chunks are skipped); false once the client is gone.
  net::awaitable<bool> write(std::string_view chunk);
  net::awaitable<void> finish();

  // 101 UPGRADED (Connection: Upgrade, Upgrade: tcp) when the request asked for an
  // upgrade, else 200 OK; then the raw connection. content_type is
  // application/vnd.docker.multiplexed-stream or application/vnd.docker.raw-stream.
  net::awaitable<Hijacked> hijack(std::string_view content_type);

  // Completes when the client closes its side (or the connection fails); for handlers
  // that wait on something else (wait, events) and must notice a vanished client.
  // Bytes the client sends meanwhile are discarded. Not after hijack.
  net::awaitable<void> client_closed();

  net::any_io_executor executor() const;

  bool responded() const { return state_ != State::none; }
  bool streaming() const { return state_ == State::streaming; }
  bool hijacked() const { return state_ == State::hijacked; }
  // Whether the connection can carry another request afterwards.
  bool reusable() const;

 private:
  enum class State { none, done, streaming, finished, hijacked };
  net::awaitable<void> send(int status, std::string_view content_type, std::string_view body);
  std::string head(int status, std::string_view reason, bool chunked, std::string_view content_type,
                   std::size_t content_length, bool with_length) const;

  std::shared_ptr<detail::Connection> conn_;
  bool head_request_ = false;
  bool keep_alive_ = true;
  bool upgrade_requested_ = false;
  bool failed_ = false;  // a write failed: the connection is gone
  State state_ = State::none;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
};

}  // namespace stack::api
