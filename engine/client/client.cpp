#include "engine/client/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/strings.h"

namespace stack::client {

namespace {

Result<void> send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write to the stack daemon");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

// One HTTP exchange on a connected socket: a read buffer, the response head, then the body
// by Content-Length, chunks, or until EOF.
class Connection {
 public:
  explicit Connection(UniqueFd fd) : fd_(std::move(fd)) {}

  int fd() const { return fd_.get(); }

  Result<void> write_all(std::string_view data) { return send_all(fd_.get(), data); }

  // Reads the status line and headers (skipping 1xx interim responses but 101).
  Result<Response> read_head(bool head_request) {
    for (;;) {
      auto end = find_in_buffer("\r\n\r\n");
      while (!end) {
        if (avail() > 1 << 20) return fail("read the daemon's response: headers too large", EIO);
        auto n = fill();
        if (!n) return std::unexpected(n.error());
        if (*n == 0) return fail("read the daemon's response: connection closed before the headers", EIO);
        end = find_in_buffer("\r\n\r\n");
      }
      std::string_view head(buf_.data() + pos_, *end - pos_);
      pos_ = *end + 4;
      Response r;
      size_t eol = head.find("\r\n");
      std::string_view status_line = head.substr(0, eol);
      // "HTTP/1.1 200 OK"
      size_t sp = status_line.find(' ');
      if (sp == std::string_view::npos || !status_line.starts_with("HTTP/")) {
        return fail("read the daemon's response: bad status line " + stack::quoted(status_line), EIO);
      }
      std::string_view code = status_line.substr(sp + 1, 3);
      auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), r.status);
      if (ec != std::errc{}) return fail("read the daemon's response: bad status line " + stack::quoted(status_line), EIO);
      (void)p;
      while (eol != std::string_view::npos) {
        head.remove_prefix(eol + 2);
        eol = head.find("\r\n");
        std::string_view line = head.substr(0, eol);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        r.headers[to_lower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
      }
      if (r.status >= 100 && r.status < 200 && r.status != 101) continue;  // 100 Continue
      // What follows: the body framing.
      remaining_ = 0;
      if (head_request || r.status == 101 || r.status == 204 || r.status == 304 || r.status < 200) {
        mode_ = Mode::done;
      } else if (to_lower(r.header("transfer-encoding")).find("chunked") != std::string::npos) {
        mode_ = Mode::chunk_size;
      } else if (auto cl = r.header("content-length"); !cl.empty()) {
        uint64_t n = 0;
        auto [q, e] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
        (void)q;
        if (e != std::errc{}) return fail("read the daemon's response: bad Content-Length " + stack::quoted(cl), EIO);
        remaining_ = n;
        mode_ = n == 0 ? Mode::done : Mode::length;
      } else {
        mode_ = Mode::until_eof;
      }
      return r;
    }
  }

  // The next piece of the body; std::nullopt at its end.
  Result<std::optional<std::string_view>> next_body() {
    for (;;) {
      switch (mode_) {
        case Mode::done:
          return std::nullopt;
        case Mode::length:
        case Mode::chunk_data:
        case Mode::until_eof: {
          if (avail() == 0) {
            compact();
            auto n = fill();
            if (!n) return std::unexpected(n.error());
            if (*n == 0) {
              if (mode_ == Mode::until_eof) {
                mode_ = Mode::done;
                return std::nullopt;
              }
              return fail("read the daemon's response: connection closed mid-body", EIO);
            }
          }
          size_t take = avail();
          if (mode_ != Mode::until_eof) take = static_cast<size_t>(std::min<uint64_t>(take, remaining_));
          std::string_view piece(buf_.data() + pos_, take);
          pos_ += take;
          if (mode_ != Mode::until_eof) {
            remaining_ -= take;
            if (remaining_ == 0) mode_ = mode_ == Mode::length ? Mode::done : Mode::chunk_end;
          }
          return piece;
        }
        case Mode::chunk_end: {
          auto line = read_line();
          if (!line) return std::unexpected(line.error());
          mode_ = Mode::chunk_size;
          break;
        }
        case Mode::chunk_size: {
          auto line = read_line();
          if (!line) return std::unexpected(line.error());
          std::string_view text = *line;
          if (auto semi = text.find(';'); semi != std::string_view::npos) text = text.substr(0, semi);
          text = trim(text);
          uint64_t n = 0;
          auto [q, e] = std::from_chars(text.data(), text.data() + text.size(), n, 16);
          (void)q;
          if (e != std::errc{}) return fail("read the daemon's response: bad chunk size " + stack::quoted(*line), EIO);
          if (n == 0) {
            // Trailers up to an empty line.
            for (;;) {
              auto t = read_line();
              if (!t) return std::unexpected(t.error());
              if (t->empty()) break;
            }
            mode_ = Mode::done;
            return std::nullopt;
          }
          remaining_ = n;
          mode_ = Mode::chunk_data;
          break;
        }
      }
    }
  }

