#include "engine/daemon/archive_routes.h"

#include <sys/socket.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <vector>

#include "engine/api/run_blocking.h"
#include "engine/container/archive_path.h"
#include "engine/daemon/archive.h"

namespace stack::daemon {

namespace {

using api::Request;
using api::Responder;

// Docker's answer for a missing or empty ?path= (httputils.ArchiveFormValues: its
// badParameterError has no space before "cannot").
constexpr std::string_view kPathEmpty = "bad parameter: pathcannot be empty";

struct Failure {
  int status;
  std::string message;
};

// Docker's status and text for a failed lookup of `requested` in container `ref`.
Failure lookup_failure(const Error& e, const std::string& requested, const std::string& ref, const std::string& abs) {
  if (e.errno_value == ENOENT) return {404, "Could not find the file " + requested + " in container " + ref};
  if (e.errno_value == ENOTDIR) return {500, "lstat " + abs + ": not a directory"};
  return {500, e.to_string()};
}

// Runs `produce(fd)` on the pool, writing into one end of a socket pair, and streams
// what it writes as the response body. A client that goes away closes our end: the
// producer's next write fails (EPIPE, no signal) and it stops.
net::awaitable<void> stream_produced(Responder& res, net::thread_pool& pool, std::string_view content_type,
                                     std::function<Result<void>(int)> produce) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    std::string message = Error{"socketpair for the tar stream", errno}.to_string();
    co_await res.error(500, message);
    co_return;
  }
  ::shutdown(fds[0], SHUT_WR);
  // The producer's sends time out every second to ask whether the daemon is stopping: a
  // client that stalls must not hold the pool (and the daemon's exit) forever.
  struct timeval tick{1, 0};
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDTIMEO, &tick, sizeof tick);
  auto write_end = std::make_shared<UniqueFd>(fds[1]);
  net::posix::stream_descriptor reader(res.executor(), fds[0]);
  net::post(pool, [write_end, produce = std::move(produce)] {
    if (auto r = produce(write_end->get()); !r) spdlog::warn("tar stream: {}", r.error().to_string());
    write_end->reset();
  });
  co_await res.start_stream(200, content_type);
  std::vector<char> buf(1 << 16);
  for (;;) {
    boost::system::error_code ec;
    auto op = reader.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    std::size_t n = co_await std::move(op);
    if (ec || n == 0) break;
    if (!co_await res.write(std::string_view(buf.data(), n))) co_return;  // reader closes on return
  }
  co_await res.finish();
}

// Stats ?path= in the leased rootfs; on success the stat, else the reply is sent.
struct Stated {
  RootfsLease lease;
  container::ArchivePath path;
  container::PathStat stat;
};

net::awaitable<std::optional<Stated>> stat_request(Request& req, Responder& res, ContainerService& service,
                                                   net::thread_pool& pool) {
  std::string ref = req.params["id"];
  std::string requested = req.query_value("path").value_or("");
  if (requested.empty()) {
    co_await res.error(400, kPathEmpty);
    co_return std::nullopt;
  }
  auto lease = service.lease_rootfs(ref);
  if (!lease) {
    co_await res.error(lease.error());
    co_return std::nullopt;
  }
  auto path = container::parse_archive_path(requested);
  if (!path) {
    co_await res.error(path.error());
    co_return std::nullopt;
  }
  std::string merged = lease->merged;
  container::ArchivePath p = *path;
  auto stat = co_await api::run_blocking(pool, [&]() -> Result<container::PathStat> {
    auto root = open_root(merged);
    if (!root) return std::unexpected(root.error());
    return stat_in_root(root->get(), p);
  });
  if (!stat) {
    Failure f = lookup_failure(stat.error(), requested, ref, p.abs);
    co_await res.error(f.status, f.message);
    co_return std::nullopt;
  }
  co_return Stated{std::move(*lease), std::move(p), std::move(*stat)};
}

void publish(ContainerService& service, const std::string& ref, const std::string& action) {
  if (auto e = service.find(ref)) service.publish(**e, action);
}

}  // namespace

