#include "engine/daemon/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <filesystem>

#include "common/files.h"
#include "common/unique_fd.h"
#include "engine/api/server.h"
#include "engine/container/names.h"
#include "engine/container/store.h"
#include "engine/daemon/absent_routes.h"
#include "engine/daemon/changes_routes.h"
#include "engine/daemon/archive_routes.h"
#include "engine/daemon/container_routes.h"
#include "engine/daemon/container_service.h"
#include "engine/daemon/events.h"
#if __has_include("engine/daemon/image_routes.h")
#include "engine/daemon/image_routes.h"
#define STACK_HAVE_IMAGE_ROUTES 1
#endif
#include "engine/daemon/system_routes.h"
#include "engine/image/store.h"
#include "engine/runtime/docker_defaults.h"
#include "engine/runtime/seccomp.h"

namespace stack::daemon {

namespace fs = std::filesystem;

namespace {

// One daemon per run dir: an exclusive flock on <run>/stack.pid, held for its lifetime.
Result<UniqueFd> lock_pid_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return fail_errno("open " + path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    std::string other = read_file(path).value_or("");
    while (!other.empty() && (other.back() == '\n')) other.pop_back();
    return fail("another stack daemon is running with this run dir (pid " + other + ", " + path + ")", EBUSY);
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) return fail_errno("write " + path);
  return fd;
}

Result<std::string> engine_id(const std::string& root) {
  const std::string path = root + "/engine-id";
  if (auto text = read_file(path); text && !text->empty()) {
    std::string id = *text;
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }
  std::string id = container::generate_id();
  if (auto w = write_file_atomic(path, id + "\n"); !w) return std::unexpected(w.error());
  return id;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

Result<void> run_daemon(const DaemonOptions& options) {
  std::error_code ec;
  for (const auto& dir : {options.root, options.run, options.run + "/runtime", options.run + "/containers"}) {
    fs::create_directories(dir, ec);
    if (ec) return fail("creating " + dir + ": " + ec.message(), ec.value());
  }
  ::chmod(options.root.c_str(), 0711);
  auto pid_lock = lock_pid_file(options.run + "/stack.pid");
  if (!pid_lock) return std::unexpected(pid_lock.error());
  auto id = engine_id(options.root);
  if (!id) return std::unexpected(id.error());

  // Compiling Docker's seccomp profile costs 8-17 ms; do it once now, so every container
  // start (forked from this process) finds it in the runtime's cache. Here, before any
  // fork, not on a thread: a child forked while another thread held the cache's mutex
  // would wait for it forever.
  {
    auto profile = runtime::docker_default_seccomp_for(runtime::docker_default_capabilities());
    (void)runtime::compile_seccomp(profile);
  }

  auto images = image::Store::open(options.root);
  if (!images) return std::unexpected(images.error());
  auto containers = container::Store::open(options.root);
  if (!containers) return std::unexpected(containers.error());

  boost::asio::io_context io(1);
  boost::asio::thread_pool pool(2);
  EventBus events;
  DaemonPaths paths;
  paths.root = options.root;
  paths.run = options.run;
  paths.runtime_root = options.run + "/runtime";
  paths.monitor_binary = options.monitor_binary;
  ContainerService service(io, *images, std::move(*containers), events, paths);
  if (auto r = service.restore(); !r) return std::unexpected(r.error().wrapped("restoring containers"));

  api::Router router;
  add_system_routes(router, service, SystemInfo{*id, options.root, hostname()});
  add_container_routes(router, service);
  add_exec_routes(router, service);
  add_absent_object_routes(router);
  add_changes_routes(router, service, pool);
  add_archive_routes(router, service, pool);
#ifdef STACK_HAVE_IMAGE_ROUTES
  add_image_routes(router, *images, pool, [&events](std::string type, std::string action, std::string oid,
                                                     std::map<std::string, std::string> attributes) {
    events.publish(Event{std::move(type), std::move(action), std::move(oid), std::move(attributes), 0});
  }, [&service](const std::string& image_id) { return service.image_user(image_id); });
#endif

  api::ServerOptions server_options;
  server_options.socket_path = options.socket_path.empty() ? options.run + "/stack.sock" : options.socket_path;
  api::Server server(io, std::move(router), server_options);
  if (auto l = server.listen(); !l) return std::unexpected(l.error());
  spdlog::info("stack daemon {} listening on {} (root {}, run {})", ::getpid(), server_options.socket_path, options.root,
               options.run);

  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& err, int sig) {
    if (err) return;
    spdlog::info("signal {}: stopping the daemon; containers keep running", sig);
    server.stop();
    io.stop();
  });
  io.run();
  pool.stop();
  pool.join();
  return {};
}

}  // namespace stack::daemon
