#include "engine/daemon/container_routes.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <cerrno>
#include <functional>
#include <map>

#include "engine/api/detach_keys.h"
#include "engine/api/filters.h"
#include "engine/api/stdcopy.h"
#include "engine/image/overlay_upper.h"
#include "engine/monitor/protocol.h"
#include "engine/supervise/json_log_reader.h"

namespace stack::daemon {

namespace {

using api::Request;
using api::Responder;
using stream_socket = net::local::stream_protocol::socket;

std::optional<int> optional_int(const Request& req, std::string_view key) {
  auto v = req.query_value(key);
  if (!v || v->empty()) return std::nullopt;
  try {
    return std::stoi(*v);
  } catch (...) {
    return std::nullopt;
  }
}

net::awaitable<void> send_result(Responder& res, const Result<void>& r, int ok_status = 204) {
  if (!r) {
    if (r.error().errno_value == EALREADY) {
      co_await res.empty(304);
    } else {
      co_await res.error(r.error());
    }
    co_return;
  }
  co_await res.empty(ok_status);
}

// Relays a monitor connection to a hijacked client: container output (framed unless a
// TTY) to the client, the client's bytes to the container's stdin. With a TTY the input
// is watched for the detach keys: they end the attach (not the container) and call
// on_detach.
net::awaitable<void> relay_attach(std::shared_ptr<stream_socket> monitor_sock, api::Hijacked client, bool tty,
                                  bool want_stdin, bool want_stdout, bool want_stderr, bool stdin_once,
                                  std::string detach_keys, std::function<void()> on_detach) {
  auto ex = co_await net::this_coro::executor;
  auto done = std::make_shared<bool>(false);
  if (want_stdin) {
    net::co_spawn(
        ex,
        [monitor_sock, client, done, stdin_once, tty, detach_keys, on_detach]() mutable -> net::awaitable<void> {
          api::DetachFilter detach(tty ? detach_keys : std::string());
          char buf[8192];
          for (;;) {
            std::size_t n = co_await client.read_some(net::buffer(buf));
            if (n == 0 || *done) break;
            std::string input;
            const bool detached = detach.feed(std::string_view(buf, n), input);
            if (!input.empty()) {
              std::string f = monitor::encode_frame(monitor::FrameType::stdin_data, input);
              boost::system::error_code ec;
              co_await net::async_write(*monitor_sock, net::buffer(f), net::redirect_error(net::use_awaitable, ec));
              if (ec) co_return;
            }
            if (detached) {
              // The output loop's read is cancelled by the close; it then closes the client.
              *done = true;
              if (on_detach) on_detach();
              boost::system::error_code ec;
              monitor_sock->close(ec);
              co_return;
            }
          }
          if (*done) co_return;
          // The client closed its side: EOF for the container's stdin (docker run -i); not
          // on a TTY, whose input Docker keeps open for the next attach.
          if (stdin_once && !tty) {
            std::string f = monitor::encode_frame(monitor::FrameType::close_stdin, {});
            boost::system::error_code ec;
            co_await net::async_write(*monitor_sock, net::buffer(f), net::redirect_error(net::use_awaitable, ec));
          }
        },
        net::detached);
  }
  monitor::FrameReader reader;
  char buf[16384];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await monitor_sock->async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    if (ec || n == 0) break;
    reader.feed(std::string_view(buf, n));
    bool ended = false;
    while (auto frame = reader.next()) {
      auto [type, payload] = *frame;
      if (type == monitor::FrameType::exit) {
        ended = true;
        break;
      }
      int stream = type == monitor::FrameType::stderr_data ? api::kStderr : api::kStdout;
      if (stream == api::kStdout && !want_stdout) continue;
      if (stream == api::kStderr && !want_stderr) continue;
      std::string out = tty ? payload : api::frame(stream, payload);  // a local: g++ 12 and temporaries in co_await
      bool ok = co_await client.write(out);
      if (!ok) {
        ended = true;
        break;
      }
    }
    if (ended) break;
  }
  *done = true;
  boost::system::error_code ec;
  monitor_sock->close(ec);
  client.shutdown_send();
  client.close();
}

net::awaitable<void> write_log_records(Responder& res, const std::vector<supervise::LogRecord>& records, bool tty,
                                       bool want_stdout, bool want_stderr, bool timestamps, bool& alive) {
  std::string out;
  for (const auto& rec : records) {
    bool is_err = rec.stream == "stderr";
    if ((is_err && !want_stderr) || (!is_err && !want_stdout)) continue;
    std::string line = timestamps ? supervise::format_with_timestamp(rec) : rec.log;
    out += tty ? line : api::frame(is_err ? api::kStderr : api::kStdout, line);
    if (out.size() > 64 * 1024) {
      alive = co_await res.write(out);
      out.clear();
      if (!alive) co_return;
    }
  }
  if (!out.empty()) alive = co_await res.write(out);
}

// `size=1` (docker ps -s, docker inspect -s): the rw layer's size, and with the image's
// (`images`: the image list's sizes, read once per request). Docker leaves SizeRw out
// when it is 0 in a list, keeps it in an inspect.
using ImageSizes = std::map<std::string, uint64_t>;
ImageSizes image_sizes(ContainerService& svc) {
  ImageSizes out;
  if (auto images = svc.images().list())
    for (const auto& s : *images) out[s.id] = s.size;
  return out;
}
void add_sizes(ContainerService& svc, nlohmann::ordered_json& j, const ImageSizes& images, const std::string& image_id) {
  uint64_t rw = image::tree_size(svc.paths().root + "/containers/" + j.value("Id", "") + "/rootfs/upper");
  auto it = images.find(image_id);
  if (rw > 0 || j.contains("State")) j["SizeRw"] = rw;
  j["SizeRootFs"] = rw + (it == images.end() ? 0 : it->second);
}

}  // namespace

