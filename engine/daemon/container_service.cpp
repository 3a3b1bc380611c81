#include "engine/daemon/container_service.h"

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <cerrno>
#include <future>
#include <sstream>

#include <boost/asio/post.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "common/socket_path.h"
#include "common/strings.h"
#include "engine/api/detach_keys.h"
#include "engine/container/spec_builder.h"
#include "engine/image/image_config.h"
#include "engine/image/overlay_rootfs.h"
#include "engine/monitor/launch.h"
#include "engine/monitor/protocol.h"
#include "engine/runtime/cgroups.h"
#include "engine/runtime/container.h"
#include "engine/runtime/state.h"
#include "engine/supervise/json_log.h"
#include "engine/daemon/exec_thread.h"
#include "engine/monitor/monitor_client.h"

namespace stack::daemon {

namespace fs = std::filesystem;
using stream_socket = net::local::stream_protocol::socket;

namespace {

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

std::string short_id(const std::string& id) { return id.substr(0, 12); }
std::string bare_name(const std::string& name) { return name.starts_with('/') ? name.substr(1) : name; }

// Connects to a monitor's attach.sock, through /proc/self/fd when the path is too long.
void connect_monitor(stream_socket& sock, const std::string& path, boost::system::error_code& ec) {
  auto usable = usable_socket_path(path);
  if (!usable) {
    ec = boost::system::error_code(usable.error().errno_value, boost::system::system_category());
    return;
  }
  sock.connect(net::local::stream_protocol::endpoint(usable->path), ec);
}

// runc's rule: without HOME in the env, the user's home from the image's /etc/passwd
// (or "/").
void set_home(runtime::Spec& spec, const std::string& rootfs) {
  for (const auto& kv : spec.process.env) {
    if (kv.starts_with("HOME=")) return;
  }
  std::string home = "/";
  if (auto passwd = read_file(rootfs + "/etc/passwd")) {
    for (const auto& line : split(*passwd, '\n')) {
      auto f = split(line, ':');
      if (f.size() >= 6 && f[2] == std::to_string(spec.process.user.uid) && !f[5].empty()) {
        home = f[5];
        break;
      }
    }
  }
  spec.process.env.push_back("HOME=" + home);
}

bool is_mountpoint(const std::string& path) {
  struct stat self {}, parent {};
  if (::stat(path.c_str(), &self) != 0) return false;
  if (::stat((path + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

scheduler::RestartPolicy policy_of(const container::Record& r) {
  auto parsed = scheduler::parse_restart_policy(r.host_config.restart_policy.name);
  scheduler::RestartPolicy p = parsed ? *parsed : scheduler::RestartPolicy{};
  p.max_retries = r.host_config.restart_policy.maximum_retry_count;
  return p;
}

scheduler::Duration ns(int64_t v) { return std::chrono::nanoseconds(v); }

// Reads a probe's output until EOF, keeping a little more than Docker keeps (4 KiB).
net::awaitable<void> read_probe_output(net::posix::stream_descriptor& out, std::string& into) {
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await out.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
    if (ec || n == 0) break;
    if (into.size() < scheduler::kHealthMaxOutputLen + 1) into.append(buf, n);
  }
}

}  // namespace

ContainerService::ContainerService(net::io_context& io, image::Store& images, container::Store store, EventBus& events,
                                   DaemonPaths paths)
    : io_(io), images_(images), store_(std::move(store)), events_(events), paths_(std::move(paths)) {}

std::string ContainerService::container_dir(const std::string& id) const { return store_.dir_of(id); }
std::string ContainerService::run_dir(const std::string& id) const { return paths_.run + "/containers/" + id; }

void ContainerService::save(const ContainerEntry& e) {
  if (e.removed_done) return;
  net::post(writer_, [this, record = e.record] {
    if (!is_directory(store_.dir_of(record.id))) return;  // removed since
    if (auto r = store_.save(record); !r) spdlog::error("saving container {}: {}", record.id, r.error().to_string());
  });
}

ContainerService::~ContainerService() { flush_writes(); }

void ContainerService::flush_writes() {
  std::promise<void> done;
  auto future = done.get_future();
  net::post(writer_, [&done] { done.set_value(); });
  future.wait();
}

void ContainerService::publish(const ContainerEntry& e, const std::string& action, std::map<std::string, std::string> extra) {
  Event ev;
  ev.type = "container";
  ev.action = action;
  ev.id = e.record.id;
  for (const auto& [k, v] : e.record.config.labels) ev.attributes[k] = v;
  ev.attributes["image"] = e.record.config.image;
  ev.attributes["name"] = bare_name(e.record.name);
  for (auto& [k, v] : extra) ev.attributes[k] = std::move(v);
  events_.publish(std::move(ev));
}

Result<std::shared_ptr<ContainerEntry>> ContainerService::find(const std::string& ref) {
  auto id = index_.resolve(ref);
  if (!id) return std::unexpected(id.error());
  auto it = entries_.find(*id);
  if (it == entries_.end()) return fail("No such container: " + ref, ENOENT);
  return it->second;
}

std::size_t ContainerService::count_in(std::string_view status) const {
  std::size_t n = 0;
  for (const auto& [_, e] : entries_) {
    const auto& st = e->record.state;
    std::string_view s = st.paused ? "paused" : st.running ? "running" : "stopped";
    if (s == status) ++n;
  }
  return n;
}

std::optional<ImageUser> ContainerService::image_user(const std::string& image_id) const {
  std::optional<ImageUser> found;
  for (const auto& [id, e] : entries_) {
    if (e->record.image_id != image_id) continue;
    bool running = e->record.state.running;
    if (!found || (running && !found->running)) found = ImageUser{id, running};
  }
  return found;
}

// ---- create ----

Result<ContainerService::Created> ContainerService::create(const nlohmann::json& body, const std::string& name) {
  if (!body.is_object()) return fail("invalid JSON: the request body must be an object", EINVAL);
  std::string image_ref;
  if (auto it = body.find("Image"); it != body.end() && it->is_string()) image_ref = it->get<std::string>();
  if (image_ref.empty()) return fail("Config cannot be empty in order to create a container", EINVAL);
  if (!name.empty()) {
    if (auto v = container::validate_name(name); !v) return std::unexpected(v.error());
    std::string full = name.starts_with('/') ? name : "/" + name;
    if (index_.name_taken(full)) {
      auto other = index_.resolve(full);
      return fail("Conflict. The container name \"" + full + "\" is already in use by container \"" +
                      (other ? *other : std::string()) +
                      "\". You have to remove (or rename) that container to be able to reuse that name.",
                  EEXIST);
    }
  }
  auto image_config = images_.config(image_ref);
  if (!image_config) return fail("No such image: " + image_ref, ENOENT);
  auto inspected = images_.inspect(image_ref);
  if (!inspected) return std::unexpected(inspected.error());
  std::string image_id = (*inspected)["Id"].get<std::string>();

  // An empty log driver means the daemon's default, as in Docker (the CLI always sends one).
  nlohmann::json request = body;
  if (auto hc = request.find("HostConfig"); hc != request.end() && hc->is_object()) {
    if (auto lc = hc->find("LogConfig"); lc != hc->end() && lc->is_object()) {
      if (auto type = lc->find("Type"); type == lc->end() || (type->is_string() && type->get<std::string>().empty())) {
        (*lc)["Type"] = "json-file";
      }
    }
  }
  std::string chosen = name;
  if (chosen.empty()) chosen = container::generate_name([this](const std::string& n) { return index_.name_taken("/" + n); });
  auto record = container::record_from_create(request, chosen, *image_config, image_id);
  if (!record) return std::unexpected(record.error());
  container::Record& r = *record;
  const std::string dir = container_dir(r.id);
  container::set_paths(r, paths_.root);
  if (r.host_config.log_config.type == "none") r.log_path.clear();

  // The record is the commit point: a crash before it leaves a directory without a
  // config.v2.json, which Store::load_all removes at the next start.
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("creating " + dir + ": " + ec.message(), ec.value());
  if (auto w = container::write_container_files(r, paths_.host_resolv_conf); !w) {
    fs::remove_all(dir, ec);
    return std::unexpected(w.error());
  }
  if (auto s = store_.save(r); !s) {
    fs::remove_all(dir, ec);
    return std::unexpected(s.error());
  }
  auto entry = std::make_shared<ContainerEntry>();
  entry->record = std::move(r);
  entry->restart = scheduler::RestartManager(policy_of(entry->record), 0);
  index_.add(entry->record.id, entry->record.name);
  entries_[entry->record.id] = entry;
  publish(*entry, "create");
  Created created{entry->record.id, {}};
  return created;
}

// ---- start ----

Result<void> ContainerService::start(const std::string& ref) {
  auto e = find(ref);
  if (!e) return std::unexpected(e.error());
  auto& st = (*e)->record.state;
  if ((*e)->removing) return fail("container is marked for removal and cannot be started", EBUSY);
  if (st.paused) return fail("cannot start a paused container, try unpause instead", EBUSY);
  if (st.running && !st.restarting) return fail("container already started", EALREADY);
  auto started = start_entry(*e, true);
  if (!started && (*e)->record.host_config.auto_remove) {
    // Docker removes an AutoRemove container whose start failed; `wait removed` ends.
    (*e)->last_exit_code = (*e)->record.state.exit_code;
    (*e)->exited.notify_all();
    if (auto r = remove_now(*e); !r) spdlog::warn("removing {}: {}", short_id((*e)->record.id), r.error().to_string());
  }
  return started;
}

void ContainerService::empty_trash(const std::string& dir) {
  std::string merged = dir + "/rootfs/merged";
  if (is_mountpoint(merged) && ::umount2(merged.c_str(), MNT_DETACH) != 0) {
    spdlog::warn("unmount {}: {}", merged, std::strerror(errno));
    return;  // never delete through a mount: the image's layers are below it
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) spdlog::warn("removing {}: {}", dir, ec.message());
}

Result<RootfsLease> ContainerService::lease_rootfs(const std::string& ref) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  std::shared_ptr<ContainerEntry> e = *found;
  const container::Record& r = e->record;
  auto layers = images_.layer_dirs(r.image_id);
  if (!layers) return std::unexpected(layers.error());
  const std::string dir = container_dir(r.id);
  flush_writes();  // a deferred unmount must not follow the mount made here
  if (!is_mountpoint(dir + "/rootfs/merged")) {
    auto mounted = image::OverlayRootfs::mount(*layers, dir + "/rootfs");
    if (!mounted) return std::unexpected(mounted.error());
    mounted->release();
  }
  ++e->rootfs_leases;
  // The last copy of the lease may go on a worker thread: the count lives on the io thread.
  auto hold = std::shared_ptr<void>(nullptr, [this, e](void*) {
    net::post(io_, [this, e] {
      if (--e->rootfs_leases > 0 || e->record.state.running || e->removing) return;
      net::post(writer_, [this, id = e->record.id] { unmount_rootfs(id); });
    });
  });
  return RootfsLease{r.id, dir + "/rootfs/merged", dir + "/rootfs/upper", std::move(*layers), std::move(hold)};
}

void ContainerService::unmount_rootfs(const std::string& id) {
  std::string merged = container_dir(id) + "/rootfs/merged";
  if (is_mountpoint(merged) && ::umount2(merged.c_str(), MNT_DETACH) != 0) {
    spdlog::warn("unmount {}: {}", merged, std::strerror(errno));
  }
}

Result<void> ContainerService::start_entry(const std::shared_ptr<ContainerEntry>& e, bool user_start) {
  container::Record& r = e->record;
  if (e->restart_timer) {
    e->restart_timer->cancel();
    e->restart_timer.reset();
  }
  flush_writes();  // a deferred unmount of this container's rootfs must not follow its mount
  if (user_start) {
    r.has_been_manually_stopped = false;
    e->restart = scheduler::RestartManager(policy_of(r), 0);
    r.restart_count = 0;
  }
  const std::string dir = container_dir(r.id);
  const std::string merged = dir + "/rootfs/merged";
  auto fail_start = [&](const Error& err, int exit_code) -> Result<void> {
    r.state.error = err.message;
    r.state.exit_code = exit_code;
    r.state.running = false;
    r.state.restarting = false;
    if (r.state.status == "restarting" || r.state.status == "running") r.state.status = "exited";
    unmount_rootfs(r.id);
    std::error_code ec;
    fs::remove_all(run_dir(r.id), ec);
    save(*e);
    return std::unexpected(err);
  };

  if (!is_mountpoint(merged)) {
    auto layers = images_.layer_dirs(r.image_id);
    if (!layers) return fail_start(layers.error(), 128);
    auto mounted = image::OverlayRootfs::mount(*layers, dir + "/rootfs");
    if (!mounted) return fail_start(mounted.error(), 128);
    mounted->release();
  }
  // Written at create; only a crash or a user could have removed them since.
  if (!path_exists(r.hostname_path) || !path_exists(r.hosts_path) || !path_exists(r.resolv_conf_path)) {
    if (auto w = container::write_container_files(r, paths_.host_resolv_conf); !w) return fail_start(w.error(), 128);
  }
  container::SpecPaths sp{merged, r.hostname_path, r.hosts_path, r.resolv_conf_path};
  auto spec = container::build_spec(r, sp);
  if (!spec) return fail_start(spec.error(), 128);
  set_home(*spec, merged);

  const std::string rdir = run_dir(r.id);
  std::error_code ec;
  fs::remove_all(rdir, ec);
  fs::create_directories(rdir, ec);
  if (ec) return fail_start(Error{"creating " + rdir + ": " + ec.message(), ec.value()}, 128);
  // A stale runtime state (a crash between create and delete) would make create fail.
  (void)runtime::delete_container(paths_.runtime_root, r.id, true);

  monitor::LaunchOptions lo;
  lo.id = r.id;
  lo.bundle = rdir;
  lo.spec = std::move(*spec);
  lo.runtime_root = paths_.runtime_root;
  lo.run_dir = rdir;
  lo.log_path = r.log_path;
  lo.log_options = r.host_config.log_config.config;
  lo.tty = r.config.tty;
  lo.open_stdin = r.config.open_stdin;
  lo.stdin_once = r.config.stdin_once;
  lo.init = r.host_config.init.value_or(false);
  lo.monitor_binary = paths_.monitor_binary;
  auto launched = monitor::launch(lo);
  if (!launched) {
    const std::string& m = launched.error().message;
    int code = m.find("not found") != std::string::npos || m.find("no such file") != std::string::npos ? 127
               : m.find("permission denied") != std::string::npos                                    ? 126
                                                                                                      : 128;
    Error err = launched.error();
    if (code != 128) err.errno_value = EINVAL;
    return fail_start(err, code);
  }

  // Control link first, then waiting attach clients, then release the process.
  const std::string attach_path = rdir + "/attach.sock";
  auto link = std::make_shared<stream_socket>(io_);
  boost::system::error_code bec;
  connect_monitor(*link, attach_path, bec);
  if (bec) {
    (void)runtime::delete_container(paths_.runtime_root, r.id, true);
    return fail_start(Error{"connecting to the monitor at " + attach_path + ": " + bec.message(), bec.value()}, 128);
  }
  for (auto& pending : e->pending_attach) {
    auto sock = std::make_shared<stream_socket>(io_);
    connect_monitor(*sock, attach_path, bec);
    if (!bec) pending->socket = sock;
    pending->done = true;
    pending->ready.notify_all();
  }
  e->pending_attach.clear();

  if (auto s = runtime::start_container(paths_.runtime_root, r.id); !s) {
    (void)runtime::kill_container(paths_.runtime_root, r.id, SIGKILL);
    (void)runtime::delete_container(paths_.runtime_root, r.id, true);
    return fail_start(s.error(), 128);
  }

  ++e->run_generation;
  e->link = link;
  e->started_steady = std::chrono::steady_clock::now();
  r.state.status = "running";
  r.state.running = true;
  r.state.paused = false;
  r.state.restarting = false;
  r.state.oom_killed = false;
  r.state.dead = false;
  r.state.pid = launched->container_pid;
  r.state.exit_code = 0;
  r.state.error.clear();
  r.state.started_at = image::rfc3339_now();
  r.state.finished_at = kZeroTime;
  r.has_been_started_before = true;
  r.monitor_pid = launched->monitor_pid;
  r.monitor_start_time = launched->monitor_start_time;
  save(*e);
  publish(*e, "start");
  watch_link(e);
  start_health(e);
  e->started.notify_all();
  return {};
}

// ---- supervision ----

void ContainerService::watch_link(const std::shared_ptr<ContainerEntry>& e) {
  auto link = e->link;
  const unsigned generation = e->run_generation;
  net::co_spawn(
      io_,
      [this, e, link, generation]() -> net::awaitable<void> {
        std::optional<monitor::ExitInfo> exit;
        auto current = link;
        for (int reconnects = 0;; ++reconnects) {
          monitor::FrameReader reader;
          char buf[16384];
          for (;;) {
            boost::system::error_code ec;
            std::size_t n = co_await current->async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
            if (ec || n == 0) break;
            reader.feed(std::string_view(buf, n));
            while (auto frame = reader.next()) {
              if (frame->first == monitor::FrameType::exit) {
                if (auto info = monitor::parse_exit_json(frame->second)) exit = *info;
              }
            }
            if (exit) break;
          }
          if (exit || e->run_generation != generation) break;
          // The monitor drops a reader that falls far behind; if it is still alive, the
          // link is reconnected rather than taken for an exit.
          const auto& rec = e->record;
          if (reconnects > 100 || !monitor::monitor_alive(rec.monitor_pid, rec.monitor_start_time)) break;
          auto next = std::make_shared<stream_socket>(io_);
          boost::system::error_code cec;
          connect_monitor(*next, run_dir(rec.id) + "/attach.sock", cec);
          if (cec) break;
          current = next;
          e->link = next;
        }
        if (e->run_generation != generation || !e->record.state.running) co_return;
        if (!exit) {
          // The monitor went away without telling: maybe it wrote exit.json first.
          auto text = read_file(run_dir(e->record.id) + "/exit.json");
          if (text) {
            if (auto info = monitor::parse_exit_json(*text)) exit = *info;
          }
        }
        if (!exit) {
          exit = monitor::ExitInfo{255, image::rfc3339_now(), 0};
          spdlog::warn("container {}: monitor lost without an exit status", short_id(e->record.id));
        }
        on_exit(e, exit->exit_code, exit->finished_at);
      },
      net::detached);
}

bool ContainerService::oom_killed(const std::string& id) {
  auto state = runtime::read_state(paths_.runtime_root, id);
  if (!state) return false;
  auto cgroup = runtime::Cgroup::open(state->cgroups_path);
  if (!cgroup) return false;
  auto stats = (*cgroup)->stats();
  return stats && stats->oom_kills.value_or(0) > 0;
}

void ContainerService::on_exit(const std::shared_ptr<ContainerEntry>& e, int exit_code, const std::string& finished_at) {
  container::Record& r = e->record;
  const auto ran_for = std::chrono::steady_clock::now() - e->started_steady;
  ++e->run_generation;  // stops the health loop
  if (e->link) {
    boost::system::error_code ec;
    e->link->close(ec);
    e->link.reset();
  }
  r.state.oom_killed = oom_killed(r.id);
  (void)runtime::delete_container(paths_.runtime_root, r.id, true);
  r.state.running = false;
  r.state.paused = false;
  r.state.pid = 0;
  r.state.exit_code = exit_code;
  r.state.finished_at = finished_at.empty() ? image::rfc3339_now() : finished_at;
  r.monitor_pid = 0;
  r.monitor_start_time = 0;
  e->last_exit_code = exit_code;
  // Docker leaves the last health status of a stopped container as it was.

  scheduler::ContainerExit ce;
  ce.exit_code = exit_code;
  ce.stopped_by_user = r.has_been_manually_stopped;
  ce.ran_for = std::chrono::duration_cast<scheduler::Duration>(ran_for);
  auto decision = e->removing ? scheduler::RestartDecision{} : e->restart.on_exit(ce, scheduler::Clock::now());
  publish(*e, "die", {{"exitCode", std::to_string(exit_code)}});
  if (decision.restart) {
    r.restart_count = decision.restart_count;
    r.state.status = "restarting";
    r.state.restarting = true;
    r.state.running = true;  // Docker reports a restarting container as Running
    save(*e);
    e->exited.notify_all();
    schedule_restart(e, decision.delay);
    return;
  }
  r.state.status = "exited";
  r.state.restarting = false;
  // Unmounting an overlay waits for an RCU grace period (~20 ms): done on the writer
  // thread, in order with the record writes, not before `wait` answers. A leased
  // rootfs (a cp or export under way) is unmounted when its last lease goes.
  net::post(writer_, [this, id = r.id, keep_mounted = e->rootfs_leases > 0] {
    if (!keep_mounted) unmount_rootfs(id);
    std::error_code rec;
    fs::remove_all(run_dir(id), rec);
  });
  save(*e);
  e->exited.notify_all();
  if (r.host_config.auto_remove && !e->removing) net::co_spawn(io_, auto_remove(e), net::detached);
}

void ContainerService::schedule_restart(const std::shared_ptr<ContainerEntry>& e, std::chrono::steady_clock::duration delay) {
  e->restart_timer = std::make_unique<net::steady_timer>(io_, delay);
  const unsigned generation = e->run_generation;
  e->restart_timer->async_wait([this, e, generation](const boost::system::error_code& ec) {
    if (ec || e->removing || e->run_generation != generation || e->restart.canceled()) return;
    e->restart_timer.reset();
    if (auto s = start_entry(e, false); !s) {
      spdlog::warn("restarting container {}: {}", short_id(e->record.id), s.error().to_string());
      e->exited.notify_all();
    } else {
      publish(*e, "restart");
    }
  });
}

net::awaitable<void> ContainerService::auto_remove(std::shared_ptr<ContainerEntry> e) {
  if (auto r = remove_now(e); !r) spdlog::warn("auto-removing {}: {}", short_id(e->record.id), r.error().to_string());
  co_return;
}

// ---- health ----

void ContainerService::start_health(const std::shared_ptr<ContainerEntry>& e) {
  const auto& hc = e->record.config.healthcheck;
  if (!hc) return;
  scheduler::HealthConfig config;
  config.test = hc->test;
  config.interval = ns(hc->interval_ns);
  config.timeout = ns(hc->timeout_ns);
  config.start_period = ns(hc->start_period_ns);
  config.start_interval = ns(hc->start_interval_ns);
  config.retries = hc->retries;
  if (!config.enabled()) return;
  auto now = scheduler::Clock::now();
  if (!e->health) {
    e->health.emplace(config, now);
  } else {
    e->health->on_container_start(now);
  }
  if (!e->record.state.health) e->record.state.health.emplace();
  e->record.state.health->status = std::string(scheduler::to_string(e->health->status()));
  e->record.state.health->failing_streak = 0;
  net::co_spawn(io_, health_loop(e, e->run_generation), net::detached);
}

net::awaitable<void> ContainerService::health_loop(std::shared_ptr<ContainerEntry> e, unsigned generation) {
  auto ex = co_await net::this_coro::executor;
  auto last = scheduler::Clock::now();
  for (;;) {
    if (e->run_generation != generation || !e->health) co_return;
    net::steady_timer timer(ex, e->health->next_probe_at(last));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (e->run_generation != generation || !e->record.state.running || e->removing) co_return;
    if (e->record.state.paused) {
      last = scheduler::Clock::now();
      continue;
    }
    const auto& config = e->health->config();
    runtime::ExecOptions opts;
    opts.root = paths_.runtime_root;
    opts.id = e->record.id;
    if (config.kind() == scheduler::HealthTestKind::cmd_shell) {
      opts.args = {"/bin/sh", "-c", config.test.size() > 1 ? config.test[1] : ""};
    } else {
      opts.args.assign(config.test.begin() + 1, config.test.end());
    }
    const std::string pid_file = run_dir(e->record.id) + "/probe-" + std::to_string(generation) + ".pid";
    opts.pid_file = pid_file;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      last = scheduler::Clock::now();
      continue;
    }
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    opts.stdio[0] = devnull;
    opts.stdio[1] = fds[1];
    opts.stdio[2] = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 0);
    net::posix::stream_descriptor out(ex, fds[0]);
    scheduler::ProbeResult result;
    result.start = scheduler::Clock::now();
    const auto wall_start = std::chrono::system_clock::now();
    bool timed_out = false;
    bool finished = false;
    net::steady_timer deadline(ex, config.effective_timeout());
    deadline.async_wait([&](const boost::system::error_code& err) {
      if (err) return;
      if (!finished) {
        timed_out = true;
        if (auto text = read_file(pid_file)) {
          int pid = std::atoi(text->c_str());
          if (pid > 0) ::kill(pid, SIGKILL);
        }
      }
      boost::system::error_code cec;
      out.close(cec);  // a background process may hold the pipe: stop reading anyway
    });
    using namespace net::experimental::awaitable_operators;
    // A named lambda: its captures must outlive the coroutine it starts.
    auto run_probe = [&]() -> net::awaitable<Result<int>> {
      auto exec_op = async_exec(ex, opts, net::use_awaitable);
      auto r = co_await std::move(exec_op);
      finished = true;
      co_return r;
    };
    auto both = run_probe() && read_probe_output(out, result.output);
    Result<int> status = co_await std::move(both);
    deadline.cancel();
    boost::system::error_code cec;
    out.close(cec);
    ::unlink(pid_file.c_str());
    result.end = scheduler::Clock::now();
    result.timed_out = timed_out;
    result.exit_code = status ? *status : -1;
    if (!status) result.output = status.error().message;
    if (e->run_generation != generation || !e->health) co_return;
    auto event = e->health->on_probe_result(result);
    auto& hs = e->record.state.health;
    if (!hs) hs.emplace();
    hs->status = std::string(scheduler::to_string(e->health->status()));
    hs->failing_streak = e->health->failing_streak();
    hs->log.clear();
    for (const auto& entry : e->health->log()) {
      container::HealthLogEntry le;
      auto to_wall = [&](scheduler::TimePoint t) {
        auto wall = wall_start + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - result.start);
        return supervise::format_log_time(std::chrono::time_point_cast<std::chrono::nanoseconds>(wall));
      };
      le.start = to_wall(entry.start);
      le.end = to_wall(entry.end);
      le.exit_code = entry.exit_code;
      le.output = entry.output;
      hs->log.push_back(std::move(le));
    }
    save(*e);
    if (event) publish(*e, event->action);
    last = scheduler::Clock::now();
  }
}

