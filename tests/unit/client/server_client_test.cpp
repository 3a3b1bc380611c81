// The API server and the CLI's client against each other over a temp unix socket.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "engine/api/api.h"
#include "engine/client/client.h"
#include "tests/unit/api/test_server.h"

namespace stack {
namespace {

using namespace std::chrono_literals;
using api::net::awaitable;
namespace net = api::net;

struct Flags {
  std::atomic<bool> stream_client_gone{false};
  std::atomic<int> stream_chunks{0};
  std::atomic<bool> wait_client_gone{false};
  std::atomic<int> max_in_flight{0};
  std::atomic<int> in_flight{0};
};

api::Router test_router(Flags& flags, net::thread_pool& pool) {
  api::Router r;
  r.add("GET", "/_ping", [](api::Request&, api::Responder& res) -> awaitable<void> {
    res.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
    co_await res.raw(200, "text/plain; charset=utf-8", "OK");
  });
  r.add("HEAD", "/_ping", [](api::Request&, api::Responder& res) -> awaitable<void> {
    co_await res.raw(200, "text/plain; charset=utf-8", "OK");
  });
  r.add("GET", "/containers/{id}/json", [](api::Request& req, api::Responder& res) -> awaitable<void> {
    // g++ 12: a braced list inside a co_await expression miscompiles ("array used as initializer").
    nlohmann::json body = {{"Id", req.params["id"]}, {"Version", req.api_version}};
    co_await res.json(200, body);
  });
  r.add("GET", "/images/{name:.*}/json", [](api::Request& req, api::Responder& res) -> awaitable<void> {
    nlohmann::json body = {{"Name", req.params["name"]}};
    co_await res.json(200, body);
  });
  r.add("GET", "/fail", [](api::Request& req, api::Responder& res) -> awaitable<void> {
    int err = static_cast<int>(*req.query_int("errno", ENOENT));
    Error e{"No such container: x", err};  // g++ 12: no braced temporaries inside co_await
    co_await res.error(e);
  });
  r.add("GET", "/throw", [](api::Request&, api::Responder&) -> awaitable<void> {
    throw std::runtime_error("boom");
    co_return;
  });
  r.add("POST", "/echo", [](api::Request& req, api::Responder& res) -> awaitable<void> {
    co_await res.raw(200, req.header("content-type"), req.body);
  });
  r.add("GET", "/stream", [](api::Request& req, api::Responder& res) -> awaitable<void> {
    int64_t n = *req.query_int("n", 3);
    co_await res.start_stream(200, "application/json");
    for (int64_t i = 0; i < n; ++i) {
      if (!co_await res.write("{\"n\":" + std::to_string(i) + "}\n")) co_return;
    }
    co_await res.finish();
  });
  r.add("GET", "/forever", [&flags](api::Request&, api::Responder& res) -> awaitable<void> {
    co_await res.start_stream(200, "text/plain");
    net::steady_timer timer(co_await net::this_coro::executor);
    for (;;) {
      if (!co_await res.write(std::string(1000, 'x') + "\n")) break;
      flags.stream_chunks++;
      timer.expires_after(1ms);
      co_await timer.async_wait(net::use_awaitable);
    }
    flags.stream_client_gone = true;
  });
  r.add("POST", "/wait", [&flags](api::Request&, api::Responder& res) -> awaitable<void> {
    using namespace net::experimental::awaitable_operators;
    net::steady_timer timer(co_await net::this_coro::executor, 20s);
    auto which = co_await (res.client_closed() || timer.async_wait(net::use_awaitable));
    if (which.index() == 0) {
      flags.wait_client_gone = true;
      co_return;
    }
    nlohmann::json body = {{"StatusCode", 0}};
    co_await res.json(200, body);
  });
  r.add("GET", "/slow", [&flags, &pool](api::Request&, api::Responder& res) -> awaitable<void> {
    int now = ++flags.in_flight;
    int seen = flags.max_in_flight;
    while (now > seen && !flags.max_in_flight.compare_exchange_weak(seen, now)) {
    }
    co_await api::run_blocking(pool, [] { std::this_thread::sleep_for(5ms); });
    --flags.in_flight;
    nlohmann::json body = {{"ok", true}};
    co_await res.json(200, body);
  });
  // Echoes stdin as stdout frames until the client half-closes, then says bye.
  r.add("POST", "/attach", [](api::Request&, api::Responder& res) -> awaitable<void> {
    auto conn = co_await res.hijack("application/vnd.docker.multiplexed-stream");
    char buf[4096];
    for (;;) {
      std::size_t n = co_await conn.read_some(net::buffer(buf));
      if (n == 0) break;
      if (!co_await conn.write(api::frame(api::kStdout, std::string_view(buf, n)))) co_return;
    }
    co_await conn.write(api::frame(api::kStderr, "bye"));
    conn.close();
  });
  return r;
}

class ServerClient : public ::testing::Test {
 protected:
  void SetUp() override { server.start(test_router(flags, server.pool())); }
  api::testing::TestServer server;
  Flags flags;
};

// A raw connection for what the client does not do (pipelining, garbage).
int raw_connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string raw_read_until(int fd, std::string_view marker, int count) {
  std::string out;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + 5s;
  int found = 0;
  while (found < count && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    found = 0;
    for (size_t p = out.find(marker); p != std::string::npos; p = out.find(marker, p + 1)) ++found;
  }
  return out;
}

TEST_F(ServerClient, JsonAndDockersHeaders) {
  client::Client c(server.socket());
  auto r = c.get("/v1.41/containers/abc/json");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->header("api-version"), "1.43");
  EXPECT_EQ(r->header("docker-experimental"), "false");
  EXPECT_EQ(r->header("ostype"), "linux");
  EXPECT_EQ(r->header("server"), "Docker/0.1.0 (linux)");
  EXPECT_EQ(r->body.back(), '\n');
  auto j = r->json();
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["Id"], "abc");
  EXPECT_EQ((*j)["Version"], "1.41");
  // Unversioned works too; greedy image names.
  auto img = c.get("/images/conformance/busybox:1/json");
  ASSERT_TRUE(img);
  EXPECT_EQ((*img->json())["Name"], "conformance/busybox:1");
  auto ping = c.get("/_ping");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->body, "OK");
  EXPECT_EQ(ping->header("cache-control"), "no-cache, no-store, must-revalidate");
  auto head = c.request("HEAD", "/_ping");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->header("content-length"), "2");
}

