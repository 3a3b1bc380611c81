// The API server: HTTP/1.1 over a unix stream socket, one coroutine per connection on
// the io_context's thread, keep-alive, Docker's version prefix and response headers.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

#include "common/error.h"
#include "engine/api/router.h"

namespace stack::api {

struct ServerOptions {
  std::string socket_path;
  mode_t mode = 0660;
  std::size_t body_limit = std::size_t{4} << 30;  // image load/import bodies are tars
};

class Server {
 public:
  Server(net::io_context& io, Router router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (replacing a stale socket file), chmods, listens and starts accepting.
  Result<void> listen();
  // Stops accepting, closes every connection, removes the socket file.
  void stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace stack::api