// ---- stop, kill, restart ----

net::awaitable<Result<void>> ContainerService::stop(const std::string& ref, std::optional<int> timeout,
                                                    std::optional<std::string> signal) {
  auto found = find(ref);
  if (!found) co_return std::unexpected(found.error());
  auto e = *found;
  auto& r = e->record;
  r.has_been_manually_stopped = true;
  e->restart.cancel();
  if (r.state.restarting) {
    // A pending restart: cancel it; the container is already down.
    if (e->restart_timer) e->restart_timer->cancel();
    e->restart_timer.reset();
    r.state.restarting = false;
    r.state.running = false;
    r.state.status = "exited";
    unmount_rootfs(r.id);
    save(*e);
    publish(*e, "stop");
    e->exited.notify_all();
    co_return Result<void>{};
  }
  if (!r.state.running) co_return std::unexpected(Error{"container already stopped", EALREADY});
  save(*e);
  int sig = SIGTERM;
  std::string sig_name = signal.value_or(r.config.stop_signal);
  if (!sig_name.empty()) {
    auto parsed = runtime::parse_signal(sig_name);
    if (!parsed) co_return std::unexpected(Error{"Invalid signal: " + sig_name, EINVAL});
    sig = *parsed;
  }
  int seconds = timeout.value_or(r.config.stop_timeout.value_or(10));
  auto ex = co_await net::this_coro::executor;
  if (r.state.paused) (void)runtime::resume_container(paths_.runtime_root, r.id);
  const unsigned generation = e->run_generation;
  if (seconds != 0 && sig != SIGKILL) {
    publish(*e, "kill", {{"signal", std::to_string(sig)}});
    (void)runtime::kill_container(paths_.runtime_root, r.id, sig);
    if (seconds < 0) {
      while (e->run_generation == generation) co_await e->exited.wait(ex);
    } else {
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
      while (e->run_generation == generation && std::chrono::steady_clock::now() < until) {
        co_await e->exited.wait(ex, until - std::chrono::steady_clock::now());
      }
    }
  }
  if (e->run_generation == generation) {
    publish(*e, "kill", {{"signal", std::to_string(SIGKILL)}});
    (void)runtime::kill_container(paths_.runtime_root, r.id, SIGKILL);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (e->run_generation == generation && std::chrono::steady_clock::now() < until) {
      co_await e->exited.wait(ex, until - std::chrono::steady_clock::now());
    }
    if (e->run_generation == generation) co_return std::unexpected(Error{"container " + r.id + " did not exit after SIGKILL", EIO});
  }
  publish(*e, "stop");
  co_return Result<void>{};
}