void add_container_routes(api::Router& router, ContainerService& svc) {
  router.add("POST", "/containers/create", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    nlohmann::json body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (body.is_discarded()) {
      co_await res.error(400, "invalid JSON: the request body is not valid JSON");
      co_return;
    }
    auto created = svc.create(body, req.query_value("name").value_or(""));
    if (!created) {
      co_await res.error(created.error());
      co_return;
    }
    nlohmann::ordered_json j;
    j["Id"] = created->id;
    j["Warnings"] = created->warnings;
    co_await res.json(201, j);
  });

  router.add("GET", "/containers/json", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto filters = api::parse_filters(req.query_value("filters").value_or(""));
    if (!filters) {
      co_await res.error(filters.error());
      co_return;
    }
    auto limit = req.query_int("limit", -1);
    if (!limit) {
      co_await res.error(limit.error());
      co_return;
    }
    auto list = svc.list(req.query_bool("all"), static_cast<int>(*limit), *filters);
    if (!list) {
      co_await res.error(list.error());
      co_return;
    }
    if (req.query_bool("size")) {
      auto images = image_sizes(svc);
      for (auto& item : *list) add_sizes(svc, item, images, item.value("ImageID", ""));
    }
    co_await res.json(200, *list);
  });

  router.add("GET", "/containers/{id}/json", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto j = svc.inspect(req.params["id"]);
    if (!j) {
      co_await res.error(j.error());
      co_return;
    }
    if (req.query_bool("size")) add_sizes(svc, *j, image_sizes(svc), j->value("Image", ""));
    co_await res.json(200, *j);
  });

  router.add("POST", "/containers/{id}/start", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    co_await send_result(res, svc.start(req.params["id"]));
  });

  router.add("POST", "/containers/{id}/stop", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto sig = req.query_value("signal");
    std::optional<std::string> signal = sig && !sig->empty() ? sig : std::nullopt;
    std::optional<int> t = optional_int(req, "t");
    auto op = svc.stop(req.params["id"], t, signal);
    auto r = co_await std::move(op);
    co_await send_result(res, r);
  });

  router.add("POST", "/containers/{id}/restart", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto sig = req.query_value("signal");
    std::optional<std::string> signal = sig && !sig->empty() ? sig : std::nullopt;
    std::optional<int> t = optional_int(req, "t");
    auto op = svc.restart(req.params["id"], t, signal);
    auto r = co_await std::move(op);
    co_await send_result(res, r);
  });

  router.add("POST", "/containers/{id}/kill", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto op = svc.kill(req.params["id"], req.query_value("signal").value_or(""));
    auto killed = co_await std::move(op);
    co_await send_result(res, killed);
  });

  router.add("POST", "/containers/{id}/pause", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    co_await send_result(res, svc.pause(req.params["id"]));
  });
  router.add("POST", "/containers/{id}/unpause", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    co_await send_result(res, svc.unpause(req.params["id"]));
  });

  router.add("POST", "/containers/{id}/rename", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    co_await send_result(res, svc.rename(req.params["id"], req.query_value("name").value_or("")));
  });

  router.add("POST", "/containers/{id}/resize", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto h = req.query_int("h", 0);
    auto w = req.query_int("w", 0);
    if (!h || !w) {
      co_await res.error(400, "Bad parameters: invalid terminal size");
      co_return;
    }
    co_await send_result(res, svc.resize(req.params["id"], static_cast<int>(*h), static_cast<int>(*w)), 200);
  });

  router.add("DELETE", "/containers/{id}", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto r = co_await svc.remove(req.params["id"], req.query_bool("force"));
    co_await send_result(res, r);
  });

  router.add("POST", "/containers/{id}/wait", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    const std::string condition = req.query_value("condition").value_or("");
    if (!condition.empty() && condition != "not-running" && condition != "next-exit" && condition != "removed") {
      std::string message = "invalid condition: \"" + condition + "\"";
      co_await res.error(400, message);
      co_return;
    }
    auto found = svc.find(req.params["id"]);
    if (!found) {
      co_await res.error(found.error());
      co_return;
    }
    // Docker flushes the 200 and its headers at once; the body comes at the exit.
    co_await res.start_stream(200, "application/json");
    using namespace net::experimental::awaitable_operators;
    auto waiting = svc.wait(req.params["id"], condition) || res.client_closed();
    auto outcome = co_await std::move(waiting);
    if (outcome.index() == 1) co_return;  // the client is gone
    auto code = std::get<0>(std::move(outcome));
    nlohmann::ordered_json j;
    j["Error"] = code ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json{{"Message", code.error().message}};
    j["StatusCode"] = code ? *code : -1;
    std::string text = j.dump() + "\n";
    co_await res.write(text);
    co_await res.finish();
  });

  router.add("GET", "/containers/{id}/top", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto j = svc.top(req.params["id"], req.query_value("ps_args").value_or(""));
    if (!j) {
      co_await res.error(j.error());
      co_return;
    }
    co_await res.json(200, *j);
  });

  router.add("GET", "/containers/{id}/stats", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    const std::string id = req.params["id"];
    auto first = svc.stats(id);
    if (!first) {
      co_await res.error(first.error());
      co_return;
    }
    if (!req.query_bool("stream", true) || req.query_bool("one-shot")) {
      co_await res.json(200, *first);
      co_return;
    }
    co_await res.start_stream(200, "application/json");
    auto ex = co_await net::this_coro::executor;
    for (;;) {
      auto s = svc.stats(id);
      if (!s) break;
      std::string text = s->dump() + "\n";
      if (!co_await res.write(text)) co_return;
      net::steady_timer t(ex, std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    co_await res.finish();
  });

  router.add("GET", "/containers/{id}/logs", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto found = svc.find(req.params["id"]);
    if (!found) {
      co_await res.error(found.error());
      co_return;
    }
    auto e = *found;
    const bool want_stdout = req.query_bool("stdout"), want_stderr = req.query_bool("stderr");
    if (!want_stdout && !want_stderr) {
      co_await res.error(400, "Bad parameters: you must choose at least one stream");
      co_return;
    }
    if (e->record.log_path.empty()) {
      co_await res.error(501, "configured logging driver does not support reading");
      co_return;
    }
    supervise::LogReadOptions opts;
    auto tail = req.query_value("tail").value_or("all");
    if (tail != "all" && !tail.empty()) {
      try {
        long long n = std::stoll(tail);
        if (n >= 0) opts.tail = static_cast<std::size_t>(n);
      } catch (...) {
      }
    }
    const int64_t now = now_nano();
    for (const char* key : {"since", "until"}) {
      auto v = req.query_value(key);
      if (!v || v->empty() || *v == "0") continue;
      auto t = parse_event_time(*v, now);
      if (!t) {
        co_await res.error(t.error());
        co_return;
      }
      supervise::LogTime lt{std::chrono::nanoseconds(*t)};
      (std::string_view(key) == "since" ? opts.since : opts.until) = lt;
    }
    const bool tty = e->record.config.tty;
    const bool timestamps = req.query_bool("timestamps");
    const bool follow = req.query_bool("follow");
    co_await res.start_stream(200, tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
    auto read = supervise::read_json_log(e->record.log_path, opts);
    if (!read) {
      // No file yet: nothing logged.
      read = supervise::LogReadResult{};
    }
    bool alive = true;
    co_await write_log_records(res, read->records, tty, want_stdout, want_stderr, timestamps, alive);
    auto position = read->end;
    if (follow && alive && !opts.until) {
      auto ex = co_await net::this_coro::executor;
      opts.tail.reset();
      for (;;) {
        const bool running = e->record.state.running && !e->removed_done;
        auto more = supervise::read_json_log_from(e->record.log_path, position, opts);
        if (more) {
          co_await write_log_records(res, more->records, tty, want_stdout, want_stderr, timestamps, alive);
          if (!alive) co_return;
          position = more->end;
        }
        if (!running) break;
        using namespace net::experimental::awaitable_operators;
        auto waiting = e->exited.wait(ex, std::chrono::milliseconds(100)) || res.client_closed();
        auto woke = co_await std::move(waiting);
        if (woke.index() == 1) co_return;
      }
    }
    co_await res.finish();
  });

  router.add("POST", "/containers/{id}/attach", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto found = svc.find(req.params["id"]);
    if (!found) {
      // Docker answers an attach to an unknown container as a raw stream with the text.
      std::string text = found.error().message + "\r\n";
      co_await res.raw(api::status_for(found.error()), "application/vnd.docker.raw-stream", text);
      co_return;
    }
    auto e = *found;
    const bool want_stdin = req.query_bool("stdin") && e->record.config.open_stdin;
    std::string keys_text = req.query_value("detachKeys").value_or("");
    auto detach_keys = api::parse_detach_keys(keys_text.empty() ? api::kDefaultDetachKeys : keys_text);
    if (!detach_keys) {
      co_await res.error(detach_keys.error());
      co_return;
    }
    const bool want_stdout = req.query_bool("stdout"), want_stderr = req.query_bool("stderr");
    const bool tty = e->record.config.tty;
    auto client = co_await res.hijack(tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
    if (req.query_bool("logs") && !e->record.log_path.empty()) {
      if (auto read = supervise::read_json_log(e->record.log_path, {})) {
        for (const auto& rec : read->records) {
          bool is_err = rec.stream == "stderr";
          if ((is_err && !want_stderr) || (!is_err && !want_stdout)) continue;
          std::string out = tty ? rec.log : api::frame(is_err ? api::kStderr : api::kStdout, rec.log);
          if (!co_await client.write(out)) co_return;
        }
      }
    }
    if (!req.query_bool("stream", false)) {
      client.shutdown_send();
      client.close();
      co_return;
    }
    // Docker logs the attach when it is asked for: `docker run` attaches before it starts.
    svc.publish(*e, "attach");
    auto sock = co_await svc.attach_socket(e);
    if (!sock) {
      std::string out = api::frame(api::kSystemErr, sock.error().message);
      co_await client.write(out);
      client.close();
      co_return;
    }
    auto on_detach = [&svc, e] { svc.publish(*e, "detach"); };
    auto relay = relay_attach(*sock, client, tty, want_stdin, want_stdout, want_stderr, e->record.config.stdin_once,
                              *detach_keys, on_detach);
    co_await std::move(relay);
  });

  router.add("POST", "/containers/prune", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto filters = api::parse_filters(req.query_value("filters").value_or(""));
    if (!filters) {
      co_await res.error(filters.error());
      co_return;
    }
    auto list = svc.list(true, -1, {{"status", {"exited", "created", "dead"}}});
    nlohmann::ordered_json deleted = nlohmann::ordered_json::array();
    if (list) {
      for (const auto& c : *list) {
        std::string id = c["Id"].get<std::string>();
        if (co_await svc.remove(id, false)) deleted.push_back(id);
      }
    }
    nlohmann::ordered_json j;
    j["ContainersDeleted"] = deleted.empty() ? nlohmann::ordered_json(nullptr) : deleted;
    j["SpaceReclaimed"] = 0;
    co_await res.json(200, j);
  });
}

}  // namespace stack::daemon
