// A small reflection over the compose model: for every struct of types.h,
// visit_fields(s, v) calls v(key, field, flags) once per field, in compose-go's
// struct order (the order `docker compose config` prints). Decode, encode and
// anything else that walks the model (config hash, diffs) are written once,
// generically, on top of it.
//
// A visitor is any callable accepting (std::string_view key, Field& field,
// FieldFlags flags); generic lambdas work:
//   visit_fields(service, [&](std::string_view key, auto& field, FieldFlags flags = {}) { ... });
// `s` may be const or not; fields are passed with the same constness.
// Extensions (x-* keys) are passed last with key kExtensionsKey, except where
// compose-go places them elsewhere (ServiceDependency).
#pragma once

#include <concepts>
#include <string_view>
#include <type_traits>

#include "compose/types.h"

namespace stack::compose {

// Shape tests the generic decode/encode walks dispatch on.
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class T>
struct IsMap : std::false_type {};
template <class T>
struct IsMap<std::map<std::string, T>> : std::true_type {};

template <class T>
inline constexpr bool kAlwaysFalse = false;


// How a field is decoded and printed beyond what its C++ type says.
enum FieldFlag : unsigned {
  kFieldDefault = 0,
  kAlways = 1u << 0,        // no omitempty: printed even when zero
  kOptOut = 1u << 1,        // bool defaulting to true, printed only when false (compose-go OptOut)
  kJsonAlways = 1u << 2,    // omitempty in YAML but not in JSON (command, entrypoint: null)
  kOctalMode = 1u << 3,     // file mode: int read as octal when written with a leading 0 or quoted, printed "0444"
  kDeviceCount = 1u << 4,   // int that also accepts "all" (= -1)
  kStringOrList = 1u << 5,  // a string is accepted as a one-item list
  kJsonCapitalized = 1u << 6,  // JSON key is the Go field name (no json tag): "Path", "Rate", "Weight"
};
using FieldFlags = unsigned;

inline constexpr std::string_view kExtensionsKey = "x-*";

// S is T or const T.
template <class S, class T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

template <Is<UlimitsConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("single", s.single, kFieldDefault);
  v("soft", s.soft, kFieldDefault);
  v("hard", s.hard, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<FileReferenceConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("source", s.source, kFieldDefault);
  v("target", s.target, kFieldDefault);
  v("uid", s.uid, kFieldDefault);
  v("gid", s.gid, kFieldDefault);
  v("mode", s.mode, kOctalMode);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<BuildConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("context", s.context, kFieldDefault);
  v("dockerfile", s.dockerfile, kFieldDefault);
  v("dockerfile_inline", s.dockerfile_inline, kFieldDefault);
  v("entitlements", s.entitlements, kFieldDefault);
  v("args", s.args, kFieldDefault);
  v("provenance", s.provenance, kFieldDefault);
  v("sbom", s.sbom, kFieldDefault);
  v("ssh", s.ssh, kFieldDefault);
  v("labels", s.labels, kFieldDefault);
  v("cache_from", s.cache_from, kFieldDefault);
  v("cache_to", s.cache_to, kFieldDefault);
  v("no_cache", s.no_cache, kFieldDefault);
  v("no_cache_filter", s.no_cache_filter, kStringOrList);
  v("additional_contexts", s.additional_contexts, kFieldDefault);
  v("pull", s.pull, kFieldDefault);
  v("extra_hosts", s.extra_hosts, kFieldDefault);
  v("isolation", s.isolation, kFieldDefault);
  v("network", s.network, kFieldDefault);
  v("target", s.target, kFieldDefault);
  v("secrets", s.secrets, kFieldDefault);
  v("shm_size", s.shm_size, kFieldDefault);
  v("tags", s.tags, kFieldDefault);
  v("ulimits", s.ulimits, kFieldDefault);
  v("platforms", s.platforms, kFieldDefault);
  v("privileged", s.privileged, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceHook> S, class V>
void visit_fields(S& s, V&& v) {
  v("command", s.command, kJsonAlways);
  v("image", s.image, kFieldDefault);
  v("user", s.user, kFieldDefault);
  v("privileged", s.privileged, kFieldDefault);
  v("working_dir", s.working_dir, kFieldDefault);
  v("environment", s.environment, kFieldDefault);
  v("per_replica", s.per_replica, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<WatchTrigger> S, class V>
void visit_fields(S& s, V&& v) {
  v("path", s.path, kAlways);
  v("action", s.action, kAlways);
  v("target", s.target, kFieldDefault);
  v("exec", s.exec, kFieldDefault);
  v("include", s.include, kStringOrList);
  v("ignore", s.ignore, kStringOrList);
  v("initial_sync", s.initial_sync, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<DevelopConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("watch", s.watch, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<WeightDevice> S, class V>
void visit_fields(S& s, V&& v) {
  v("path", s.path, kAlways | kJsonCapitalized);
  v("weight", s.weight, kAlways | kJsonCapitalized);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ThrottleDevice> S, class V>
void visit_fields(S& s, V&& v) {
  v("path", s.path, kAlways | kJsonCapitalized);
  v("rate", s.rate, kAlways | kJsonCapitalized);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<BlkioConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("weight", s.weight, kFieldDefault);
  v("weight_device", s.weight_device, kFieldDefault);
  v("device_read_bps", s.device_read_bps, kFieldDefault);
  v("device_read_iops", s.device_read_iops, kFieldDefault);
  v("device_write_bps", s.device_write_bps, kFieldDefault);
  v("device_write_iops", s.device_write_iops, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<DeviceRequest> S, class V>
void visit_fields(S& s, V&& v) {
  v("capabilities", s.capabilities, kFieldDefault);
  v("driver", s.driver, kFieldDefault);
  v("count", s.count, kDeviceCount);
  v("device_ids", s.device_ids, kFieldDefault);
  v("options", s.options, kFieldDefault);
}

template <Is<DiscreteGenericResource> S, class V>
void visit_fields(S& s, V&& v) {
  v("kind", s.kind, kAlways);
  v("value", s.value, kAlways);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<GenericResource> S, class V>
void visit_fields(S& s, V&& v) {
  v("discrete_resource_spec", s.discrete_resource_spec, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<Resource> S, class V>
void visit_fields(S& s, V&& v) {
  v("cpus", s.cpus, kFieldDefault);
  v("memory", s.memory, kFieldDefault);
  v("pids", s.pids, kFieldDefault);
  v("devices", s.devices, kFieldDefault);
  v("generic_resources", s.generic_resources, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<Resources> S, class V>
void visit_fields(S& s, V&& v) {
  v("limits", s.limits, kFieldDefault);
  v("reservations", s.reservations, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<UpdateConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("parallelism", s.parallelism, kFieldDefault);
  v("delay", s.delay, kFieldDefault);
  v("failure_action", s.failure_action, kFieldDefault);
  v("monitor", s.monitor, kFieldDefault);
  v("max_failure_ratio", s.max_failure_ratio, kFieldDefault);
  v("order", s.order, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<RestartPolicy> S, class V>
void visit_fields(S& s, V&& v) {
  v("condition", s.condition, kFieldDefault);
  v("delay", s.delay, kFieldDefault);
  v("max_attempts", s.max_attempts, kFieldDefault);
  v("window", s.window, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<PlacementPreferences> S, class V>
void visit_fields(S& s, V&& v) {
  v("spread", s.spread, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<Placement> S, class V>
void visit_fields(S& s, V&& v) {
  v("constraints", s.constraints, kFieldDefault);
  v("preferences", s.preferences, kFieldDefault);
  v("max_replicas_per_node", s.max_replicas_per_node, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<DeployConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("mode", s.mode, kFieldDefault);
  v("replicas", s.replicas, kFieldDefault);
  v("labels", s.labels, kFieldDefault);
  v("update_config", s.update_config, kFieldDefault);
  v("rollback_config", s.rollback_config, kFieldDefault);
  v("resources", s.resources, kFieldDefault);
  v("restart_policy", s.restart_policy, kFieldDefault);
  v("placement", s.placement, kFieldDefault);
  v("endpoint_mode", s.endpoint_mode, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<CredentialSpecConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("config", s.config, kFieldDefault);
  v("file", s.file, kFieldDefault);
  v("registry", s.registry, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

// compose-go declares Extensions before Required, but YAML prints inline maps last anyway.
template <Is<ServiceDependency> S, class V>
void visit_fields(S& s, V&& v) {
  v("condition", s.condition, kFieldDefault);
  v("restart", s.restart, kFieldDefault);
  v("required", s.required, kAlways);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<DeviceMapping> S, class V>
void visit_fields(S& s, V&& v) {
  v("source", s.source, kFieldDefault);
  v("target", s.target, kFieldDefault);
  v("permissions", s.permissions, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<EnvFile> S, class V>
void visit_fields(S& s, V&& v) {
  v("path", s.path, kFieldDefault);
  v("required", s.required, kOptOut);
  v("format", s.format, kFieldDefault);
}

template <Is<ExtendsConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("file", s.file, kFieldDefault);
  v("service", s.service, kFieldDefault);
}

template <Is<HealthCheckConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("test", s.test, kFieldDefault);
  v("timeout", s.timeout, kFieldDefault);
  v("interval", s.interval, kFieldDefault);
  v("retries", s.retries, kFieldDefault);
  v("start_period", s.start_period, kFieldDefault);
  v("start_interval", s.start_interval, kFieldDefault);
  v("disable", s.disable, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<LoggingConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("driver", s.driver, kFieldDefault);
  v("options", s.options, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceModelConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("endpoint_var", s.endpoint_var, kFieldDefault);
  v("model_var", s.model_var, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceNetworkConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("aliases", s.aliases, kFieldDefault);
  v("driver_opts", s.driver_opts, kFieldDefault);
  v("gw_priority", s.gw_priority, kFieldDefault);
  v("interface_name", s.interface_name, kFieldDefault);
  v("ipv4_address", s.ipv4_address, kFieldDefault);
  v("ipv6_address", s.ipv6_address, kFieldDefault);
  v("link_local_ips", s.link_local_ips, kFieldDefault);
  v("mac_address", s.mac_address, kFieldDefault);
  v("priority", s.priority, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServicePortConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("name", s.name, kFieldDefault);
  v("mode", s.mode, kFieldDefault);
  v("host_ip", s.host_ip, kFieldDefault);
  v("target", s.target, kFieldDefault);
  v("published", s.published, kFieldDefault);
  v("protocol", s.protocol, kFieldDefault);
  v("app_protocol", s.app_protocol, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceProviderConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("type", s.type, kFieldDefault);
  v("options", s.options, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceVolumeBind> S, class V>
void visit_fields(S& s, V&& v) {
  v("selinux", s.selinux, kFieldDefault);
  v("propagation", s.propagation, kFieldDefault);
  v("create_host_path", s.create_host_path, kOptOut);
  v("recursive", s.recursive, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceVolumeVolume> S, class V>
void visit_fields(S& s, V&& v) {
  v("labels", s.labels, kFieldDefault);
  v("nocopy", s.nocopy, kFieldDefault);
  v("subpath", s.subpath, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceVolumeTmpfs> S, class V>
void visit_fields(S& s, V&& v) {
  v("size", s.size, kFieldDefault);
  v("mode", s.mode, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceVolumeImage> S, class V>
void visit_fields(S& s, V&& v) {
  v("subpath", s.subpath, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceVolumeConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("type", s.type, kFieldDefault);
  v("source", s.source, kFieldDefault);
  v("target", s.target, kFieldDefault);
  v("read_only", s.read_only, kFieldDefault);
  v("consistency", s.consistency, kFieldDefault);
  v("bind", s.bind, kFieldDefault);
  v("volume", s.volume, kFieldDefault);
  v("tmpfs", s.tmpfs, kFieldDefault);
  v("image", s.image, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ServiceConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("profiles", s.profiles, kFieldDefault);
  v("annotations", s.annotations, kFieldDefault);
  v("attach", s.attach, kFieldDefault);
  v("build", s.build, kFieldDefault);
  v("develop", s.develop, kFieldDefault);
  v("blkio_config", s.blkio_config, kFieldDefault);
  v("cap_add", s.cap_add, kFieldDefault);
  v("cap_drop", s.cap_drop, kFieldDefault);
  v("cgroup_parent", s.cgroup_parent, kFieldDefault);
  v("cgroup", s.cgroup, kFieldDefault);
  v("cpu_count", s.cpu_count, kFieldDefault);
  v("cpu_percent", s.cpu_percent, kFieldDefault);
  v("cpu_period", s.cpu_period, kFieldDefault);
  v("cpu_quota", s.cpu_quota, kFieldDefault);
  v("cpu_rt_period", s.cpu_rt_period, kFieldDefault);
  v("cpu_rt_runtime", s.cpu_rt_runtime, kFieldDefault);
  v("cpus", s.cpus, kFieldDefault);
  v("cpuset", s.cpuset, kFieldDefault);
  v("cpu_shares", s.cpu_shares, kFieldDefault);
  v("command", s.command, kJsonAlways);
  v("configs", s.configs, kFieldDefault);
  v("container_name", s.container_name, kFieldDefault);
  v("credential_spec", s.credential_spec, kFieldDefault);
  v("depends_on", s.depends_on, kFieldDefault);
  v("deploy", s.deploy, kFieldDefault);
  v("device_cgroup_rules", s.device_cgroup_rules, kFieldDefault);
  v("devices", s.devices, kFieldDefault);
  v("dns", s.dns, kStringOrList);
  v("dns_opt", s.dns_opt, kFieldDefault);
  v("dns_search", s.dns_search, kStringOrList);
  v("domainname", s.domainname, kFieldDefault);
  v("entrypoint", s.entrypoint, kJsonAlways);
  v("provider", s.provider, kFieldDefault);
  v("environment", s.environment, kFieldDefault);
  v("env_file", s.env_file, kFieldDefault);
  v("expose", s.expose, kFieldDefault);
  v("extends", s.extends, kFieldDefault);
  v("external_links", s.external_links, kFieldDefault);
  v("extra_hosts", s.extra_hosts, kFieldDefault);
  v("group_add", s.group_add, kFieldDefault);
  v("gpus", s.gpus, kFieldDefault);
  v("hostname", s.hostname, kFieldDefault);
  v("healthcheck", s.healthcheck, kFieldDefault);
  v("image", s.image, kFieldDefault);
  v("init", s.init, kFieldDefault);
  v("ipc", s.ipc, kFieldDefault);
  v("isolation", s.isolation, kFieldDefault);
  v("labels", s.labels, kFieldDefault);
  v("label_file", s.label_file, kStringOrList);
  v("links", s.links, kFieldDefault);
  v("logging", s.logging, kFieldDefault);
  v("mem_limit", s.mem_limit, kFieldDefault);
  v("mem_reservation", s.mem_reservation, kFieldDefault);
  v("memswap_limit", s.memswap_limit, kFieldDefault);
  v("mem_swappiness", s.mem_swappiness, kFieldDefault);
  v("mac_address", s.mac_address, kFieldDefault);
  v("models", s.models, kFieldDefault);
  v("network_mode", s.network_mode, kFieldDefault);
  v("networks", s.networks, kFieldDefault);
  v("oom_kill_disable", s.oom_kill_disable, kFieldDefault);
  v("oom_score_adj", s.oom_score_adj, kFieldDefault);
  v("pid", s.pid, kFieldDefault);
  v("pids_limit", s.pids_limit, kFieldDefault);
  v("platform", s.platform, kFieldDefault);
  v("ports", s.ports, kFieldDefault);
  v("privileged", s.privileged, kFieldDefault);
  v("pull_policy", s.pull_policy, kFieldDefault);
  v("read_only", s.read_only, kFieldDefault);
  v("restart", s.restart, kFieldDefault);
  v("runtime", s.runtime, kFieldDefault);
  v("scale", s.scale, kFieldDefault);
  v("secrets", s.secrets, kFieldDefault);
  v("security_opt", s.security_opt, kFieldDefault);
  v("shm_size", s.shm_size, kFieldDefault);
  v("stdin_open", s.stdin_open, kFieldDefault);
  v("stop_grace_period", s.stop_grace_period, kFieldDefault);
  v("stop_signal", s.stop_signal, kFieldDefault);
  v("storage_opt", s.storage_opt, kFieldDefault);
  v("sysctls", s.sysctls, kFieldDefault);
  v("tmpfs", s.tmpfs, kStringOrList);
  v("tty", s.tty, kFieldDefault);
  v("ulimits", s.ulimits, kFieldDefault);
  v("use_api_socket", s.use_api_socket, kFieldDefault);
  v("user", s.user, kFieldDefault);
  v("userns_mode", s.userns_mode, kFieldDefault);
  v("uts", s.uts, kFieldDefault);
  v("volumes", s.volumes, kFieldDefault);
  v("volumes_from", s.volumes_from, kFieldDefault);
  v("working_dir", s.working_dir, kFieldDefault);
  v("pre_start", s.pre_start, kFieldDefault);
  v("post_start", s.post_start, kFieldDefault);
  v("pre_stop", s.pre_stop, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<IPAMPool> S, class V>
void visit_fields(S& s, V&& v) {
  v("subnet", s.subnet, kFieldDefault);
  v("gateway", s.gateway, kFieldDefault);
  v("ip_range", s.ip_range, kFieldDefault);
  v("aux_addresses", s.aux_addresses, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<IPAMConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("driver", s.driver, kFieldDefault);
  v("config", s.config, kFieldDefault);
  v("options", s.options, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<NetworkConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("name", s.name, kFieldDefault);
  v("driver", s.driver, kFieldDefault);
  v("driver_opts", s.driver_opts, kFieldDefault);
  v("ipam", s.ipam, kFieldDefault);
  v("external", s.external, kFieldDefault);
  v("internal", s.internal, kFieldDefault);
  v("attachable", s.attachable, kFieldDefault);
  v("labels", s.labels, kFieldDefault);
  v("enable_ipv4", s.enable_ipv4, kFieldDefault);
  v("enable_ipv6", s.enable_ipv6, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<VolumeConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("name", s.name, kFieldDefault);
  v("driver", s.driver, kFieldDefault);
  v("driver_opts", s.driver_opts, kFieldDefault);
  v("external", s.external, kFieldDefault);
  v("labels", s.labels, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<FileObjectConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("name", s.name, kFieldDefault);
  v("file", s.file, kFieldDefault);
  v("environment", s.environment, kFieldDefault);
  v("content", s.content, kFieldDefault);
  v("external", s.external, kFieldDefault);
  v("labels", s.labels, kFieldDefault);
  v("driver", s.driver, kFieldDefault);
  v("driver_opts", s.driver_opts, kFieldDefault);
  v("template_driver", s.template_driver, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

template <Is<ModelConfig> S, class V>
void visit_fields(S& s, V&& v) {
  v("name", s.name, kFieldDefault);
  v("model", s.model, kFieldDefault);
  v("context_size", s.context_size, kFieldDefault);
  v("runtime_flags", s.runtime_flags, kFieldDefault);
  v(kExtensionsKey, s.extensions, kFieldDefault);
}

// True for the structs above (the ones visit_fields walks).
template <class T>
concept Reflected = requires(T& t) { visit_fields(t, [](std::string_view, auto&, FieldFlags) {}); };

}  // namespace stack::compose