net::awaitable<Result<void>> ContainerService::restart(const std::string& ref, std::optional<int> timeout,
                                                       std::optional<std::string> signal) {
  auto found = find(ref);
  if (!found) co_return std::unexpected(found.error());
  auto e = *found;
  if (e->record.state.running) {
    auto stop_op = stop(ref, timeout, signal);
    auto stopped = co_await std::move(stop_op);
    if (!stopped && stopped.error().errno_value != EALREADY) co_return stopped;
  }
  auto started = start_entry(e, true);
  if (!started) co_return started;
  publish(*e, "restart");
  co_return Result<void>{};
}

net::awaitable<Result<void>> ContainerService::kill(const std::string& ref, const std::string& signal) {
  auto found = find(ref);
  if (!found) co_return fail("Cannot kill container: " + ref + ": " + found.error().message, found.error().errno_value);
  auto e = *found;
  auto& r = e->record;
  int sig = SIGKILL;
  if (!signal.empty()) {
    auto parsed = runtime::parse_signal(signal);
    if (!parsed) co_return fail("Invalid signal: " + signal, EINVAL);
    sig = *parsed;
  }
  if (!r.state.running || r.state.restarting) {
    co_return fail("Cannot kill container: " + ref + ": Container " + r.id + " is not running", EBUSY);
  }
  // Docker's ExitOnNext: a kill with the stop signal (or any signal when none is set) is a user stop.
  int stop_sig = SIGTERM;
  bool has_stop_signal = !r.config.stop_signal.empty();
  if (has_stop_signal) {
    if (auto p = runtime::parse_signal(r.config.stop_signal)) stop_sig = *p;
  }
  if (!has_stop_signal || sig == SIGKILL || sig == stop_sig) {
    r.has_been_manually_stopped = true;
    e->restart.cancel();
    save(*e);
  }
  if (r.state.paused && sig == SIGKILL) (void)runtime::resume_container(paths_.runtime_root, r.id);
  if (auto k = runtime::kill_container(paths_.runtime_root, r.id, sig); !k) co_return k;
  publish(*e, "kill", {{"signal", std::to_string(sig)}});
  if (sig == SIGKILL) {
    auto ex = co_await net::this_coro::executor;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (r.state.running && !r.state.restarting && std::chrono::steady_clock::now() < until)
      co_await e->exited.wait(ex, until - std::chrono::steady_clock::now());
  }
  co_return Result<void>{};
}

