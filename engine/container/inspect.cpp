#include "engine/container/inspect.h"

#include <cmath>

#include "engine/container/time_util.h"
#include "engine/runtime/docker_defaults.h"

namespace stack::container {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json list_or_null(const std::optional<std::vector<std::string>>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json list_or_null(const std::vector<std::string>& v) {
  return v.empty() ? ordered_json(nullptr) : ordered_json(v);
}

ordered_json string_map(const std::map<std::string, std::string>& m) {
  ordered_json o = ordered_json::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

ordered_json key_set(const std::set<std::string>& s) {
  ordered_json o = ordered_json::object();
  for (const auto& k : s) o[k] = ordered_json::object();
  return o;
}

ordered_json state_json(const State& s) {
  ordered_json o = ordered_json::object();
  o["Status"] = state_string(s);
  o["Running"] = s.running;
  o["Paused"] = s.paused;
  o["Restarting"] = s.restarting;
  o["OOMKilled"] = s.oom_killed;
  o["Dead"] = s.dead;
  o["Pid"] = s.pid;
  o["ExitCode"] = s.exit_code;
  o["Error"] = s.error;
  o["StartedAt"] = s.started_at.empty() ? std::string(kZeroTime) : s.started_at;
  o["FinishedAt"] = s.finished_at.empty() ? std::string(kZeroTime) : s.finished_at;
  if (s.health) {
    ordered_json h = ordered_json::object();
    h["Status"] = s.health->status;
    h["FailingStreak"] = s.health->failing_streak;
    ordered_json log = ordered_json::array();
    for (const auto& e : s.health->log) {
      ordered_json entry = ordered_json::object();
      entry["Start"] = e.start;
      entry["End"] = e.end;
      entry["ExitCode"] = e.exit_code;
      entry["Output"] = e.output;
      log.push_back(std::move(entry));
    }
    h["Log"] = std::move(log);
    o["Health"] = std::move(h);
  }
  return o;
}

// The network a container is attached to, as Docker names it.
std::string network_name(const HostConfig& h) {
  if (h.network_mode == "default" || h.network_mode.empty()) return "bridge";
  return h.network_mode;
}

ordered_json endpoint_json() {
  ordered_json e = ordered_json::object();
  e["IPAMConfig"] = nullptr;
  e["Links"] = nullptr;
  e["Aliases"] = nullptr;
  e["MacAddress"] = "";
  e["DriverOpts"] = nullptr;
  e["GwPriority"] = 0;
  e["NetworkID"] = "";
  e["EndpointID"] = "";
  e["Gateway"] = "";
  e["IPAddress"] = "";
  e["IPPrefixLen"] = 0;
  e["IPv6Gateway"] = "";
  e["GlobalIPv6Address"] = "";
  e["GlobalIPv6PrefixLen"] = 0;
  e["DNSNames"] = nullptr;
  return e;
}

ordered_json networks_json(const HostConfig& h) {
  ordered_json n = ordered_json::object();
  if (is_container_network(h)) return n;
  n[network_name(h)] = endpoint_json();
  return n;
}

std::string container_dir_of(const Record& r) {
  auto slash = r.log_path.rfind('/');
  return slash == std::string::npos ? std::string{} : r.log_path.substr(0, slash);
}

}  // namespace

bool is_container_network(const HostConfig& h) { return h.network_mode.starts_with("container:"); }

ordered_json config_json(const Config& c) {
  ordered_json o = ordered_json::object();
  o["Hostname"] = c.hostname;
  o["Domainname"] = c.domainname;
  o["User"] = c.user;
  o["AttachStdin"] = c.attach_stdin;
  o["AttachStdout"] = c.attach_stdout;
  o["AttachStderr"] = c.attach_stderr;
  if (!c.exposed_ports.empty()) o["ExposedPorts"] = key_set(c.exposed_ports);
  o["Tty"] = c.tty;
  o["OpenStdin"] = c.open_stdin;
  o["StdinOnce"] = c.stdin_once;
  o["Env"] = list_or_null(c.env);
  o["Cmd"] = list_or_null(c.cmd);
  if (c.healthcheck) {
    const auto& hc = *c.healthcheck;
    ordered_json h = ordered_json::object();
    if (!hc.test.empty()) h["Test"] = hc.test;
    if (hc.interval_ns) h["Interval"] = hc.interval_ns;
    if (hc.timeout_ns) h["Timeout"] = hc.timeout_ns;
    if (hc.start_period_ns) h["StartPeriod"] = hc.start_period_ns;
    if (hc.start_interval_ns) h["StartInterval"] = hc.start_interval_ns;
    if (hc.retries) h["Retries"] = hc.retries;
    o["Healthcheck"] = std::move(h);
  }
  if (c.args_escaped) o["ArgsEscaped"] = true;
  o["Image"] = c.image;
  o["Volumes"] = c.volumes.empty() ? ordered_json(nullptr) : key_set(c.volumes);
  o["WorkingDir"] = c.working_dir;
  o["Entrypoint"] = list_or_null(c.entrypoint);
  if (c.network_disabled) o["NetworkDisabled"] = true;
  if (!c.mac_address.empty()) o["MacAddress"] = c.mac_address;
  o["OnBuild"] = list_or_null(c.on_build);
  o["Labels"] = string_map(c.labels);
  if (!c.stop_signal.empty()) o["StopSignal"] = c.stop_signal;
  if (c.stop_timeout) o["StopTimeout"] = *c.stop_timeout;
  if (!c.shell.empty()) o["Shell"] = c.shell;
  return o;
}

ordered_json host_config_json(const HostConfig& h) {
  ordered_json o = ordered_json::object();
  o["Binds"] = list_or_null(h.binds);
  o["ContainerIDFile"] = h.container_id_file;
  ordered_json lc = ordered_json::object();
  lc["Type"] = h.log_config.type;
  lc["Config"] = string_map(h.log_config.config);
  o["LogConfig"] = std::move(lc);
  o["NetworkMode"] = h.network_mode;
  o["PortBindings"] = h.port_bindings.is_object() ? ordered_json::parse(h.port_bindings.dump()) : ordered_json::object();
  ordered_json rp = ordered_json::object();
  rp["Name"] = h.restart_policy.name;
  rp["MaximumRetryCount"] = h.restart_policy.maximum_retry_count;
  o["RestartPolicy"] = std::move(rp);
  o["AutoRemove"] = h.auto_remove;
  o["VolumeDriver"] = h.volume_driver;
  o["VolumesFrom"] = list_or_null(h.volumes_from);
  o["ConsoleSize"] = ordered_json::array({h.console_size[0], h.console_size[1]});
  if (!h.annotations.empty()) o["Annotations"] = string_map(h.annotations);
  o["CapAdd"] = list_or_null(h.cap_add);
  o["CapDrop"] = list_or_null(h.cap_drop);
  o["CgroupnsMode"] = h.cgroupns_mode;
  o["Dns"] = list_or_null(h.dns);
  o["DnsOptions"] = list_or_null(h.dns_options);
  o["DnsSearch"] = list_or_null(h.dns_search);
  o["ExtraHosts"] = list_or_null(h.extra_hosts);
  o["GroupAdd"] = list_or_null(h.group_add);
  o["IpcMode"] = h.ipc_mode;
  o["Cgroup"] = h.cgroup;
  o["Links"] = list_or_null(h.links);
  o["OomScoreAdj"] = h.oom_score_adj;
  o["PidMode"] = h.pid_mode;
  o["Privileged"] = h.privileged;
  o["PublishAllPorts"] = h.publish_all_ports;
  o["ReadonlyRootfs"] = h.readonly_rootfs;
  o["SecurityOpt"] = list_or_null(h.security_opt);
  if (!h.storage_opt.empty()) o["StorageOpt"] = string_map(h.storage_opt);
  if (!h.tmpfs.empty()) o["Tmpfs"] = string_map(h.tmpfs);
  o["UTSMode"] = h.uts_mode;
  o["UsernsMode"] = h.userns_mode;
  o["ShmSize"] = h.shm_size;
  if (!h.sysctls.empty()) o["Sysctls"] = string_map(h.sysctls);
  if (!h.runtime.empty()) o["Runtime"] = h.runtime;
  o["Isolation"] = h.isolation;
  o["CpuShares"] = h.cpu_shares;
  o["Memory"] = h.memory;
  o["NanoCpus"] = h.nano_cpus;
  o["CgroupParent"] = h.cgroup_parent;
  o["BlkioWeight"] = h.blkio_weight;
  o["BlkioWeightDevice"] = ordered_json::array();
  o["BlkioDeviceReadBps"] = ordered_json::array();
  o["BlkioDeviceWriteBps"] = ordered_json::array();
  o["BlkioDeviceReadIOps"] = ordered_json::array();
  o["BlkioDeviceWriteIOps"] = ordered_json::array();
  o["CpuPeriod"] = h.cpu_period;
  o["CpuQuota"] = h.cpu_quota;
  o["CpuRealtimePeriod"] = h.cpu_realtime_period;
  o["CpuRealtimeRuntime"] = h.cpu_realtime_runtime;
  o["CpusetCpus"] = h.cpuset_cpus;
  o["CpusetMems"] = h.cpuset_mems;
  o["Devices"] = ordered_json::array();
  o["DeviceCgroupRules"] = list_or_null(h.device_cgroup_rules);
  o["DeviceRequests"] = nullptr;
  o["MemoryReservation"] = h.memory_reservation;
  o["MemorySwap"] = h.memory_swap;
  o["MemorySwappiness"] = h.memory_swappiness ? ordered_json(*h.memory_swappiness) : ordered_json(nullptr);
  o["OomKillDisable"] = h.oom_kill_disable ? ordered_json(*h.oom_kill_disable) : ordered_json(nullptr);
  o["PidsLimit"] = h.pids_limit ? ordered_json(*h.pids_limit) : ordered_json(nullptr);
  ordered_json ul = ordered_json::array();
  for (const auto& u : h.ulimits) {
    ordered_json e = ordered_json::object();
    e["Name"] = u.name;
    e["Hard"] = u.hard;
    e["Soft"] = u.soft;
    ul.push_back(std::move(e));
  }
  o["Ulimits"] = std::move(ul);
  o["CpuCount"] = 0;
  o["CpuPercent"] = 0;
  o["IOMaximumIOps"] = 0;
  o["IOMaximumBandwidth"] = 0;
  // Docker fills these at create from its defaults (none when privileged).
  if (h.privileged) {
    o["MaskedPaths"] = nullptr;
    o["ReadonlyPaths"] = nullptr;
  } else {
    o["MaskedPaths"] = runtime::docker_default_masked_paths();
    o["ReadonlyPaths"] = runtime::docker_default_readonly_paths();
  }
  if (h.init) o["Init"] = *h.init;
  return o;
}

ordered_json inspect_json(const Record& r) {
  ordered_json o = ordered_json::object();
  o["Id"] = r.id;
  o["Created"] = r.created;
  o["Path"] = r.path;
  o["Args"] = r.args;
  o["State"] = state_json(r.state);
  o["Image"] = r.image_id;
  o["ResolvConfPath"] = r.resolv_conf_path;
  o["HostnamePath"] = r.hostname_path;
  o["HostsPath"] = r.hosts_path;
  o["LogPath"] = r.log_path;
  o["Name"] = r.name;
  o["RestartCount"] = r.restart_count;
  o["Driver"] = "overlay2";
  o["Platform"] = "linux";
  o["MountLabel"] = "";
  o["ProcessLabel"] = "";
  o["AppArmorProfile"] = r.apparmor_profile;
  o["ExecIDs"] = list_or_null(r.exec_ids);
  o["HostConfig"] = host_config_json(r.host_config);
  ordered_json gd = ordered_json::object();
  std::string dir = container_dir_of(r);
  if (dir.empty()) {
    gd["Data"] = nullptr;
  } else {
    ordered_json data = ordered_json::object();
    data["MergedDir"] = dir + "/rootfs/merged";
    data["UpperDir"] = dir + "/rootfs/upper";
    data["WorkDir"] = dir + "/rootfs/work";
    gd["Data"] = std::move(data);
  }
  gd["Name"] = "overlay2";
  o["GraphDriver"] = std::move(gd);
  o["Mounts"] = ordered_json::array();
  o["Config"] = config_json(r.config);
  ordered_json ns = ordered_json::object();
  ns["Bridge"] = "";
  ns["SandboxID"] = "";
  ns["SandboxKey"] = "";
  ns["Ports"] = ordered_json::object();
  ns["HairpinMode"] = false;
  ns["LinkLocalIPv6Address"] = "";
  ns["LinkLocalIPv6PrefixLen"] = 0;
  ns["SecondaryIPAddresses"] = nullptr;
  ns["SecondaryIPv6Addresses"] = nullptr;
  ns["EndpointID"] = "";
  ns["Gateway"] = "";
  ns["GlobalIPv6Address"] = "";
  ns["GlobalIPv6PrefixLen"] = 0;
  ns["IPAddress"] = "";
  ns["IPPrefixLen"] = 0;
  ns["IPv6Gateway"] = "";
  ns["MacAddress"] = "";
  ns["Networks"] = networks_json(r.host_config);
  o["NetworkSettings"] = std::move(ns);
  return o;
}

std::string command_line(const Record& r) {
  std::string out = r.path;
  for (const auto& a : r.args) out += " " + a;
  return out;
}

ordered_json summary_json(const Record& r, std::chrono::system_clock::time_point now) {
  ordered_json o = ordered_json::object();
  o["Id"] = r.id;
  o["Names"] = ordered_json::array({r.name});
  o["Image"] = r.config.image;
  o["ImageID"] = r.image_id;
  o["Command"] = command_line(r);
  auto created = parse_time(r.created);
  o["Created"] = created ? std::chrono::duration_cast<std::chrono::seconds>(created->time_since_epoch()).count() : 0;
  o["Ports"] = ordered_json::array();
  o["Labels"] = string_map(r.config.labels);
  o["State"] = state_string(r.state);
  o["Status"] = docker_status_text(r.state, now);
  ordered_json hc = ordered_json::object();
  hc["NetworkMode"] = r.host_config.network_mode;
  if (!r.host_config.annotations.empty()) hc["Annotations"] = string_map(r.host_config.annotations);
  o["HostConfig"] = std::move(hc);
  ordered_json ns = ordered_json::object();
  ns["Networks"] = networks_json(r.host_config);
  o["NetworkSettings"] = std::move(ns);
  o["Mounts"] = ordered_json::array();
  return o;
}

std::string human_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  // go-units HumanDuration.
  int64_t seconds = duration_cast<std::chrono::seconds>(d).count();
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  int64_t minutes = duration_cast<std::chrono::minutes>(d).count();
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  auto hours = static_cast<int64_t>(std::round(duration<double, std::ratio<3600>>(d).count()));
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(duration_cast<std::chrono::hours>(d).count() / 24 / 365) + " years";
}

std::string docker_status_text(const State& s, std::chrono::system_clock::time_point now) {
  auto since = [&](const std::string& t) {
    auto tp = parse_time(t);
    return human_duration(tp ? std::chrono::duration_cast<std::chrono::nanoseconds>(now - *tp)
                             : std::chrono::nanoseconds(0));
  };
  if (s.running) {
    if (s.paused) return "Up " + since(s.started_at) + " (Paused)";
    if (s.restarting) return "Restarting (" + std::to_string(s.exit_code) + ") " + since(s.finished_at) + " ago";
    if (s.health) {
      std::string h = s.health->status == "starting" ? "health: starting" : s.health->status;
      return "Up " + since(s.started_at) + " (" + h + ")";
    }
    return "Up " + since(s.started_at);
  }
  if (s.removal_in_progress) return "Removal In Progress";
  if (s.dead) return "Dead";
  if (is_zero_time(s.started_at)) return "Created";
  if (is_zero_time(s.finished_at)) return "";
  return "Exited (" + std::to_string(s.exit_code) + ") " + since(s.finished_at) + " ago";
}

}  // namespace stack::container
