// The CLI's synchronous API client: HTTP/1.1 over the daemon's unix socket, one short
// connection per request (a unix connect costs microseconds), hand-rolled to keep the
// CLI's start-up and latency small.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace stack::client {

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase keys
  std::string body;
  Result<nlohmann::json> json() const;
  std::string header(std::string_view lowercase_name) const;
};

// Error from a non-2xx response: the JSON "message" (or the body); errno_value from the
// status: 404 ENOENT, 409 EEXIST, 400 EINVAL, 304 EALREADY, else EIO.
stack::Error error_from(const Response& r);

// The connection after an upgrade (attach, exec start). Bytes that arrived with the
// response headers are returned first by read().
class RawConnection {
 public:
  RawConnection() = default;
  RawConnection(UniqueFd fd, std::string pending) : fd_(std::move(fd)), pending_(std::move(pending)) {}

  // 0 at EOF.
  Result<std::size_t> read(std::span<char> buf);
  Result<void> write(std::string_view data);
  // Tells the daemon there is no more input (half-close); reading goes on.
  Result<void> shutdown_write();
  int fd() const { return fd_.get(); }
  // Bytes already read from the socket and not yet returned by read(): a caller that
  // polls fd() must drain these first.
  bool has_pending() const { return !pending_.empty(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  std::string pending_;
};

class Connection;  // client.cpp

// A request whose response is read later (docker run sends wait before start).
class PendingResponse {
 public:
  PendingResponse();
  explicit PendingResponse(std::unique_ptr<Connection> conn);
  PendingResponse(PendingResponse&&) noexcept;
  PendingResponse& operator=(PendingResponse&&) noexcept;
  ~PendingResponse();
  Result<Response> wait();
  int fd() const;  // to poll for the response

 private:
  std::unique_ptr<Connection> conn_;
};

class Client {
 public:
  explicit Client(std::string socket_path);

  const std::string& socket_path() const { return socket_path_; }

  Result<Response> request(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view content_type = "application/json");
  Result<Response> get(std::string_view target);
  Result<Response> post(std::string_view target, const nlohmann::json& body);
  Result<Response> del(std::string_view target);

  // Streams the response body (chunked or not, de-chunked) to on_data until the end or
  // until on_data returns false; returns the status (headers in *head if given).
  Result<int> stream(std::string_view method, std::string_view target, std::string_view body,
                     const std::function<bool(std::string_view)>& on_data, Response* head = nullptr,
                     std::string_view content_type = "application/json");

  // POST with Connection: Upgrade, Upgrade: tcp; after 101 (or 200) the raw connection.
  // Any other status is returned as error_from(response).
  Result<RawConnection> hijack(std::string_view target, std::string_view body = {});

  // Sends a request now; its response is read by PendingResponse::wait().
  Result<PendingResponse> send(std::string_view method, std::string_view target, std::string_view body = {});

 private:
  Result<std::unique_ptr<Connection>> open_and_send(std::string_view method, std::string_view target,
                                                    std::string_view body, std::string_view content_type,
                                                    std::string_view extra_headers);
  std::string socket_path_;
};

}  // namespace stack::client
