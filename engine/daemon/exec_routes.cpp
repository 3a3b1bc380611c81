// POST /containers/{id}/exec, POST /exec/{id}/start (hijacked), GET /exec/{id}/json.
// The process runs through runtime::exec_container on its own thread (exec_thread.h);
// its stdio are pipes the io thread relays to the client, or with a TTY a terminal made
// inside the container whose master the runtime hands over (ExecOptions::on_console).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>

#include "common/files.h"
#include "common/unique_fd.h"
#include "engine/api/detach_keys.h"
#include "engine/api/stdcopy.h"
#include "engine/container/spec_builder.h"
#include "engine/daemon/container_routes.h"
#include "engine/daemon/exec_thread.h"
#include "engine/runtime/process_setup.h"

namespace stack::daemon {

namespace {

using api::Request;
using api::Responder;

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// "user", "uid", "user:group", "uid:gid", resolved in the container's /etc/passwd and
// /etc/group as Docker does.
Result<void> apply_user(runtime::ExecOptions& o, const std::string& user, const std::string& rootfs) {
  if (user.empty()) return {};
  auto resolved = container::resolve_user(rootfs, user);
  if (!resolved) return std::unexpected(resolved.error());
  o.uid = resolved->uid;
  o.gid = resolved->gid;
  o.additional_gids = resolved->additional_gids;
  return {};
}

// Writes to the hijacked client one at a time: stdout and stderr pumps share it, and two
// writes in flight on one socket would interleave.
struct SerialWriter {
  api::Hijacked client;
  bool busy = false;
  bool ok = true;
  Notifier idle;

  net::awaitable<bool> write(std::string data) {
    auto ex = co_await net::this_coro::executor;
    while (busy) co_await idle.wait(ex);
    if (!ok) co_return false;
    busy = true;
    ok = co_await client.write(data);
    busy = false;
    idle.notify_all();
    co_return ok;
  }
};

// One output pipe of the exec'd process to the client (framed unless a TTY); a stream
// the client did not attach (AttachStdout/AttachStderr false) is drained, not sent.
// Parameters by value: they live in the coroutine frame.
net::awaitable<void> pump_output(UniqueFd fd, int stream, std::shared_ptr<SerialWriter> writer, bool tty,
                                 std::shared_ptr<int> left, std::shared_ptr<Notifier> done, bool wanted = true) {
  auto ex = co_await net::this_coro::executor;
  net::posix::stream_descriptor d(ex, fd.release());
  char buf[16384];
  bool client_ok = wanted && writer->client.valid();
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await d.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    if (ec || n == 0) break;
    if (!client_ok) continue;
    std::string out = tty ? std::string(buf, n) : api::frame(stream, std::string_view(buf, n));
    client_ok = co_await writer->write(std::move(out));
  }
  if (--*left == 0) done->notify_all();
}

void set_winsize(int fd, const runtime::ConsoleSize& size) {
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(size.height);
  ws.ws_col = static_cast<unsigned short>(size.width);
  ::ioctl(fd, TIOCSWINSZ, &ws);
}

// The client's bytes to the process's stdin (a pipe, or the terminal's master), until
// the client half-closes; then the pipe is closed (EOF), as Docker does. On a terminal
// the detach keys end the client's session; the process goes on.
net::awaitable<void> pump_stdin(api::Hijacked client, UniqueFd fd, std::string detach_keys) {
  auto ex = co_await net::this_coro::executor;
  net::posix::stream_descriptor d(ex, fd.release());
  api::DetachFilter detach(std::move(detach_keys));
  char buf[8192];
  for (;;) {
    std::size_t n = co_await client.read_some(net::buffer(buf));
    if (n == 0) break;
    std::string input;
    const bool detached = detach.feed(std::string_view(buf, n), input);
    boost::system::error_code ec;
    if (!input.empty()) co_await net::async_write(d, net::buffer(input), net::redirect_error(net::use_awaitable, ec));
    if (detached) {
      client.shutdown_send();
      client.close();
      break;
    }
    if (ec) break;
  }
}

}  // namespace