TEST_F(ServerClient, ErrorsAndVersions) {
  client::Client c(server.socket());
  auto nf = c.get("/nope");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(nf->body, "{\"message\":\"page not found\"}\n");
  EXPECT_EQ(nf->header("api-version"), "1.43");
  // A known path under another method is not found either, as Docker.
  EXPECT_EQ(c.request("DELETE", "/containers/abc/json")->status, 404);

  auto e = c.get("/fail");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 404);
  Error err = client::error_from(*e);
  EXPECT_EQ(err.message, "No such container: x");
  EXPECT_EQ(err.errno_value, ENOENT);
  EXPECT_EQ(c.get("/fail?errno=" + std::to_string(EEXIST))->status, 409);
  EXPECT_EQ(c.get("/fail?errno=" + std::to_string(EBUSY))->status, 409);
  EXPECT_EQ(c.get("/fail?errno=" + std::to_string(EINVAL))->status, 400);
  EXPECT_EQ(c.get("/fail?errno=" + std::to_string(EIO))->status, 500);
  auto notmod = c.get("/fail?errno=" + std::to_string(EALREADY));
  EXPECT_EQ(notmod->status, 304);
  EXPECT_EQ(notmod->body, "");
  EXPECT_EQ(client::error_from(*notmod).errno_value, EALREADY);

  auto thrown = c.get("/throw");
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(client::error_from(*thrown).message, "boom");

  auto new_ = c.get("/v1.99/containers/x/json");
  EXPECT_EQ(new_->status, 400);
  EXPECT_EQ(client::error_from(*new_).message,
            "client version 1.99 is too new. Maximum supported API version is 1.43");
  auto old = c.get("/v1.12/containers/x/json");
  EXPECT_EQ(old->status, 400);
  EXPECT_EQ(client::error_from(*old).message,
            "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a "
            "newer version");
  EXPECT_EQ(client::error_from(*old).errno_value, EINVAL);
  EXPECT_EQ(c.get("/v1.24/containers/x/json")->status, 200);
}