void add_archive_routes(api::Router& router, ContainerService& service, net::thread_pool& pool) {
  router.add("HEAD", "/containers/{id}/archive", [&service, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    auto op = stat_request(req, res, service, pool);
    auto stated = co_await std::move(op);
    if (!stated) co_return;
    res.set_header("X-Docker-Container-Path-Stat", container::stat_header(stated->stat));
    co_await res.empty(200);
  });

  router.add("GET", "/containers/{id}/archive", [&service, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    auto op = stat_request(req, res, service, pool);
    auto stated = co_await std::move(op);
    if (!stated) co_return;
    res.set_header("X-Docker-Container-Path-Stat", container::stat_header(stated->stat));
    publish(service, req.params["id"], "archive-path");
    auto produce = [lease = stated->lease, path = stated->path, &io = service.io()](int out) -> Result<void> {
      auto root = open_root(lease.merged);
      if (!root) return std::unexpected(root.error());
      return write_path_tar(root->get(), path, out, std::nullopt, [&io] { return io.stopped(); });
    };
    std::function<Result<void>(int)> fn = std::move(produce);
    auto streamed = stream_produced(res, pool, "application/x-tar", std::move(fn));
    co_await std::move(streamed);
  });

  router.add("PUT", "/containers/{id}/archive", [&service, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    std::string ref = req.params["id"];
    std::string requested = req.query_value("path").value_or("");
    if (requested.empty()) {
      co_await res.error(400, kPathEmpty);
      co_return;
    }
    auto entry = service.find(ref);
    if (!entry) {
      co_await res.error(entry.error());
      co_return;
    }
    auto lease = service.lease_rootfs(ref);
    if (!lease) {
      co_await res.error(lease.error());
      co_return;
    }
    auto path = container::parse_archive_path(requested);
    if (!path) {
      co_await res.error(path.error());
      co_return;
    }
    bool read_only = (*entry)->record.host_config.readonly_rootfs;
    std::string user = req.query_bool("copyUIDGID") ? (*entry)->record.config.user : "";
    ExtractOptions o;
    o.no_overwrite_dir_non_dir = req.query_bool("noOverwriteDirNonDir");
    o.display_dir = path->abs;
    std::string merged = lease->merged, abs = path->abs;
    std::string body = std::move(req.body);
    auto done = co_await api::run_blocking(pool, [&]() -> Result<void> {
      auto root = open_root(merged);
      if (!root) return std::unexpected(root.error());
      auto dir = open_extract_dir(root->get(), abs);
      if (!dir) return std::unexpected(dir.error());
      // Docker's volume check would go here: no volume is mounted in the leased rootfs.
      if (read_only) return fail("container rootfs is marked read-only", EROFS);
      if (!user.empty()) {
        auto passwd = read_file_in_root(root->get(), "/etc/passwd");
        auto group = read_file_in_root(root->get(), "/etc/group");
        auto ids = container::resolve_user(user, passwd ? *passwd : "", group ? *group : "");
        if (!ids) return std::unexpected(ids.error());
        o.chown = *ids;
      }
      auto x = extract_tar(dir->get(), std::string_view(body), o);
      if (!x) return fail("Error processing tar file(exit status 1): " + x.error().message, EIO);
      return {};
    });
    body.clear();
    if (!done) {
      const Error& e = done.error();
      Failure f = e.errno_value == ENOTDIR && e.message == "extraction point is not a directory" ? Failure{400, e.message}
                  : e.errno_value == EROFS ? Failure{400, e.message}
                  : e.errno_value == EIO   ? Failure{500, e.message}
                                           : lookup_failure(e, requested, ref, abs);
      co_await res.error(f.status, f.message);
      co_return;
    }
    publish(service, ref, "extract-to-dir");
    co_await res.empty(200);
  });

  router.add("GET", "/containers/{id}/export", [&service, &pool](Request& req, Responder& res) -> net::awaitable<void> {
    std::string ref = req.params["id"];
    auto lease = service.lease_rootfs(ref);
    if (!lease) {
      co_await res.error(lease.error());
      co_return;
    }
    publish(service, ref, "export");
    auto produce = [lease = *lease, &io = service.io()](int out) -> Result<void> {
      auto root = open_root(lease.merged);
      if (!root) return std::unexpected(root.error());
      return write_tree_tar(root->get(), out, [&io] { return io.stopped(); });
    };
    std::function<Result<void>(int)> fn = std::move(produce);
    auto op = stream_produced(res, pool, "application/octet-stream", std::move(fn));
    co_await std::move(op);
  });
}

}  // namespace stack::daemon
