// The daemon's containers: their records, their lifecycle (create, start, stop, kill,
// restart, pause, rename, remove), their supervision (one monitor process each, a link
// to it, exits, restart policies, health checks) and recovery after a daemon restart.
//
// Threading: everything here runs on the daemon's io thread; record changes need no
// lock. Short blocking steps (an overlay mount, the fork that launches a monitor, the
// exec fifo release) run inline; anything that waits on a container process (stop,
// wait, exec, health probes) is a coroutine or a thread that posts back.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "engine/container/container.h"
#include "engine/container/store.h"
#include "engine/daemon/events.h"
#include "engine/daemon/image_routes.h"
#include "engine/daemon/notifier.h"
#include "engine/image/store.h"
#include "engine/runtime/spec.h"
#include "scheduler/health.h"
#include "scheduler/restart_policy.h"

namespace stack::daemon {

namespace net = boost::asio;

struct DaemonPaths {
  std::string root;          // state root
  std::string run;           // run dir
  std::string runtime_root;  // <run>/runtime
  std::string monitor_binary;
  std::string host_resolv_conf = "/etc/resolv.conf";
};

// An exec instance (POST /containers/{id}/exec), as Docker's ExecConfig.
struct ExecInstance {
  std::string id;
  std::string container_id;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
  bool tty = false, attach_stdin = false, attach_stdout = true, attach_stderr = true, privileged = false;
  std::string detach_keys;  // as given at create ("" = Docker's default)
  bool running = false;
  bool started = false;
  std::optional<int> exit_code;
  int pid = 0;
  Notifier finished;
  // A tty exec's terminal (the master's fd, for resize) and the size to give it: a
  // resize can come before the terminal exists, so it is kept and applied then.
  UniqueFd console;
  std::optional<runtime::ConsoleSize> console_size;
};

// One container as the daemon holds it.
struct ContainerEntry {
  container::Record record;
  scheduler::RestartManager restart{scheduler::RestartPolicy{}};
  std::optional<scheduler::HealthMonitor> health;
  Notifier exited;   // every exit (also one followed by a restart)
  Notifier removed;
  Notifier started;
  int last_exit_code = 0;
  bool removing = false;
  bool removed_done = false;
  unsigned run_generation = 0;  // bumps per start: stale timers and probes see it changed
  std::chrono::steady_clock::time_point started_steady{};
  std::unique_ptr<net::steady_timer> restart_timer;
  std::shared_ptr<net::local::stream_protocol::socket> link;  // control connection to the monitor
  // Attach clients waiting for the start (docker run attaches before it starts): the
  // start connects them to the monitor before it releases the process, so no output is lost.
  struct PendingAttach {
    std::shared_ptr<net::local::stream_protocol::socket> socket;
    Notifier ready;
    bool done = false;
  };
  std::vector<std::shared_ptr<PendingAttach>> pending_attach;
  int rootfs_leases = 0;  // file operations holding the rootfs mounted (see lease_rootfs)
};

// A container's root filesystem held for a file operation (cp, export, diff, commit):
// `merged` stays mounted until the last lease is dropped, even if the container exits
// meanwhile; a stopped container's rootfs is mounted for the lease and unmounted after.
// Copyable; the hold is released (on the io thread) when the last copy goes.
struct RootfsLease {
  std::string id;
  std::string merged;
  std::string upper;
  std::vector<std::string> lower;  // the image's layer dirs, topmost first
  std::shared_ptr<void> hold;
};

class ContainerService {
 public:
  ContainerService(net::io_context& io, image::Store& images, container::Store store, EventBus& events, DaemonPaths paths);

  // At daemon start: loads the records, re-adopts running containers whose monitor is
  // alive, records the exits that happened while the daemon was away, and starts the
  // containers whose restart policy says so.
  Result<void> restore();