TEST_F(ServerClient, BodiesBothWays) {
  client::Client c(server.socket());
  auto r = c.post("/echo", nlohmann::json{{"Image", "busybox"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"Image":"busybox"})");
  EXPECT_EQ(r->header("content-type"), "application/json");
  std::string big(3 << 20, 'z');  // larger than one read and than the small-body fast path
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  auto b = c.request("POST", "/echo", big, "application/x-tar");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, big);
  EXPECT_EQ(b->header("content-type"), "application/x-tar");
}

TEST_F(ServerClient, ChunkedStream) {
  client::Client c(server.socket());
  std::string got;
  client::Response head;
  auto st = c.stream("GET", "/stream?n=500", {}, [&](std::string_view d) {
    got.append(d);
    return true;
  }, &head);
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(*st, 200);
  EXPECT_EQ(head.header("transfer-encoding"), "chunked");
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 500);
  EXPECT_TRUE(got.starts_with("{\"n\":0}\n{\"n\":1}\n"));
  EXPECT_TRUE(got.ends_with("{\"n\":499}\n"));
  // The buffered form de-chunks too.
  auto whole = c.get("/stream?n=2");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->body, "{\"n\":0}\n{\"n\":1}\n");
}

TEST_F(ServerClient, ClientVanishingMidStreamIsNoticed) {
  client::Client c(server.socket());
  int pieces = 0;
  auto st = c.stream("GET", "/forever", {}, [&](std::string_view) { return ++pieces < 5; });
  ASSERT_TRUE(st);
  // The client's connection is closed now; the handler's next writes fail.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!flags.stream_client_gone && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  EXPECT_TRUE(flags.stream_client_gone);
  // And the server still answers.
  EXPECT_EQ(c.get("/_ping")->status, 200);
}

TEST_F(ServerClient, ClientClosedWakesAWaitingHandler) {
  client::Client c(server.socket());
  {
    auto pending = c.send("POST", "/wait");
    ASSERT_TRUE(pending);
    std::this_thread::sleep_for(20ms);
  }  // dropped without reading
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!flags.wait_client_gone && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  EXPECT_TRUE(flags.wait_client_gone);
}

TEST_F(ServerClient, HijackWithHalfClose) {
  client::Client c(server.socket());
  auto raw = c.hijack("/attach?stream=1&stdin=1");
  ASSERT_TRUE(raw) << raw.error().to_string();
  ASSERT_TRUE(raw->write("hello "));
  api::FrameDecoder dec;
  std::string out, err;
  char buf[4096];
  auto pump_until = [&](auto done) {
    while (!done()) {
      auto n = raw->read(buf);
      ASSERT_TRUE(n);
      if (*n == 0) break;
      for (auto& f : dec.feed(std::string_view(buf, *n))) (f.stream == api::kStdout ? out : err) += f.data;
    }
  };
  pump_until([&] { return out == "hello "; });
  ASSERT_TRUE(raw->write("world"));
  ASSERT_TRUE(raw->shutdown_write());
  // We stopped writing; the server still writes to us until it closes.
  pump_until([] { return false; });
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(err, "bye");
}

TEST_F(ServerClient, HijackUpgradeHeadersAndEarlyStdin) {
  // Stdin sent in the same write as the request reaches the handler (bytes read ahead).
  int fd = raw_connect(server.socket());
  ASSERT_GE(fd, 0);
  std::string req =
      "POST /v1.43/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
      "early";
  ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  ::shutdown(fd, SHUT_WR);
  std::string got = raw_read_until(fd, "bye", 1);
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 101 UPGRADED\r\n")) << got;
  EXPECT_NE(got.find("Content-Type: application/vnd.docker.multiplexed-stream\r\n"), std::string::npos);
  EXPECT_NE(got.find("Connection: Upgrade\r\nUpgrade: tcp\r\n"), std::string::npos);
  auto body = got.substr(got.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, api::frame(api::kStdout, "early") + api::frame(api::kStderr, "bye"));
}