// ---- remove ----

Result<void> ContainerService::remove_now(const std::shared_ptr<ContainerEntry>& e) {
  if (e->removed_done) return {};
  auto& r = e->record;
  if (e->restart_timer) e->restart_timer->cancel();
  e->restart_timer.reset();
  // The commit point: the record file goes, then the directory moves to <root>/trash
  // (a rename; the rootfs mount moves with it). Unmounting (an RCU grace period, ~20 ms)
  // and deleting happen on the writer thread, after any queued save of this container.
  // A crash in between leaves a directory load_all() or restore() finishes removing.
  const std::string dir = container_dir(r.id);
  const std::string trash = paths_.root + "/trash/" + r.id;
  if (::unlink((dir + "/config.v2.json").c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + dir + "/config.v2.json");
  std::error_code ec;
  fs::create_directories(paths_.root + "/trash", ec);
  const bool moved = ::rename(dir.c_str(), trash.c_str()) == 0;
  net::post(writer_, [this, id = r.id, dir, trash, moved] {
    (void)runtime::delete_container(paths_.runtime_root, id, true);
    std::error_code rec;
    fs::remove_all(run_dir(id), rec);
    if (moved) {
      empty_trash(trash);
    } else if (auto s = store_.remove(id); !s) {
      spdlog::error("removing container {}: {}", id, s.error().to_string());
    }
  });
  for (auto it = execs_.begin(); it != execs_.end();) {
    it = it->second->container_id == r.id ? execs_.erase(it) : std::next(it);
  }
  e->removed_done = true;
  index_.remove(r.id);
  entries_.erase(r.id);
  publish(*e, "destroy");
  e->removed.notify_all();
  return {};
}

net::awaitable<Result<void>> ContainerService::remove(const std::string& ref, bool force) {
  auto found = find(ref);
  if (!found) co_return std::unexpected(found.error());
  auto e = *found;
  auto& r = e->record;
  if (e->removing) co_return std::unexpected(Error{"removal of container " + ref + " is already in progress", EBUSY});
  if (r.state.running && !r.state.restarting && !force) {
    co_return std::unexpected(Error{"You cannot remove a running container " + r.id +
                                        ". Stop the container before attempting removal or force remove",
                                    EBUSY});
  }
  e->removing = true;
  r.has_been_manually_stopped = true;
  e->restart.cancel();
  if (r.state.running && !r.state.restarting) {
    auto ex = co_await net::this_coro::executor;
    const unsigned generation = e->run_generation;
    if (r.state.paused) (void)runtime::resume_container(paths_.runtime_root, r.id);
    (void)runtime::kill_container(paths_.runtime_root, r.id, SIGKILL);
    publish(*e, "kill", {{"signal", std::to_string(SIGKILL)}});
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (e->run_generation == generation && std::chrono::steady_clock::now() < until) {
      co_await e->exited.wait(ex, until - std::chrono::steady_clock::now());
    }
    if (e->run_generation == generation) {
      e->removing = false;
      co_return std::unexpected(Error{"could not kill container " + r.id, EIO});
    }
  }
  auto removed = remove_now(e);
  if (!removed) e->removing = false;
  co_return removed;
}

net::awaitable<Result<int>> ContainerService::wait(const std::string& ref, const std::string& condition) {
  auto found = find(ref);
  if (!found) co_return std::unexpected(found.error());
  auto e = *found;
  auto ex = co_await net::this_coro::executor;
  if (condition == "removed") {
    while (!e->removed_done) co_await e->removed.wait(ex);
    co_return e->last_exit_code;
  }
  if (condition == "next-exit") {
    co_await e->exited.wait(ex);
    co_return e->last_exit_code;
  }
  if (!condition.empty() && condition != "not-running") {
    co_return std::unexpected(Error{"invalid condition: \"" + condition + "\"", EINVAL});
  }
  while (e->record.state.running && !e->removed_done) co_await e->exited.wait(ex);
  co_return e->record.state.exit_code;
}

// ---- pause, rename, resize ----

Result<void> ContainerService::pause(const std::string& ref) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto e = *found;
  auto& r = e->record;
  if (!r.state.running || r.state.restarting) return fail("Container " + r.id + " is not running", EBUSY);
  if (r.state.paused) return fail("Container " + r.id + " is already paused", EBUSY);
  if (auto p = runtime::pause_container(paths_.runtime_root, r.id); !p) return p;
  r.state.paused = true;
  r.state.status = "paused";
  save(*e);
  publish(*e, "pause");
  return {};
}

