// The container record: Docker's container.Config, HostConfig and State for the
// fields stack supports, plus what the daemon keeps about a container (names,
// paths, supervision). One record per container, saved as config.v2.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/image/image_config.h"

namespace stack::container {

// Config.Healthcheck: Test, Interval, Timeout, StartPeriod, StartInterval (ns), Retries.
using HealthcheckConfig = image::HealthConfig;

// Docker's container.Config.
struct Config {
  std::string hostname, domainname, user;
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  std::set<std::string> exposed_ports;  // "80/tcp"
  bool tty = false, open_stdin = false, stdin_once = false;
  std::vector<std::string> env;
  // nullopt is Go's nil (JSON null / absent); an empty vector is a given [].
  std::optional<std::vector<std::string>> cmd;
  std::optional<HealthcheckConfig> healthcheck;
  bool args_escaped = false;
  std::string image;  // as the client gave it ("busybox", "sha256:...")
  std::set<std::string> volumes;
  std::string working_dir;
  std::optional<std::vector<std::string>> entrypoint;
  bool network_disabled = false;
  std::string mac_address;
  std::vector<std::string> on_build;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<int> stop_timeout;
  std::vector<std::string> shell;
};

struct RestartPolicy {
  std::string name = "no";  // "no", "always", "on-failure", "unless-stopped"
  int maximum_retry_count = 0;
};

struct LogConfig {
  std::string type = "json-file";
  std::map<std::string, std::string> config;
};

struct Ulimit {
  std::string name;  // "nofile"
  int64_t soft = 0, hard = 0;
};

// Docker's container.HostConfig (with its embedded Resources).
struct HostConfig {
  std::optional<std::vector<std::string>> binds;  // kept; mounted by the volumes issue
  std::string container_id_file;
  LogConfig log_config;
  std::string network_mode = "default";  // "none", "default", "bridge", "host" (container:<id> kept)
  nlohmann::json port_bindings = nlohmann::json::object();  // kept as given for the netplane issue
  RestartPolicy restart_policy;
  bool auto_remove = false;
  std::string volume_driver;
  std::optional<std::vector<std::string>> volumes_from;
  unsigned console_size[2] = {0, 0};  // height, width
  std::map<std::string, std::string> annotations;
  std::optional<std::vector<std::string>> cap_add, cap_drop;
  std::string cgroupns_mode;  // "host" / "private" (filled at create)
  std::optional<std::vector<std::string>> dns, dns_options, dns_search, extra_hosts, group_add;
  std::string ipc_mode;  // "private" (filled at create), "host", "shareable", "none"
  std::string cgroup;
  std::optional<std::vector<std::string>> links;
  int oom_score_adj = 0;
  std::string pid_mode;  // "" (private) or "host"
  bool privileged = false, publish_all_ports = false, readonly_rootfs = false;
  std::optional<std::vector<std::string>> security_opt;
  std::map<std::string, std::string> storage_opt;
  std::map<std::string, std::string> tmpfs;  // destination -> options ("size=64m,mode=1777")
  std::string uts_mode, userns_mode;
  int64_t shm_size = 0;  // 64 MiB filled at create
  std::map<std::string, std::string> sysctls;
  std::string runtime = "runc";
  std::string isolation;
  // Resources
  int64_t cpu_shares = 0, memory = 0, nano_cpus = 0;
  std::string cgroup_parent;
  uint16_t blkio_weight = 0;
  int64_t cpu_period = 0, cpu_quota = 0, cpu_realtime_period = 0, cpu_realtime_runtime = 0;
  std::string cpuset_cpus, cpuset_mems;
  std::optional<std::vector<std::string>> device_cgroup_rules;
  int64_t memory_reservation = 0, memory_swap = 0;
  std::optional<int64_t> memory_swappiness;
  std::optional<bool> oom_kill_disable;
  std::optional<int64_t> pids_limit;
  std::vector<Ulimit> ulimits;
  std::optional<bool> init;
};

struct HealthLogEntry {
  std::string start, end;  // RFC3339Nano
  int exit_code = 0;
  std::string output;
};

struct HealthState {
  std::string status = "starting";  // "starting", "healthy", "unhealthy", "none"
  int failing_streak = 0;
  std::vector<HealthLogEntry> log;
};

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

struct State {
  std::string status = "created";  // created running paused restarting removing exited dead
  bool running = false, paused = false, restarting = false, oom_killed = false, dead = false;
  bool removal_in_progress = false;
  int pid = 0, exit_code = 0;
  std::string error;
  std::string started_at = kZeroTime, finished_at = kZeroTime;
  std::optional<HealthState> health;
};

struct Record {
  std::string id;       // 64 hex
  std::string name;     // "/name"
  std::string created;  // RFC3339Nano UTC
  std::string image_id;  // "sha256:..."
  // The resolved command: entrypoint + cmd, as Docker's Path and Args.
  std::string path;
  std::vector<std::string> args;
  Config config;
  HostConfig host_config;
  State state;
  int restart_count = 0;
  bool has_been_started_before = false, has_been_manually_stopped = false;
  std::string log_path, resolv_conf_path, hostname_path, hosts_path;
  std::string apparmor_profile;  // from security_opt apparmor=; not applied on this host
  std::vector<std::string> exec_ids;
  // Supervision (internal; on disk, not in inspect).
  int monitor_pid = 0;
  uint64_t monitor_start_time = 0;  // /proc/<pid>/stat starttime, against pid reuse
};

// Docker's State.StateString(): the lower-case status from the flags. The
// flags decide (inspect and list use this); State::status is kept equal to it
// by the transitions below.
std::string state_string(const State& state);

// State transitions as moby's container.State does them; each keeps `status` in step.
// Started: running, not paused/restarting, exit code 0, error and OOM cleared.
void set_running(State& s, int pid, const std::string& started_at);
// Exited: not running/paused/restarting, pid 0.
void set_stopped(State& s, int exit_code, const std::string& finished_at, bool oom_killed = false);
// Waiting for a policy restart: Docker keeps Running true with Restarting, pid 0.
void set_restarting(State& s, int exit_code, const std::string& finished_at);
void set_paused(State& s, bool paused);
void set_removal_in_progress(State& s, bool removing);
void set_dead(State& s);
// A start that failed: Error set, exit code 128 unless given (Docker's 126/127 for not found/permission).
void set_error(State& s, const std::string& error, int exit_code = 128);

}  // namespace stack::container