TEST_F(ServerClient, KeepAliveAndPipelining) {
  int fd = raw_connect(server.socket());
  ASSERT_GE(fd, 0);
  std::string reqs =
      "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1.40/containers/a/json HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /stream?n=1 HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(fd, reqs.data(), reqs.size()), static_cast<ssize_t>(reqs.size()));
  std::string got = raw_read_until(fd, "HTTP/1.1 200 OK", 3);
  // The third is chunked: wait for its last chunk too.
  if (!got.ends_with("0\r\n\r\n")) got += raw_read_until(fd, "0\r\n\r\n", 1);
  EXPECT_NE(got.find("\r\n\r\nOK"), std::string::npos);
  EXPECT_NE(got.find(R"({"Id":"a","Version":"1.40"})"), std::string::npos);
  EXPECT_NE(got.find("8\r\n{\"n\":0}\n\r\n0\r\n\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("Connection: close"), std::string::npos);
  // Still open for a fourth.
  std::string more = "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::write(fd, more.data(), more.size()), static_cast<ssize_t>(more.size()));
  std::string last = raw_read_until(fd, "OK", 1);
  EXPECT_TRUE(last.starts_with("HTTP/1.1 200 OK")) << last;
  EXPECT_NE(last.find("Connection: close"), std::string::npos);
  char c;
  EXPECT_EQ(::read(fd, &c, 1), 0);  // closed after "Connection: close"
  ::close(fd);
}

TEST_F(ServerClient, MalformedRequestsDoNotHurtTheServer) {
  for (std::string junk : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
                           std::string("\x00\x01\x02\r\n\r\n", 7), std::string("GET /_ping HTTP/1.1\r\nHost")}) {
    int fd = raw_connect(server.socket());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    ::shutdown(fd, SHUT_WR);
    std::string got = raw_read_until(fd, "\r\n\r\n", 99);
    ::close(fd);
    if (!got.empty()) {
      EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request")) << got;
    }
  }
  client::Client c(server.socket());
  EXPECT_EQ(c.get("/_ping")->status, 200);
}

TEST_F(ServerClient, HundredConcurrentClients) {
  // 100 connections held open at once, each then making requests in parallel.
  std::vector<int> idle;
  for (int i = 0; i < 100; ++i) {
    int fd = raw_connect(server.socket());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < 100; ++t) {
    threads.emplace_back([&, t] {
      client::Client c(server.socket());
      for (int i = 0; i < 5; ++i) {
        auto r = t % 2 ? c.get("/slow") : c.get("/stream?n=50");
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ok, 500);
  // run_blocking really ran in parallel with the io thread serving others.
  EXPECT_GE(flags.max_in_flight, 2);
  EXPECT_LT(elapsed, 10s);
  // The idle ones are still served.
  std::string req = "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (int fd : idle) {
    ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
    EXPECT_TRUE(raw_read_until(fd, "OK", 1).starts_with("HTTP/1.1 200 OK"));
    ::close(fd);
  }
}

TEST(Client, NoDaemonIsENOENTOrRefused) {
  client::Client c("/tmp/stack-no-such-dir/x.sock");
  auto r = c.get("/_ping");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, ENOENT);
  EXPECT_NE(r.error().message.find("Is the daemon running?"), std::string::npos);
}

TEST(Client, ErrorFromResponses) {
  client::Response r{409, {}, "{\"message\":\"Conflict. The container name \\\"/web\\\" is already in use\"}\n"};
  auto e = client::error_from(r);
  EXPECT_EQ(e.errno_value, EEXIST);
  EXPECT_EQ(e.message, "Conflict. The container name \"/web\" is already in use");
  client::Response plain{500, {}, "something broke\n"};
  EXPECT_EQ(client::error_from(plain).message, "something broke");
  EXPECT_EQ(client::error_from(plain).errno_value, EIO);
}

}  // namespace
}  // namespace stack