void add_exec_routes(api::Router& router, ContainerService& svc) {
  router.add("POST", "/containers/{id}/exec", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    nlohmann::json body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (body.is_discarded()) {
      co_await res.error(400, "invalid JSON: the request body is not valid JSON");
      co_return;
    }
    auto id = svc.exec_create(req.params["id"], body);
    if (!id) {
      co_await res.error(id.error());
      co_return;
    }
    nlohmann::ordered_json j;
    j["Id"] = *id;
    co_await res.json(201, j);
  });

  router.add("GET", "/exec/{id}/json", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto x = svc.find_exec(req.params["id"]);
    if (!x) {
      co_await res.error(x.error());
      co_return;
    }
    auto body = svc.exec_inspect(**x);
    co_await res.json(200, body);
  });

  router.add("POST", "/exec/{id}/resize", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto x = svc.find_exec(req.params["id"]);
    if (!x) {
      co_await res.error(x.error());
      co_return;
    }
    auto h = req.query_int("h", 0), w = req.query_int("w", 0);
    if (!h || !w) {
      co_await res.error(!h ? h.error() : w.error());
      co_return;
    }
    auto& e = **x;
    e.console_size = runtime::ConsoleSize{static_cast<unsigned>(*h), static_cast<unsigned>(*w)};
    if (e.console) set_winsize(e.console.get(), *e.console_size);
    co_await res.empty(200);
  });

  router.add("POST", "/exec/{id}/start", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto found = svc.find_exec(req.params["id"]);
    if (!found) {
      co_await res.error(found.error());
      co_return;
    }
    auto x = *found;
    nlohmann::json body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (body.is_discarded()) {
      co_await res.error(400, "invalid JSON: the request body is not valid JSON");
      co_return;
    }
    const bool detach = body.is_object() && body.value("Detach", false);
    if (const auto* cs = body.is_object() && body.contains("ConsoleSize") ? &body["ConsoleSize"] : nullptr;
        cs && cs->is_array() && cs->size() == 2 && (*cs)[0].is_number_unsigned() && (*cs)[1].is_number_unsigned() &&
        (*cs)[0].get<unsigned>() > 0)
      (*found)->console_size = runtime::ConsoleSize{(*cs)[0].get<unsigned>(), (*cs)[1].get<unsigned>()};
    if (x->started) {
      std::string message = "Error: Exec command " + x->id + " is already running";
      co_await res.error(409, message);
      co_return;
    }
    auto container = svc.exec_container_of(*x);
    if (!container) {
      co_await res.error(container.error());
      co_return;
    }
    auto c = *container;
    if (!c->record.state.running || c->record.state.restarting) {
      std::string message = "Container " + c->record.id + " is not running";
      co_await res.error(409, message);
      co_return;
    }
    if (c->record.state.paused) {
      std::string message = "Container " + c->record.id + " is paused, unpause the container before exec";
      co_await res.error(409, message);
      co_return;
    }
    runtime::ExecOptions o;
    o.root = svc.paths().runtime_root;
    o.id = c->record.id;
    o.args = x->cmd;
    o.env = x->env;
    o.cwd = x->working_dir;
    const std::string rootfs = svc.paths().root + "/containers/" + c->record.id + "/rootfs/merged";
    if (auto u = apply_user(o, x->user, rootfs); !u) {
      // As Docker: the exec starts and fails (exit code 126), the message on the stream.
      x->started = true;
      x->exit_code = 126;
      // Docker 20.10 (runc 1.1) writes the bare message to the exec's stdout.
      std::string message = u.error().message + "\r\n";
      if (detach) {
        co_await res.error(u.error());
        co_return;
      }
      auto failed = co_await res.hijack(x->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
      std::string out = x->tty ? message : api::frame(api::kStdout, message);
      co_await failed.write(out);
      failed.shutdown_send();
      failed.close();
      x->finished.notify_all();
      co_return;
    }
    if (x->privileged) o.caps = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_RAWIO"};
    // A detached tty exec has no one to read its terminal: it gets the pipes.
    const bool tty = x->tty && !detach;
    Result<Pipe> in = Pipe{}, out = Pipe{}, err = Pipe{};  // only without a terminal
    if (!tty) {
      in = make_pipe();
      out = make_pipe();
      err = make_pipe();
      if (!in || !out || !err) {
        co_await res.error(500, "creating the exec's pipes failed");
        co_return;
      }
    }
    if (tty) {
      o.tty = true;  // the runtime makes the terminal; stdio stay unset
      // Sized from its first moment when the client said how (ConsoleSize, or a resize
      // that came first): a command that asks at once must not see 0x0.
      o.console_size = x->console_size;
    } else {
      o.stdio[0] = x->attach_stdin && !detach ? in->read.release() : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      o.stdio[1] = out->write.release();
      o.stdio[2] = x->tty ? ::fcntl(o.stdio[1], F_DUPFD_CLOEXEC, 0) : err->write.release();
    }
    const std::string pid_file = svc.paths().run + "/containers/" + c->record.id + "/exec-" + x->id + ".pid";
    o.pid_file = pid_file;
    x->started = true;
    x->running = true;
    svc.publish(*c, "exec_start: " + [&] {
      std::string s;
      for (const auto& a : x->cmd) s += (s.empty() ? "" : " ") + a;
      return s;
    }());
    auto ex = co_await net::this_coro::executor;

    api::Hijacked client;
    if (!detach) client = co_await res.hijack(tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");

    // Output readers: each pipe to the client (framed unless a TTY).
    auto pumps_left = std::make_shared<int>(tty ? 0 : x->tty ? 1 : 2);
    auto pumps_done = std::make_shared<Notifier>();
    auto writer = std::make_shared<SerialWriter>();
    writer->client = client;
    const bool want_stdin = x->attach_stdin && !detach;
    if (tty) {
      // The terminal's master arrives on the exec thread once the process runs; from
      // then on the io thread relays it both ways (raw bytes) and sizes it.
      o.on_console = [ex, x, writer, client, pumps_left, pumps_done, want_stdin](UniqueFd master) {
        net::post(ex, [ex, x, writer, client, pumps_left, pumps_done, want_stdin, fd = master.release()] {
          UniqueFd m(fd);
          x->console.reset(::fcntl(m.get(), F_DUPFD_CLOEXEC, 0));
          if (x->console_size) set_winsize(m.get(), *x->console_size);
          if (want_stdin) {
            auto keys = api::parse_detach_keys(x->detach_keys.empty() ? api::kDefaultDetachKeys : x->detach_keys);
            net::co_spawn(ex, pump_stdin(client, UniqueFd(::fcntl(m.get(), F_DUPFD_CLOEXEC, 0)), keys.value_or("")),
                          net::detached);
          }
          ++*pumps_left;
          net::co_spawn(ex, pump_output(std::move(m), api::kStdout, writer, true, pumps_left, pumps_done), net::detached);
        });
      };
    } else {
      net::co_spawn(ex, pump_output(std::move(out->read), api::kStdout, writer, x->tty, pumps_left, pumps_done,
                                    x->tty || x->attach_stdout),
                    net::detached);
      if (!x->tty)
        net::co_spawn(ex, pump_output(std::move(err->read), api::kStderr, writer, false, pumps_left, pumps_done, x->attach_stderr),
                      net::detached);
      if (want_stdin) net::co_spawn(ex, pump_stdin(client, std::move(in->write), std::string()), net::detached);
    }

    // The pid appears once the process runs: read it for inspect.
    net::co_spawn(
        ex,
        [x, pid_file, ex]() -> net::awaitable<void> {
          for (int i = 0; i < 200 && x->running && x->pid == 0; ++i) {
            if (auto text = read_file(pid_file)) x->pid = std::atoi(text->c_str());
            if (x->pid) break;
            net::steady_timer t(ex, std::chrono::milliseconds(5));
            boost::system::error_code ec;
            co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
          }
        },
        net::detached);

    if (detach) co_await res.empty(200);
    auto exec_op = async_exec(ex, std::move(o), net::use_awaitable);
    Result<int> status = co_await std::move(exec_op);
    ::unlink(pid_file.c_str());
    if (!status) {
      x->exit_code = 126;  // Docker: any exec that could not start (moby daemon/exec.go)
      if (client.valid()) {
        std::string msg = "OCI runtime exec failed: " + status.error().message + ": unknown\r\n";
        std::string out = tty ? msg : api::frame(api::kStdout, msg);
        co_await writer->write(std::move(out));
      }
    } else {
      x->exit_code = *status;
    }
    // Drain what the process wrote before it exited (its pipe ends are closed now).
    // Bounded: a background process left in the container may hold the pipes open.
    for (int i = 0; i < 4 && *pumps_left > 0; ++i) co_await pumps_done->wait(ex, std::chrono::milliseconds(500));
    x->console.reset();
    x->running = false;
    x->finished.notify_all();
    svc.publish(*c, "exec_die", {{"execID", x->id}, {"exitCode", std::to_string(*x->exit_code)}});
    if (client.valid()) {
      client.shutdown_send();
      client.close();
    }
  });
}

}  // namespace stack::daemon