  Result<Response> read_response(bool head_request) {
    auto r = read_head(head_request);
    if (!r) return r;
    for (;;) {
      auto piece = next_body();
      if (!piece) return std::unexpected(piece.error());
      if (!*piece) break;
      r->body.append(**piece);
    }
    return r;
  }

  // Hands the socket over with the bytes read past the headers.
  RawConnection into_raw() {
    std::string pending = buf_.substr(pos_);
    return RawConnection(std::move(fd_), std::move(pending));
  }

 private:
  enum class Mode { done, length, chunk_size, chunk_data, chunk_end, until_eof };

  size_t avail() const { return buf_.size() - pos_; }

  void compact() {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    } else if (pos_ > 65536) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }

  Result<size_t> fill() {
    size_t old = buf_.size();
    buf_.resize(old + 65536);
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf_.data() + old, 65536);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int saved = errno;
        buf_.resize(old);
        return fail("read from the stack daemon", saved);
      }
      buf_.resize(old + static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
  }

  std::optional<size_t> find_in_buffer(std::string_view what) const {
    size_t at = std::string_view(buf_).find(what, pos_);
    if (at == std::string_view::npos) return std::nullopt;
    return at;
  }

  Result<std::string> read_line() {
    auto end = find_in_buffer("\r\n");
    while (!end) {
      if (avail() > 65536) return fail("read the daemon's response: line too long", EIO);
      auto n = fill();
      if (!n) return std::unexpected(n.error());
      if (*n == 0) return fail("read the daemon's response: connection closed mid-body", EIO);
      end = find_in_buffer("\r\n");
    }
    std::string line = buf_.substr(pos_, *end - pos_);
    pos_ = *end + 2;
    return line;
  }

  UniqueFd fd_;
  std::string buf_;
  size_t pos_ = 0;
  Mode mode_ = Mode::done;
  uint64_t remaining_ = 0;
};

// --- Response ---

std::string Response::header(std::string_view lowercase_name) const {
  auto it = headers.find(std::string(lowercase_name));
  return it == headers.end() ? std::string{} : it->second;
}

Result<nlohmann::json> Response::json() const {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return fail("decode the daemon's response: not JSON: " + body.substr(0, 200), EIO);
  return doc;
}

stack::Error error_from(const Response& r) {
  std::string message;
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    message = doc["message"].get<std::string>();
  } else {
    message = std::string(trim(r.body));
  }
  if (message.empty()) message = "request failed with status " + std::to_string(r.status);
  int err = EIO;
  switch (r.status) {
    case 404:
      err = ENOENT;
      break;
    case 409:
      err = EEXIST;
      break;
    case 400:
      err = EINVAL;
      break;
    case 304:
      err = EALREADY;
      break;
    default:
      break;
  }
  return stack::Error{std::move(message), err};
}

// --- RawConnection ---

Result<std::size_t> RawConnection::read(std::span<char> buf) {
  if (buf.empty()) return 0;
  if (!pending_.empty()) {
    size_t n = std::min(buf.size(), pending_.size());
    std::memcpy(buf.data(), pending_.data(), n);
    pending_.erase(0, n);
    return n;
  }
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == ECONNRESET) return 0;
      return fail_errno("read from the stack daemon");
    }
    return static_cast<size_t>(n);
  }
}

Result<void> RawConnection::write(std::string_view data) { return send_all(fd_.get(), data); }

Result<void> RawConnection::shutdown_write() {
  if (::shutdown(fd_.get(), SHUT_WR) != 0) return fail_errno("shut down the write side of the daemon connection");
  return {};
}