Result<void> ContainerService::unpause(const std::string& ref) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto e = *found;
  auto& r = e->record;
  if (!r.state.paused) return fail("Container " + r.id + " is not paused", EIO);  // Docker: 500
  if (auto p = runtime::resume_container(paths_.runtime_root, r.id); !p) return p;
  r.state.paused = false;
  r.state.status = "running";
  save(*e);
  publish(*e, "unpause");
  return {};
}

Result<void> ContainerService::rename(const std::string& ref, const std::string& new_name) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto e = *found;
  auto& r = e->record;
  std::string wanted = new_name.starts_with('/') ? new_name.substr(1) : new_name;
  if (auto v = container::validate_name(wanted); !v) return v;
  if ("/" + wanted == r.name) return fail("Renaming a container with the same name as its current name", EINVAL);
  if (index_.name_taken("/" + wanted)) {
    auto other = index_.resolve("/" + wanted);
    return fail("Error when allocating new name: Conflict. The container name \"/" + wanted + "\" is already in use by container \"" +
                    (other ? *other : std::string()) +
                    "\". You have to remove (or rename) that container to be able to reuse that name.",
                EEXIST);
  }
  std::string old = r.name;
  if (auto rn = index_.rename(r.id, "/" + wanted); !rn) return rn;
  r.name = "/" + wanted;
  save(*e);
  publish(*e, "rename", {{"oldName", old}});
  return {};
}

