// One accepted connection: the socket and the bytes read ahead of the parser. Shared by
// the server's session, the Responder and, after an upgrade, the Hijacked stream.
#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>

namespace stack::api::detail {

struct Connection {
  explicit Connection(boost::asio::local::stream_protocol::socket s) : socket(std::move(s)) {}
  boost::asio::local::stream_protocol::socket socket;
  boost::beast::flat_buffer buffer;  // read past the request headers (pipelined or hijacked bytes)
};

}  // namespace stack::api::detail