  struct Created {
    std::string id;
    std::vector<std::string> warnings;
  };
  Result<Created> create(const nlohmann::json& body, const std::string& name);
  // EALREADY (304) when already running.
  Result<void> start(const std::string& ref);
  net::awaitable<Result<void>> stop(const std::string& ref, std::optional<int> timeout, std::optional<std::string> signal);
  net::awaitable<Result<void>> restart(const std::string& ref, std::optional<int> timeout, std::optional<std::string> signal);
  // A SIGKILL (the default) answers once the container has stopped (up to 10 s), as
  // Docker: what the client does next (inspect, exec, rm) sees it exited.
  net::awaitable<Result<void>> kill(const std::string& ref, const std::string& signal);
  net::awaitable<Result<void>> remove(const std::string& ref, bool force);
  // condition: "not-running" (default), "next-exit", "removed". Returns the exit code.
  net::awaitable<Result<int>> wait(const std::string& ref, const std::string& condition);
  Result<void> pause(const std::string& ref);
  Result<void> unpause(const std::string& ref);
  Result<void> rename(const std::string& ref, const std::string& new_name);
  Result<void> resize(const std::string& ref, int height, int width);

  Result<nlohmann::ordered_json> inspect(const std::string& ref);
  Result<nlohmann::ordered_json> list(bool all, int limit, const std::map<std::string, std::vector<std::string>>& filters);
  Result<nlohmann::ordered_json> top(const std::string& ref, const std::string& ps_args);
  Result<nlohmann::ordered_json> stats(const std::string& ref);
  // Call on the io thread; the lease may be used and dropped on any thread.
  Result<RootfsLease> lease_rootfs(const std::string& ref);
  // Queues the entry's record for the ordered writer (after a change such as `docker update`).
  void save_record(const ContainerEntry& e) { save(e); }

  Result<std::shared_ptr<ContainerEntry>> find(const std::string& ref);
  // Connects to the running container's monitor, or queues until its next start.
  net::awaitable<Result<std::shared_ptr<net::local::stream_protocol::socket>>> attach_socket(
      std::shared_ptr<ContainerEntry> entry);

  // Exec instances.
  Result<std::string> exec_create(const std::string& ref, const nlohmann::json& body);
  Result<std::shared_ptr<ExecInstance>> find_exec(const std::string& id);
  nlohmann::ordered_json exec_inspect(const ExecInstance& e);
  Result<std::shared_ptr<ContainerEntry>> exec_container_of(const ExecInstance& e);

  // A container using the image (running ones first), for image delete conflicts.
  std::optional<ImageUser> image_user(const std::string& image_id) const;

  std::size_t count() const { return entries_.size(); }
  std::size_t count_in(std::string_view status) const;
  const DaemonPaths& paths() const { return paths_; }
  EventBus& events() { return events_; }
  net::io_context& io() { return io_; }
  image::Store& images() { return images_; }

  void publish(const ContainerEntry& e, const std::string& action, std::map<std::string, std::string> extra = {});

 private:
  Result<void> start_entry(const std::shared_ptr<ContainerEntry>& e, bool user_start);
  void on_exit(const std::shared_ptr<ContainerEntry>& e, int exit_code, const std::string& finished_at);
  void watch_link(const std::shared_ptr<ContainerEntry>& e);
  void schedule_restart(const std::shared_ptr<ContainerEntry>& e, std::chrono::steady_clock::duration delay);
  void start_health(const std::shared_ptr<ContainerEntry>& e);
  net::awaitable<void> health_loop(std::shared_ptr<ContainerEntry> e, unsigned generation);
  net::awaitable<void> auto_remove(std::shared_ptr<ContainerEntry> e);
  Result<void> remove_now(const std::shared_ptr<ContainerEntry>& e);
  void save(const ContainerEntry& e);
  std::string container_dir(const std::string& id) const;
  std::string run_dir(const std::string& id) const;
  void unmount_rootfs(const std::string& id);
  void empty_trash(const std::string& dir);
  // A monitor found alive in the run dir for a record that does not say so (a crash
  // between the launch and the record write): the container is adopted.
  bool adopt_running(const std::shared_ptr<ContainerEntry>& e);
  bool oom_killed(const std::string& id);

  net::io_context& io_;
  image::Store& images_;
  container::Store store_;
  container::Index index_;
  EventBus& events_;
  DaemonPaths paths_;
  std::map<std::string, std::shared_ptr<ContainerEntry>> entries_;
  std::map<std::string, std::shared_ptr<ExecInstance>> execs_;
  // State changes after create are written (temp, fsync, rename) by one thread, in order,
  // off the request's path: a start does not wait for two fsyncs.
  net::thread_pool writer_{1};

 public:
  ~ContainerService();
  // Waits for the queued record writes (daemon shutdown, tests).
  void flush_writes();
};

}  // namespace stack::daemon