Result<void> ContainerService::resize(const std::string& ref, int height, int width) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto e = *found;
  if (!e->record.state.running) return fail("Container " + e->record.id + " is not running", EBUSY);
  auto client = monitor::MonitorClient::connect(run_dir(e->record.id) + "/attach.sock");
  if (!client) return std::unexpected(client.error());
  return client->resize(height, width);
}

// ---- queries ----

Result<nlohmann::ordered_json> ContainerService::inspect(const std::string& ref) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto j = container::inspect_json((*found)->record);
  nlohmann::ordered_json ids = nlohmann::ordered_json::array();
  for (const auto& [id, x] : execs_) {
    if (x->container_id == (*found)->record.id) ids.push_back(id);
  }
  if (j.contains("ExecIDs")) j["ExecIDs"] = ids.empty() ? nlohmann::ordered_json(nullptr) : ids;
  // Docker's overlay2 shows the image layers as LowerDir.
  if (j.contains("GraphDriver") && j["GraphDriver"]["Data"].is_object()) {
    if (auto layers = images_.layer_dirs((*found)->record.image_id)) {
      std::string lower;
      for (const auto& l : *layers) lower += (lower.empty() ? "" : ":") + l;
      nlohmann::ordered_json data;
      data["LowerDir"] = lower;
      for (auto& [k, v] : j["GraphDriver"]["Data"].items()) data[k] = v;
      j["GraphDriver"]["Data"] = data;
    }
  }
  if (j.contains("HostConfig") && !j["HostConfig"].contains("KernelMemoryTCP")) j["HostConfig"]["KernelMemoryTCP"] = 0;
  return j;
}

Result<nlohmann::ordered_json> ContainerService::list(bool all, int limit, const std::map<std::string, std::vector<std::string>>& filters) {
  // Checked before any container is looked at: a bad filter is a 400 even on an empty list.
  if (auto v = container::validate_filters(filters); !v) return std::unexpected(v.error());
  std::vector<std::shared_ptr<ContainerEntry>> selected;
  for (const auto& [_, e] : entries_) {
    bool running = e->record.state.running || e->record.state.paused;
    bool status_filter = filters.contains("status") || filters.contains("exited");
    if (!all && !running && !status_filter && limit <= 0) continue;
    auto m = container::matches_filters(e->record, filters);
    if (!m) return std::unexpected(m.error());
    if (*m) selected.push_back(e);
  }
  // Newest first, as Docker lists.
  std::sort(selected.begin(), selected.end(), [](const auto& a, const auto& b) { return a->record.created > b->record.created; });
  if (limit > 0 && static_cast<std::size_t>(limit) < selected.size()) selected.resize(limit);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  auto now = std::chrono::system_clock::now();
  for (const auto& e : selected) {
    auto item = container::summary_json(e->record, now);
    // Docker's list command: the path, then the args, those with a space in single quotes.
    std::string command = e->record.path;
    for (const auto& arg : e->record.args) command += " " + (arg.find(' ') != std::string::npos ? "'" + arg + "'" : arg);
    item["Command"] = command;
    out.push_back(std::move(item));
  }
  return out;
}

Result<nlohmann::ordered_json> ContainerService::top(const std::string& ref, const std::string& ps_args) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto& r = (*found)->record;
  if (!r.state.running || r.state.restarting) return fail("Container " + r.id + " is not running", EBUSY);
  auto pids = runtime::container_pids(paths_.runtime_root, r.id);
  if (!pids) return std::unexpected(pids.error());
  // As Docker: run ps on the host with the given arguments, keep the container's pids.
  std::string args = ps_args.empty() ? "-ef" : ps_args;
  for (char c : args) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != ' ' && c != ',' && c != '=' && c != '%') {
      return fail("Error running ps: invalid argument " + args, EINVAL);
    }
  }
  FILE* p = ::popen(("ps " + args + " 2>&1").c_str(), "r");
  if (!p) return fail_errno("popen ps");
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) return fail("Error running ps: exit status " + std::to_string(WEXITSTATUS(rc)) + ": " + text, EINVAL);
  auto lines = split(text, '\n');
  if (lines.empty()) return fail("Error running ps: no output", EIO);
  auto fields = [](const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    std::string f;
    while (in >> f) out.push_back(f);
    return out;
  };
  auto titles = fields(lines[0]);
  int pid_col = -1;
  for (std::size_t i = 0; i < titles.size(); ++i) {
    if (titles[i] == "PID") pid_col = static_cast<int>(i);
  }
  if (pid_col < 0) return fail("Couldn't find PID field in ps output", EINVAL);
  nlohmann::ordered_json procs = nlohmann::ordered_json::array();
  for (std::size_t li = 1; li < lines.size(); ++li) {
    if (lines[li].empty()) continue;
    auto f = fields(lines[li]);
    if (static_cast<int>(f.size()) <= pid_col) continue;
    pid_t pid = std::atoi(f[pid_col].c_str());
    if (!std::binary_search(pids->begin(), pids->end(), pid)) continue;
    // The last column (the command) keeps its spaces.
    std::vector<std::string> row(f.begin(), f.begin() + std::min(f.size(), titles.size() - 1));
    std::string rest;
    for (std::size_t i = titles.size() - 1; i < f.size(); ++i) rest += (rest.empty() ? "" : " ") + f[i];
    row.push_back(rest);
    procs.push_back(row);
  }
  nlohmann::ordered_json j;
  j["Processes"] = procs;
  j["Titles"] = titles;
  return j;
}

