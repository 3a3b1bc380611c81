#include "engine/container/create.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "common/files.h"
#include "engine/container/decode.h"
#include "engine/container/names.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/container.h"
#include "engine/supervise/json_log.h"
#include "scheduler/restart_policy.h"

namespace stack::container {
namespace {

using detail::FieldCtx;
using detail::Reader;
using detail::to_upper_ascii;

#define TRY(expr)                     \
  do {                                \
    if (auto r_ = (expr); !r_) {      \
      return std::unexpected(r_.error()); \
    }                                 \
  } while (0)

constexpr int64_t kLinuxMinMemory = 6 * 1024 * 1024;  // moby linuxMinMemory
constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;
constexpr int64_t kMinimumDurationNs = 1'000'000;      // containertypes.MinimumDuration (1ms)
constexpr size_t kMaxHostnameLen = 64;

Result<std::optional<HealthcheckConfig>> decode_healthcheck(const Reader& top) {
  auto obj = top.object("Healthcheck", "container.HealthConfig");
  if (!obj) return std::unexpected(obj.error());
  if (!*obj) return std::optional<HealthcheckConfig>{};
  Reader r(**obj, FieldCtx{"HealthConfig", "Healthcheck."});
  HealthcheckConfig h;
  TRY(r.strings("Test", h.test));
  TRY(r.i64("Interval", h.interval_ns, "time.Duration"));
  TRY(r.i64("Timeout", h.timeout_ns, "time.Duration"));
  TRY(r.i64("StartPeriod", h.start_period_ns, "time.Duration"));
  TRY(r.i64("StartInterval", h.start_interval_ns, "time.Duration"));
  TRY(r.i32("Retries", h.retries));
  return std::optional<HealthcheckConfig>(std::move(h));
}

bool is_known_log_driver(std::string_view name) {
  static constexpr std::string_view kDocker[] = {"json-file", "none",   "local",  "syslog",    "journald",
                                                 "gelf",      "fluentd", "awslogs", "splunk",  "etwlogs",
                                                 "gcplogs",   "logentries"};
  return std::find(std::begin(kDocker), std::end(kDocker), name) != std::end(kDocker);
}

// moby caps.NormalizeLegacyCapabilities.
Result<void> check_capabilities(const std::optional<std::vector<std::string>>& caps, std::string_view field) {
  if (!caps) return {};
  const auto& known = runtime::known_capability_names();
  for (const auto& c : *caps) {
    std::string up = to_upper_ascii(c);
    if (up == "ALL") continue;
    if (!up.starts_with("CAP_")) up = "CAP_" + up;
    if (std::find(known.begin(), known.end(), up) == known.end())
      return fail("invalid " + std::string(field) + ": unknown capability: \"" + up + "\"", EINVAL);
  }
  return {};
}

bool is_container_mode(std::string_view mode) { return mode.starts_with("container:"); }

}  // namespace

Result<Config> decode_config(const nlohmann::json& body) {
  if (!body.is_object()) {
    if (body.is_null()) return fail("config cannot be empty in order to create a container", EINVAL);
    return fail("invalid JSON: json: cannot unmarshal " + detail::go_json_kind(body).substr(0, 6) +
                    " into Go value of type container.CreateRequest",
                EINVAL);
  }
  Reader r(body, FieldCtx{"CreateRequest", ""});
  Config c;
  TRY(r.str("Hostname", c.hostname));
  TRY(r.str("Domainname", c.domainname));
  TRY(r.str("User", c.user));
  TRY(r.boolean("AttachStdin", c.attach_stdin));
  TRY(r.boolean("AttachStdout", c.attach_stdout));
  TRY(r.boolean("AttachStderr", c.attach_stderr));
  TRY(r.key_set("ExposedPorts", c.exposed_ports, "nat.PortSet"));
  TRY(r.boolean("Tty", c.tty));
  TRY(r.boolean("OpenStdin", c.open_stdin));
  TRY(r.boolean("StdinOnce", c.stdin_once));
  TRY(r.strings("Env", c.env));
  TRY(r.strslice("Cmd", c.cmd));
  auto hc = decode_healthcheck(r);
  if (!hc) return std::unexpected(hc.error());
  c.healthcheck = std::move(*hc);
  TRY(r.boolean("ArgsEscaped", c.args_escaped));
  TRY(r.str("Image", c.image));
  TRY(r.key_set("Volumes", c.volumes, "map[string]struct {}"));
  TRY(r.str("WorkingDir", c.working_dir));
  TRY(r.strslice("Entrypoint", c.entrypoint));
  TRY(r.boolean("NetworkDisabled", c.network_disabled));
  TRY(r.str("MacAddress", c.mac_address));
  TRY(r.strings("OnBuild", c.on_build));
  TRY(r.string_map("Labels", c.labels));
  TRY(r.str("StopSignal", c.stop_signal));
  if (r.find("StopTimeout")) {
    int t = 0;
    TRY(r.i32("StopTimeout", t));
    c.stop_timeout = t;
  }
  std::optional<std::vector<std::string>> shell;
  TRY(r.strslice("Shell", shell));
  if (shell) c.shell = std::move(*shell);
  return c;
}

Result<HostConfig> decode_host_config(const nlohmann::json& j) {
  HostConfig h;
  if (j.is_null()) return h;
  if (!j.is_object())
    return fail("invalid JSON: json: cannot unmarshal " + detail::go_json_kind(j).substr(0, 6) +
                    " into Go struct field CreateRequest.HostConfig of type container.HostConfig",
                EINVAL);
  Reader r(j, FieldCtx{"HostConfig", "HostConfig."});
  TRY(r.opt_strings("Binds", h.binds));
  TRY(r.str("ContainerIDFile", h.container_id_file));
  {
    auto lc = r.object("LogConfig", "container.LogConfig");
    if (!lc) return std::unexpected(lc.error());
    if (*lc) {
      Reader l(**lc, FieldCtx{"LogConfig", "HostConfig.LogConfig."});
      h.log_config.type.clear();
      TRY(l.str("Type", h.log_config.type));
      TRY(l.string_map("Config", h.log_config.config));
    }
  }
  TRY(r.str("NetworkMode", h.network_mode, "container.NetworkMode"));
  {
    auto pb = r.object("PortBindings", "nat.PortMap");
    if (!pb) return std::unexpected(pb.error());
    if (*pb) h.port_bindings = **pb;
  }
  {
    auto rp = r.object("RestartPolicy", "container.RestartPolicy");
    if (!rp) return std::unexpected(rp.error());
    if (*rp) {
      Reader p(**rp, FieldCtx{"RestartPolicy", "HostConfig.RestartPolicy."});
      h.restart_policy.name.clear();
      TRY(p.str("Name", h.restart_policy.name, "container.RestartPolicyMode"));
      TRY(p.i32("MaximumRetryCount", h.restart_policy.maximum_retry_count));
    }
  }
  TRY(r.boolean("AutoRemove", h.auto_remove));
  TRY(r.str("VolumeDriver", h.volume_driver));
  TRY(r.opt_strings("VolumesFrom", h.volumes_from));
  if (const auto* cs = r.find("ConsoleSize")) {
    auto uint_ok = [](const nlohmann::json& v) { return v.is_number_integer() && v.get<int64_t>() >= 0; };
    if (!cs->is_array() || cs->size() != 2 || !uint_ok((*cs)[0]) || !uint_ok((*cs)[1]))
      return r.type_error("ConsoleSize", *cs, "[2]uint");
    h.console_size[0] = (*cs)[0].get<unsigned>();
    h.console_size[1] = (*cs)[1].get<unsigned>();
  }
  TRY(r.string_map("Annotations", h.annotations));
  TRY(r.opt_strings("CapAdd", h.cap_add));
  TRY(r.opt_strings("CapDrop", h.cap_drop));
  TRY(r.str("CgroupnsMode", h.cgroupns_mode, "container.CgroupnsMode"));
  TRY(r.opt_strings("Dns", h.dns));
  TRY(r.opt_strings("DnsOptions", h.dns_options));
  TRY(r.opt_strings("DnsSearch", h.dns_search));
  TRY(r.opt_strings("ExtraHosts", h.extra_hosts));
  TRY(r.opt_strings("GroupAdd", h.group_add));
  TRY(r.str("IpcMode", h.ipc_mode, "container.IpcMode"));
  TRY(r.str("Cgroup", h.cgroup, "container.CgroupSpec"));
  TRY(r.opt_strings("Links", h.links));
  TRY(r.i32("OomScoreAdj", h.oom_score_adj));
  TRY(r.str("PidMode", h.pid_mode, "container.PidMode"));
  TRY(r.boolean("Privileged", h.privileged));
  TRY(r.boolean("PublishAllPorts", h.publish_all_ports));
  TRY(r.boolean("ReadonlyRootfs", h.readonly_rootfs));
  TRY(r.opt_strings("SecurityOpt", h.security_opt));
  TRY(r.string_map("StorageOpt", h.storage_opt));
  TRY(r.string_map("Tmpfs", h.tmpfs));
  TRY(r.str("UTSMode", h.uts_mode, "container.UTSMode"));
  TRY(r.str("UsernsMode", h.userns_mode, "container.UsernsMode"));
  TRY(r.i64("ShmSize", h.shm_size));
  TRY(r.string_map("Sysctls", h.sysctls));
  h.runtime.clear();
  TRY(r.str("Runtime", h.runtime));
  TRY(r.str("Isolation", h.isolation, "container.Isolation"));
  TRY(r.i64("CpuShares", h.cpu_shares));
  TRY(r.i64("Memory", h.memory));
  TRY(r.i64("NanoCpus", h.nano_cpus));
  TRY(r.str("CgroupParent", h.cgroup_parent));
  {
    int64_t w = 0;
    TRY(r.i64("BlkioWeight", w, "uint16"));
    if (w < 0 || w > 65535) return r.type_error("BlkioWeight", *r.find("BlkioWeight"), "uint16");
    h.blkio_weight = static_cast<uint16_t>(w);
  }
  TRY(r.i64("CpuPeriod", h.cpu_period));
  TRY(r.i64("CpuQuota", h.cpu_quota));
  TRY(r.i64("CpuRealtimePeriod", h.cpu_realtime_period));
  TRY(r.i64("CpuRealtimeRuntime", h.cpu_realtime_runtime));
  TRY(r.str("CpusetCpus", h.cpuset_cpus));
  TRY(r.str("CpusetMems", h.cpuset_mems));
  TRY(r.opt_strings("DeviceCgroupRules", h.device_cgroup_rules));
  TRY(r.i64("MemoryReservation", h.memory_reservation));
  TRY(r.i64("MemorySwap", h.memory_swap));
  TRY(r.opt_i64("MemorySwappiness", h.memory_swappiness));
  TRY(r.opt_boolean("OomKillDisable", h.oom_kill_disable));
  TRY(r.opt_i64("PidsLimit", h.pids_limit));
  if (const auto* ul = r.find("Ulimits")) {
    if (!ul->is_array()) return r.type_error("Ulimits", *ul, "[]*container.Ulimit");
    for (const auto& item : *ul) {
      if (item.is_null()) continue;
      if (!item.is_object()) return r.type_error("Ulimits", item, "container.Ulimit");
      Reader u(item, FieldCtx{"Ulimit", "HostConfig.Ulimits."});
      Ulimit limit;
      TRY(u.str("Name", limit.name));
      TRY(u.i64("Soft", limit.soft));
      TRY(u.i64("Hard", limit.hard));
      h.ulimits.push_back(std::move(limit));
    }
  }
  TRY(r.opt_boolean("Init", h.init));
  // Fields Docker has that stack does not act on are ignored; the ones that
  // would change what runs are refused rather than silently dropped.
  if (const auto* m = r.find("Mounts"); m && m->is_array() && !m->empty())
    return fail("HostConfig.Mounts is not supported yet by stack (use Binds)", EINVAL);
  if (const auto* d = r.find("Devices"); d && d->is_array() && !d->empty())
    return fail("HostConfig.Devices is not supported yet by stack", EINVAL);
  int64_t io_bw = 0, io_iops = 0;
  TRY(r.i64("IOMaximumBandwidth", io_bw, "uint64"));
  TRY(r.i64("IOMaximumIOps", io_iops, "uint64"));
  if (io_bw != 0) return fail("invalid option: QoS maximum bandwidth configuration is not supported on linux", EINVAL);
  if (io_iops != 0) return fail("invalid option: QoS maximum IOPs configuration is not supported on linux", EINVAL);
  return h;
}

void merge_image_config(Config& c, const image::RunConfig& img) {
  if (c.user.empty()) c.user = img.user;
  for (const auto& p : img.exposed_ports) c.exposed_ports.insert(p);
  if (c.env.empty()) {
    c.env = img.env;
  } else {
    // moby daemon/commit.go merge: the user's env first, then the image's
    // variables whose key the user did not set.
    std::vector<std::string> add;
    for (const auto& ie : img.env) {
      std::string_view ik = std::string_view(ie).substr(0, ie.find('='));
      bool found = std::any_of(c.env.begin(), c.env.end(), [&](const std::string& ue) {
        return std::string_view(ue).substr(0, ue.find('=')) == ik;
      });
      if (!found) add.push_back(ie);
    }
    c.env.insert(c.env.end(), add.begin(), add.end());
  }
  for (const auto& [k, v] : img.labels) c.labels.emplace(k, v);
  if (!c.entrypoint || c.entrypoint->empty()) {
    if (!c.cmd || c.cmd->empty()) {
      c.cmd = img.cmd;
      c.args_escaped = img.args_escaped;
    }
    if (!c.entrypoint) c.entrypoint = img.entrypoint;
  }
  if (img.healthcheck) {
    if (!c.healthcheck) {
      c.healthcheck = img.healthcheck;
    } else {
      auto& u = *c.healthcheck;
      const auto& i = *img.healthcheck;
      if (u.test.empty()) u.test = i.test;
      if (u.interval_ns == 0) u.interval_ns = i.interval_ns;
      if (u.timeout_ns == 0) u.timeout_ns = i.timeout_ns;
      if (u.start_period_ns == 0) u.start_period_ns = i.start_period_ns;
      if (u.start_interval_ns == 0) u.start_interval_ns = i.start_interval_ns;
      if (u.retries == 0) u.retries = i.retries;
    }
  }
  if (c.working_dir.empty()) c.working_dir = img.working_dir;
  for (const auto& v : img.volumes) c.volumes.insert(v);
  if (c.stop_signal.empty()) c.stop_signal = img.stop_signal;
}

Result<void> validate_config(const Config& c) {
  if (!c.working_dir.empty() && c.working_dir.front() != '/')
    return fail("the working directory '" + c.working_dir + "' is invalid, it needs to be an absolute path", EINVAL);
  if (!c.stop_signal.empty()) {
    // moby/sys/signal.ParseSignal: a number (not 0) or a known name.
    bool numeric = std::all_of(c.stop_signal.begin(), c.stop_signal.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    bool ok = numeric ? c.stop_signal.find_first_not_of('0') != std::string::npos
                      : runtime::parse_signal(c.stop_signal).has_value();
    if (!ok) return fail("Invalid signal: " + c.stop_signal, EINVAL);
  }
  for (const auto& e : c.env)
    if (e.empty() || e.front() == '=') return fail("invalid environment variable: " + e, EINVAL);
  if (c.healthcheck) {
    const auto& h = *c.healthcheck;
    auto too_short = [](int64_t ns) { return ns != 0 && ns < kMinimumDurationNs; };
    if (too_short(h.interval_ns)) return fail("Interval in Healthcheck cannot be less than 1ms", EINVAL);
    if (too_short(h.timeout_ns)) return fail("Timeout in Healthcheck cannot be less than 1ms", EINVAL);
    if (h.retries < 0) return fail("Retries in Healthcheck cannot be negative", EINVAL);
    if (too_short(h.start_period_ns)) return fail("StartPeriod in Healthcheck cannot be less than 1ms", EINVAL);
    if (too_short(h.start_interval_ns)) return fail("StartInterval in Healthcheck cannot be less than 1ms", EINVAL);
  }
  if (c.hostname.size() > kMaxHostnameLen)
    return fail("hostname \"" + c.hostname + "\" is too long (maximum 64 bytes)", EINVAL);
  return {};
}

namespace {

// runconfig.validateCreateRequest (decode-time checks in the API router).
Result<void> validate_request(const Config& c, const HostConfig& h) {
  const std::string& nm = h.network_mode;
  if (nm == "container" || is_container_mode(nm)) {
    if (nm.size() <= std::string_view("container:").size())
      return fail("invalid network mode: invalid container format container:<name|id>", EINVAL);
    if (!c.hostname.empty()) return fail("conflicting options: hostname and the network mode", EINVAL);
    if (h.links && !h.links->empty())
      return fail("conflicting options: container type network can't be used with links. This would result in "
                  "undefined behavior",
                  EINVAL);
    if (h.dns && !h.dns->empty()) return fail("conflicting options: dns and the network mode", EINVAL);
    if (h.extra_hosts && !h.extra_hosts->empty())
      return fail("conflicting options: custom host-to-IP mapping and the network mode", EINVAL);
    if ((h.port_bindings.is_object() && !h.port_bindings.empty()) || h.publish_all_ports)
      return fail("conflicting options: port publishing and the container type network mode", EINVAL);
    if (!c.exposed_ports.empty())
      return fail("conflicting options: port exposing and the container type network mode", EINVAL);
  }
  if (h.uts_mode == "host" && !c.hostname.empty())
    return fail("conflicting options: hostname and the UTS mode", EINVAL);
  if (nm == "host" && h.links && !h.links->empty())
    return fail("conflicting options: host type networking can't be used with links. This would result in undefined "
                "behavior",
                EINVAL);
  if (!h.isolation.empty() && h.isolation != "default")
    return fail("invalid isolation (" + h.isolation + "): linux only supports 'default'", EINVAL);
  if (h.cpu_realtime_period != 0 || h.cpu_realtime_runtime != 0)
    return fail("kernel does not support CPU real-time scheduler", EINVAL);
  if (h.cpu_shares < 0)
    return fail("invalid CPU shares (" + std::to_string(h.cpu_shares) + "): value must be a positive integer", EINVAL);
  return {};
}

Result<void> validate_resources(const HostConfig& h) {
  if (h.memory != 0 && h.memory < kLinuxMinMemory) return fail("Minimum memory limit allowed is 6MB", EINVAL);
  if (h.memory > 0 && h.memory_swap > 0 && h.memory_swap < h.memory)
    return fail("Minimum memoryswap limit should be larger than memory limit, see usage", EINVAL);
  if (h.memory == 0 && h.memory_swap > 0)
    return fail("You should always set the Memory limit when using Memoryswap limit, see usage", EINVAL);
  if (h.memory_swappiness && *h.memory_swappiness != -1 &&
      (*h.memory_swappiness < 0 || *h.memory_swappiness > 100))
    return fail("Invalid value: " + std::to_string(*h.memory_swappiness) + ", valid memory swappiness range is 0-100",
                EINVAL);
  if (h.memory_reservation > 0 && h.memory_reservation < kLinuxMinMemory)
    return fail("Minimum memory reservation allowed is 6MB", EINVAL);
  if (h.memory > 0 && h.memory_reservation > 0 && h.memory < h.memory_reservation)
    return fail("Minimum memory limit can not be less than memory reservation limit, see usage", EINVAL);
  if (h.nano_cpus > 0 && h.cpu_period > 0)
    return fail("Conflicting options: Nano CPUs and CPU Period cannot both be set", EINVAL);
  if (h.nano_cpus > 0 && h.cpu_quota > 0)
    return fail("Conflicting options: Nano CPUs and CPU Quota cannot both be set", EINVAL);
  if (h.nano_cpus != 0) {
    int64_t nc = std::max(1u, std::thread::hardware_concurrency());
    if (h.nano_cpus < 0 || h.nano_cpus > nc * 1'000'000'000)
      return fail("range of CPUs is from 0.01 to " + std::to_string(nc) + ".00, as there are only " +
                      std::to_string(nc) + " CPUs available",
                  EINVAL);
  }
  if (h.cpu_period != 0 && (h.cpu_period < 1000 || h.cpu_period > 1000000))
    return fail("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)", EINVAL);
  if (h.cpu_quota > 0 && h.cpu_quota < 1000) return fail("CPU cfs quota can not be less than 1ms (i.e. 1000)", EINVAL);
  if (h.blkio_weight > 0 && (h.blkio_weight < 10 || h.blkio_weight > 1000))
    return fail("Range of blkio weight is from 10 to 1000", EINVAL);
  return {};
}

bool valid_ipc_mode(std::string_view m) {
  return m.empty() || m == "host" || m == "private" || m == "shareable" || m == "none" ||
         (is_container_mode(m) && m.size() > 10);
}

Result<void> validate_log_config(const LogConfig& lc) {
  if (lc.type == "none") return {};
  auto mode = lc.config.find("mode");
  if (mode != lc.config.end() && mode->second != "blocking" && mode->second != "non-blocking" && !mode->second.empty())
    return fail("logger: logging mode not supported: " + mode->second, EINVAL);
  if (!is_known_log_driver(lc.type)) return fail("logger: no log driver named '" + lc.type + "' is registered", EINVAL);
  if (lc.type != "json-file")
    return fail("logger: log driver '" + lc.type + "' is not supported by stack (json-file, none)", EINVAL);
  std::map<std::string, std::string> opts;
  for (const auto& [k, v] : lc.config)
    if (k != "mode" && k != "max-buffer-size") opts[k] = v;
  if (auto r = supervise::parse_json_log_options(opts); !r) return fail(r.error().message, EINVAL);
  return {};
}

}  // namespace

Result<void> validate_host_config(const HostConfig& h) {
  if (h.auto_remove && !h.restart_policy.name.empty() && h.restart_policy.name != "no")
    return fail("can't create 'AutoRemove' container with restart policy", EINVAL);
  if (!h.restart_policy.name.empty()) {
    std::string text = h.restart_policy.name;
    if (h.restart_policy.maximum_retry_count != 0) text += ":" + std::to_string(h.restart_policy.maximum_retry_count);
    if (auto p = scheduler::parse_restart_policy(text); !p) return fail(p.error().message, EINVAL);
  }
  TRY(check_capabilities(h.cap_add, "CapAdd"));
  TRY(check_capabilities(h.cap_drop, "CapDrop"));
  for (const auto& [k, v] : h.annotations)
    if (k.empty()) return fail("invalid Annotations: the empty string is not permitted as an annotation key", EINVAL);
  TRY(validate_resources(h));
  if (!valid_ipc_mode(h.ipc_mode)) return fail("invalid IPC mode: " + h.ipc_mode, EINVAL);
  if (!(h.pid_mode.empty() || h.pid_mode == "host" || (is_container_mode(h.pid_mode) && h.pid_mode.size() > 10)))
    return fail("invalid PID mode: " + h.pid_mode, EINVAL);
  if (h.shm_size < 0) return fail("SHM size can not be less than 0", EINVAL);
  if (!(h.uts_mode.empty() || h.uts_mode == "host")) return fail("invalid UTS mode: " + h.uts_mode, EINVAL);
  if (h.oom_score_adj < -1000 || h.oom_score_adj > 1000)
    return fail("Invalid value " + std::to_string(h.oom_score_adj) + ", range for oom score adj is [-1000, 1000]",
                EINVAL);
  if (!h.runtime.empty() && h.runtime != "runc" && h.runtime != "stack")
    return fail("unknown or invalid runtime name: " + h.runtime, EINVAL);
  for (const auto& [dest, opts] : h.tmpfs) {
    if (dest.empty() || dest.front() != '/')
      return fail("invalid mount config for type \"tmpfs\": invalid mount path: '" + dest +
                      "' mount path must be absolute",
                  EINVAL);
    if (dest == "/") return fail("invalid mount config for type \"tmpfs\": destination can't be '/'", EINVAL);
  }
  if (!(h.cgroupns_mode.empty() || h.cgroupns_mode == "host" || h.cgroupns_mode == "private"))
    return fail("invalid cgroup namespace mode: " + h.cgroupns_mode, EINVAL);
  if (!h.userns_mode.empty() && h.userns_mode != "host")
    return fail("invalid USER mode: " + h.userns_mode, EINVAL);
  if (is_container_mode(h.ipc_mode) || is_container_mode(h.pid_mode))
    return fail("sharing namespaces with another container is not supported yet by stack", EINVAL);
  for (const auto& u : h.ulimits) {
    static constexpr std::string_view kNames[] = {"core",    "cpu",  "data",  "fsize",  "locks",
                                                  "memlock", "msgqueue", "nice", "nofile", "nproc",
                                                  "rss",     "rtprio", "rttime", "sigpending", "stack"};
    if (std::find(std::begin(kNames), std::end(kNames), u.name) == std::end(kNames))
      return fail("invalid ulimit type: " + u.name, EINVAL);
    if (u.soft > u.hard)
      return fail("ulimit soft limit must be less than or equal to hard limit: " + std::to_string(u.soft) + " > " +
                      std::to_string(u.hard),
                  EINVAL);
  }
  // Security options (moby parseSecurityOpt), checked at create as Docker does.
  if (h.security_opt) {
    for (const auto& opt : *h.security_opt) {
      if (opt == "no-new-privileges" || opt == "disable") continue;
      size_t sep = opt.find('=');
      if (sep == std::string::npos) sep = opt.find(':');
      if (sep == std::string::npos) return fail("invalid --security-opt 1: \"" + opt + "\"", EINVAL);
      std::string k = opt.substr(0, sep), v = opt.substr(sep + 1);
      if (k == "label" || k == "apparmor" || k == "seccomp") continue;
      if (k == "no-new-privileges") {
        static constexpr std::string_view kBools[] = {"1", "t", "T", "TRUE", "true", "True",
                                                      "0", "f", "F", "FALSE", "false", "False"};
        if (std::find(std::begin(kBools), std::end(kBools), v) != std::end(kBools)) continue;
      }
      return fail("invalid --security-opt 2: \"" + opt + "\"", EINVAL);
    }
  }
  return validate_log_config(h.log_config);
}

void set_paths(Record& r, const std::string& state_root) {
  std::string dir = state_root + "/containers/" + r.id;
  r.log_path = dir + "/" + r.id + "-json.log";
  r.hostname_path = dir + "/hostname";
  r.hosts_path = dir + "/hosts";
  r.resolv_conf_path = dir + "/resolv.conf";
}

Result<Record> record_from_create(const nlohmann::json& body, const std::string& name,
                                  const image::ImageConfig& image, const std::string& image_id) {
  auto config = decode_config(body);
  if (!config) return std::unexpected(config.error());
  const nlohmann::json* hc_json = nullptr;
  static const nlohmann::json kNull;
  if (auto it = body.find("HostConfig"); it != body.end()) hc_json = &*it;
  auto host = decode_host_config(hc_json ? *hc_json : kNull);
  if (!host) return std::unexpected(host.error());
  Config& c = *config;
  HostConfig& h = *host;

  if (h.network_mode.empty()) h.network_mode = "default";
  TRY(validate_request(c, h));
  if (h.restart_policy.name.empty()) h.restart_policy.name = "no";
  TRY(validate_config(c));
  TRY(validate_host_config(h));
  if (!name.empty()) TRY(validate_name(name));

  // daemon.create: merge the image, then the command check.
  merge_image_config(c, image.config);
  if (c.entrypoint && c.entrypoint->size() == 1 && c.entrypoint->front().empty()) c.entrypoint.reset();
  if ((!c.entrypoint || c.entrypoint->empty()) && (!c.cmd || c.cmd->empty()))
    return fail("No command specified", EINVAL);
  if (h.log_config.type.empty()) h.log_config.type = "json-file";

  // adaptContainerSettings: Docker's create-time defaults.
  if (h.memory > 0 && h.memory_swap == 0) h.memory_swap = h.memory * 2;
  if (h.shm_size == 0) h.shm_size = kDefaultShmSize;
  if (h.ipc_mode.empty()) h.ipc_mode = "private";
  if (h.cgroupns_mode.empty()) {
    // Docker: host on cgroup v1 (this host), private on a unified hierarchy.
    h.cgroupns_mode = path_exists("/sys/fs/cgroup/cgroup.controllers") && !h.privileged ? "private" : "host";
  }
  if (!h.oom_kill_disable) h.oom_kill_disable = false;
  if (h.runtime.empty()) h.runtime = "runc";
  if (c.working_dir.size() > 1) {
    // filepath.Clean for the common cases: trailing and doubled slashes.
    std::string clean;
    for (char ch : c.working_dir)
      if (!(ch == '/' && !clean.empty() && clean.back() == '/')) clean += ch;
    if (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    c.working_dir = clean;
  }

  Record r;
  r.id = generate_id();
  r.name = name.empty() ? std::string{} : canonical_name(name);
  r.created = image::rfc3339_now();
  r.image_id = image_id;
  if (c.hostname.empty()) {
    if (h.network_mode == "host") {
      char buf[256] = {};
      if (::gethostname(buf, sizeof buf - 1) != 0) return fail_errno("gethostname");
      c.hostname = buf;
    } else {
      c.hostname = r.id.substr(0, 12);
    }
  }
  if (c.entrypoint && !c.entrypoint->empty()) {
    r.path = c.entrypoint->front();
    r.args.assign(c.entrypoint->begin() + 1, c.entrypoint->end());
    if (c.cmd) r.args.insert(r.args.end(), c.cmd->begin(), c.cmd->end());
  } else {
    r.path = c.cmd->front();
    r.args.assign(c.cmd->begin() + 1, c.cmd->end());
  }
  for (const auto& opt : h.security_opt.value_or(std::vector<std::string>{})) {
    if (opt.starts_with("apparmor=")) r.apparmor_profile = opt.substr(9);
    if (opt.starts_with("apparmor:")) r.apparmor_profile = opt.substr(9);
  }
  r.config = std::move(c);
  r.host_config = std::move(h);
  return r;
}

}  // namespace stack::container