// --- PendingResponse ---

PendingResponse::PendingResponse() = default;
PendingResponse::PendingResponse(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
PendingResponse::PendingResponse(PendingResponse&&) noexcept = default;
PendingResponse& PendingResponse::operator=(PendingResponse&&) noexcept = default;
PendingResponse::~PendingResponse() = default;

Result<Response> PendingResponse::wait() {
  if (!conn_) return fail("wait for a response: no request pending", EINVAL);
  auto r = conn_->read_response(false);
  conn_.reset();
  return r;
}

int PendingResponse::fd() const { return conn_ ? conn_->fd() : -1; }

// --- Client ---

Client::Client(std::string socket_path) : socket_path_(std::move(socket_path)) {}

Result<std::unique_ptr<Connection>> Client::open_and_send(std::string_view method, std::string_view target,
                                                          std::string_view body, std::string_view content_type,
                                                          std::string_view extra_headers) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof addr.sun_path) {
    return fail("connect to the stack daemon: socket path too long: " + socket_path_, ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("create a socket for the stack daemon");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    // ENOENT / ECONNREFUSED tell the CLI the daemon is not running.
    return fail_errno("Cannot connect to the stack daemon at unix://" + socket_path_ + ". Is the daemon running?");
  }
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: api\r\nUser-Agent: stack-cli\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!content_type.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append(extra_headers);
  req.append("\r\n");
  auto conn = std::make_unique<Connection>(std::move(fd));
  // Small bodies go in the same write as the head: one syscall, one wakeup of the daemon.
  if (body.size() <= 64 * 1024) {
    req.append(body);
    if (auto w = conn->write_all(req); !w) return std::unexpected(w.error());
  } else {
    if (auto w = conn->write_all(req); !w) return std::unexpected(w.error());
    if (auto w = conn->write_all(body); !w) return std::unexpected(w.error());
  }
  return conn;
}

Result<Response> Client::request(std::string_view method, std::string_view target, std::string_view body,
                                 std::string_view content_type) {
  auto conn = open_and_send(method, target, body, content_type, "Connection: close\r\n");
  if (!conn) return std::unexpected(conn.error());
  return (*conn)->read_response(method == "HEAD");
}

Result<Response> Client::get(std::string_view target) { return request("GET", target); }

Result<Response> Client::post(std::string_view target, const nlohmann::json& body) {
  std::string text = body.is_null() ? std::string{} : body.dump();
  return request("POST", target, text);
}

Result<Response> Client::del(std::string_view target) { return request("DELETE", target); }

Result<int> Client::stream(std::string_view method, std::string_view target, std::string_view body,
                           const std::function<bool(std::string_view)>& on_data, Response* head,
                           std::string_view content_type) {
  auto conn = open_and_send(method, target, body, content_type, "Connection: close\r\n");
  if (!conn) return std::unexpected(conn.error());
  auto r = (*conn)->read_head(method == "HEAD");
  if (!r) return std::unexpected(r.error());
  int status = r->status;
  if (head) *head = *r;
  for (;;) {
    auto piece = (*conn)->next_body();
    if (!piece) return std::unexpected(piece.error());
    if (!*piece) break;
    if (!on_data(**piece)) break;
  }
  return status;
}

Result<RawConnection> Client::hijack(std::string_view target, std::string_view body) {
  auto conn = open_and_send("POST", target, body, "application/json", "Connection: Upgrade\r\nUpgrade: tcp\r\n");
  if (!conn) return std::unexpected(conn.error());
  auto r = (*conn)->read_head(false);
  if (!r) return std::unexpected(r.error());
  if (r->status == 101 || r->status == 200) return (*conn)->into_raw();
  // An error: read its body for the message.
  for (;;) {
    auto piece = (*conn)->next_body();
    if (!piece || !*piece) break;
    r->body.append(**piece);
  }
  return std::unexpected(error_from(*r));
}

Result<PendingResponse> Client::send(std::string_view method, std::string_view target, std::string_view body) {
  auto conn = open_and_send(method, target, body, "application/json", "Connection: close\r\n");
  if (!conn) return std::unexpected(conn.error());
  return PendingResponse(std::move(*conn));
}

}  // namespace stack::client