Result<nlohmann::ordered_json> ContainerService::stats(const std::string& ref) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto& r = (*found)->record;
  nlohmann::ordered_json j;
  j["name"] = r.name;
  j["id"] = r.id;
  j["read"] = image::rfc3339_now();
  j["preread"] = kZeroTime;
  runtime::CgroupStats cs;
  std::string memory_dir, cpuacct_dir;
  if (r.state.running && !r.state.restarting) {
    if (auto state = runtime::read_state(paths_.runtime_root, r.id)) {
      if (auto cg = runtime::Cgroup::open(state->cgroups_path)) {
        if (auto s = (*cg)->stats()) cs = *s;
        for (const auto& dir : (*cg)->dirs()) {
          if (dir.find("/memory/") != std::string::npos || (*cg)->mode() == runtime::CgroupMode::V2) {
            if (memory_dir.empty()) memory_dir = dir;
          }
          if (dir.find("/cpuacct") != std::string::npos) cpuacct_dir = dir;
        }
      }
    }
  }
  auto read_number = [](const std::string& path) -> std::optional<uint64_t> {
    auto text = read_file(path);
    if (!text) return std::nullopt;
    try {
      return std::stoull(*text);
    } catch (...) {
      return std::nullopt;
    }
  };
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  uint64_t system_ns = 0;
  if (auto stat = read_file("/proc/stat")) {
    std::istringstream in(*stat);
    std::string cpu;
    in >> cpu;
    uint64_t v = 0, total = 0;
    for (int i = 0; i < 8 && in >> v; ++i) total += v;
    system_ns = total * (1000000000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
  }
  j["pids_stats"] = nlohmann::ordered_json::object();
  if (cs.pids_current) j["pids_stats"]["current"] = *cs.pids_current;
  if (cs.pids_limit) j["pids_stats"]["limit"] = *cs.pids_limit;
  j["blkio_stats"] = {{"io_service_bytes_recursive", nullptr}, {"io_serviced_recursive", nullptr},
                      {"io_queue_recursive", nullptr},        {"io_service_time_recursive", nullptr},
                      {"io_wait_time_recursive", nullptr},    {"io_merged_recursive", nullptr},
                      {"io_time_recursive", nullptr},         {"sectors_recursive", nullptr}};
  j["num_procs"] = 0;
  j["storage_stats"] = nlohmann::ordered_json::object();
  nlohmann::ordered_json cpu;
  cpu["cpu_usage"] = {{"total_usage", cs.cpu_usage_ns.value_or(0)}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}};
  if (!cpuacct_dir.empty()) {
    // v1 only, as in Docker: per-CPU usage and user/system time.
    nlohmann::ordered_json per = nlohmann::ordered_json::array();
    if (auto text = read_file(cpuacct_dir + "/cpuacct.usage_percpu")) {
      std::istringstream in(*text);
      uint64_t v = 0;
      while (in >> v) per.push_back(v);
    }
    cpu["cpu_usage"]["percpu_usage"] = per;
    if (auto text = read_file(cpuacct_dir + "/cpuacct.stat")) {
      std::istringstream in(*text);
      std::string key;
      uint64_t ticks = 0;
      const uint64_t ns_per_tick = 1000000000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
      while (in >> key >> ticks) {
        if (key == "user") cpu["cpu_usage"]["usage_in_usermode"] = ticks * ns_per_tick;
        if (key == "system") cpu["cpu_usage"]["usage_in_kernelmode"] = ticks * ns_per_tick;
      }
    }
  }
  cpu["system_cpu_usage"] = system_ns;
  cpu["online_cpus"] = cpus;
  cpu["throttling_data"] = {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}};
  j["cpu_stats"] = cpu;
  nlohmann::ordered_json precpu;
  precpu["cpu_usage"] = {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}};
  if (cpu["cpu_usage"].contains("percpu_usage")) precpu["cpu_usage"]["percpu_usage"] = nlohmann::ordered_json::array();
  precpu["system_cpu_usage"] = 0;
  precpu["online_cpus"] = cpus;
  precpu["throttling_data"] = {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}};
  j["precpu_stats"] = precpu;
  nlohmann::ordered_json mem = nlohmann::ordered_json::object();
  if (r.state.running) {
    mem["usage"] = cs.memory_usage.value_or(0);
    mem["stats"] = nlohmann::ordered_json::object();
    uint64_t host_mem = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    mem["limit"] = cs.memory_limit.value_or(host_mem);
    if (cs.memory_failcnt) mem["failcnt"] = *cs.memory_failcnt;
    if (!memory_dir.empty()) {
      if (auto max = read_number(memory_dir + "/memory.max_usage_in_bytes")) mem["max_usage"] = *max;
      nlohmann::ordered_json st = nlohmann::ordered_json::object();
      if (auto text = read_file(memory_dir + "/memory.stat")) {
        std::istringstream in(*text);
        std::string key;
        uint64_t v = 0;
        while (in >> key >> v) st[key] = v;
      }
      mem["stats"] = st;
    }
  }
  j["memory_stats"] = mem;
  return j;
}

// ---- attach ----

net::awaitable<Result<std::shared_ptr<stream_socket>>> ContainerService::attach_socket(std::shared_ptr<ContainerEntry> e) {
  auto ex = co_await net::this_coro::executor;
  if (e->record.state.running && !e->record.state.restarting) {
    auto sock = std::make_shared<stream_socket>(ex);
    boost::system::error_code ec;
    connect_monitor(*sock, run_dir(e->record.id) + "/attach.sock", ec);
    if (ec) co_return std::unexpected(Error{"attach to the container's monitor: " + ec.message(), EIO});
    co_return sock;
  }
  auto pending = std::make_shared<ContainerEntry::PendingAttach>();
  e->pending_attach.push_back(pending);
  while (!pending->done && !e->removed_done) co_await pending->ready.wait(ex);
  if (!pending->socket) co_return std::unexpected(Error{"container " + e->record.id + " was removed before it started", EIO});
  co_return pending->socket;
}

// ---- exec ----

Result<std::string> ContainerService::exec_create(const std::string& ref, const nlohmann::json& body) {
  auto found = find(ref);
  if (!found) return std::unexpected(found.error());
  auto& r = (*found)->record;
  if (!r.state.running || r.state.restarting) return fail("Container " + r.id + " is not running", EBUSY);
  if (r.state.paused) return fail("Container " + r.id + " is paused, unpause the container before exec", EBUSY);
  if (!body.is_object()) return fail("invalid JSON body", EINVAL);
  auto x = std::make_shared<ExecInstance>();
  x->id = container::generate_id();
  x->container_id = r.id;
  try {
    if (auto it = body.find("Cmd"); it != body.end() && !it->is_null()) {
      if (it->is_string()) {
        x->cmd = {it->get<std::string>()};
      } else {
        x->cmd = it->get<std::vector<std::string>>();
      }
    }
    if (auto it = body.find("Env"); it != body.end() && !it->is_null()) x->env = it->get<std::vector<std::string>>();
    x->user = body.value("User", "");
    x->working_dir = body.value("WorkingDir", "");
    x->tty = body.value("Tty", false);
    x->attach_stdin = body.value("AttachStdin", false);
    x->attach_stdout = body.value("AttachStdout", false);
    x->attach_stderr = body.value("AttachStderr", false);
    x->privileged = body.value("Privileged", false);
    x->detach_keys = body.value("DetachKeys", "");
    if (!x->detach_keys.empty())
      if (auto k = api::parse_detach_keys(x->detach_keys); !k) return std::unexpected(k.error());
  } catch (const nlohmann::json::exception& err) {
    return fail(std::string("json: cannot unmarshal exec config: ") + err.what(), EINVAL);
  }
  if (x->cmd.empty()) return fail("No exec command specified", EINVAL);
  execs_[x->id] = x;
  publish(**found, "exec_create: " + join(x->cmd, " "), {{"execID", x->id}});
  return x->id;
}

Result<std::shared_ptr<ExecInstance>> ContainerService::find_exec(const std::string& id) {
  auto it = execs_.find(id);
  if (it == execs_.end()) return fail("No such exec instance: " + id, ENOENT);
  return it->second;
}

Result<std::shared_ptr<ContainerEntry>> ContainerService::exec_container_of(const ExecInstance& x) {
  auto it = entries_.find(x.container_id);
  if (it == entries_.end()) return fail("No such container: " + x.container_id, ENOENT);
  return it->second;
}

nlohmann::ordered_json ContainerService::exec_inspect(const ExecInstance& x) {
  nlohmann::ordered_json j;
  j["ID"] = x.id;
  j["Running"] = x.running;
  j["ExitCode"] = x.exit_code ? nlohmann::ordered_json(*x.exit_code) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json pc;
  pc["tty"] = x.tty;
  pc["entrypoint"] = x.cmd.empty() ? "" : x.cmd[0];
  pc["arguments"] = x.cmd.size() > 1 ? std::vector<std::string>(x.cmd.begin() + 1, x.cmd.end()) : std::vector<std::string>{};
  pc["privileged"] = x.privileged;
  if (!x.user.empty()) pc["user"] = x.user;
  j["ProcessConfig"] = pc;
  j["OpenStdin"] = x.attach_stdin;
  j["OpenStderr"] = x.attach_stderr;
  j["OpenStdout"] = x.attach_stdout;
  j["CanRemove"] = false;
  j["ContainerID"] = x.container_id;
  j["DetachKeys"] = "";
  j["Pid"] = x.pid;
  return j;
}

// ---- recovery ----

bool ContainerService::adopt_running(const std::shared_ptr<ContainerEntry>& e) {
  auto& r = e->record;
  auto link = std::make_shared<stream_socket>(io_);
  boost::system::error_code ec;
  connect_monitor(*link, run_dir(r.id) + "/attach.sock", ec);
  if (ec) return false;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(link->native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  auto state = runtime::read_state(paths_.runtime_root, r.id);
  if (!state) return false;
  uint64_t start_time = 0;
  if (auto stat = read_file("/proc/" + std::to_string(cred.pid) + "/stat")) {
    auto close = stat->rfind(')');
    std::istringstream in(close == std::string::npos ? std::string() : stat->substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && in >> field; ++i) {
      if (i == 22) start_time = std::stoull(field);
    }
  }
  spdlog::info("container {}: adopted from its monitor {} (the record had not caught up)", short_id(r.id), cred.pid);
  ++e->run_generation;
  e->link = link;
  e->started_steady = std::chrono::steady_clock::now();
  r.state.status = state->paused ? "paused" : "running";
  r.state.running = true;
  r.state.paused = state->paused;
  r.state.restarting = false;
  r.state.pid = state->pid;
  r.state.exit_code = 0;
  r.state.error.clear();
  if (r.state.started_at == kZeroTime) r.state.started_at = state->created;
  r.state.finished_at = kZeroTime;
  r.has_been_started_before = true;
  r.monitor_pid = cred.pid;
  r.monitor_start_time = start_time;
  save(*e);
  watch_link(e);
  start_health(e);
  return true;
}

Result<void> ContainerService::restore() {
  // Removals a crash interrupted.
  std::error_code tec;
  for (const auto& entry : fs::directory_iterator(paths_.root + "/trash", tec)) empty_trash(entry.path().string());
  auto records = store_.load_all();
  if (!records) return std::unexpected(records.error());
  std::vector<std::shared_ptr<ContainerEntry>> to_start;
  for (auto& rec : *records) {
    auto e = std::make_shared<ContainerEntry>();
    e->record = std::move(rec);
    e->restart = scheduler::RestartManager(policy_of(e->record), e->record.restart_count);
    if (e->record.has_been_manually_stopped) e->restart.cancel();
    e->last_exit_code = e->record.state.exit_code;
    index_.add(e->record.id, e->record.name);
    entries_[e->record.id] = e;
    auto& r = e->record;
    const bool was_up = r.state.running || r.state.restarting;
    const bool has_exit_file = path_exists(run_dir(r.id) + "/exit.json");
    if (!was_up && path_exists(run_dir(r.id) + "/attach.sock") && adopt_running(e)) continue;
    if (!was_up && !has_exit_file) {
      unmount_rootfs(r.id);  // a crash between an exit and its unmount
      continue;
    }
    if (was_up && r.monitor_pid > 0 && monitor::monitor_alive(r.monitor_pid, r.monitor_start_time)) {
      auto link = std::make_shared<stream_socket>(io_);
      boost::system::error_code ec;
      connect_monitor(*link, run_dir(r.id) + "/attach.sock", ec);
      if (!ec) {
        spdlog::info("container {}: re-adopted (monitor {})", short_id(r.id), r.monitor_pid);
        ++e->run_generation;
        e->link = link;
        e->started_steady = std::chrono::steady_clock::now();
        if (r.state.restarting) {
          r.state.restarting = false;
          r.state.status = r.state.paused ? "paused" : "running";
        }
        watch_link(e);
        start_health(e);
        continue;
      }
    }
    // Gone while we were away: its exit status is in exit.json if the monitor wrote it.
    int code = 255;
    std::string finished = image::rfc3339_now();
    if (auto text = read_file(run_dir(r.id) + "/exit.json")) {
      if (auto info = monitor::parse_exit_json(*text)) {
        code = info->exit_code;
        finished = info->finished_at;
      }
    }
    r.state.oom_killed = oom_killed(r.id);
    (void)runtime::delete_container(paths_.runtime_root, r.id, true);
    unmount_rootfs(r.id);
    std::error_code fec;
    fs::remove_all(run_dir(r.id), fec);
    r.state.running = false;
    r.state.paused = false;
    r.state.restarting = false;
    r.state.pid = 0;
    r.state.status = "exited";
    r.state.exit_code = code;
    r.state.finished_at = finished;
    r.monitor_pid = 0;
    e->last_exit_code = code;
    save(*e);
    publish(*e, "die", {{"exitCode", std::to_string(code)}});
    if (scheduler::should_start_on_daemon_start(policy_of(r), true, r.has_been_manually_stopped, code, r.restart_count)) {
      to_start.push_back(e);
    } else if (r.host_config.auto_remove) {
      (void)remove_now(e);
    }
  }
  for (auto& e : to_start) {
    if (auto s = start_entry(e, false); !s) spdlog::warn("starting {}: {}", short_id(e->record.id), s.error().to_string());
  }
  return {};
}

}  // namespace stack::daemon
