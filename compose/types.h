// The typed Compose model, decoded from the canonical Node tree (CANONICAL.md)
// and printed back by encode. Field names and meanings follow compose-go v2's
// types package; the order of fields in compose/fields.h is compose-go's struct
// order, which is the output order of `docker compose config`.
//
// Representation rule: where compose-go uses a pointer (nil = unset) we use
// std::optional; where it uses a plain value with `omitempty` we use the plain
// value and the zero value means "unset" (and is omitted on output), exactly as
// compose-go does. Maps are std::map; the encoder applies Go's key order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compose/node.h"
#include "compose/source_map.h"
#include "compose/units.h"

namespace stack::compose {

// x-* keys of a mapping, in source order (the encoder sorts them as Go does).
struct Extensions {
  std::vector<Entry> entries;

  bool empty() const { return entries.empty(); }
  const Node* find(std::string_view key) const {
    for (const Entry& e : entries)
      if (e.key == key) return &e.value;
    return nullptr;
  }
  // Keys and values (positions ignored).
  bool operator==(const Extensions& other) const {
    if (entries.size() != other.entries.size()) return false;
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].key != other.entries[i].key || !(entries[i].value == other.entries[i].value)) return false;
    return true;
  }
};

using StringMap = std::map<std::string, std::string>;                       // Labels, Mapping, Options
using OptionalStringMap = std::map<std::string, std::optional<std::string>>;  // MappingWithEquals: null = unset
using StringList = std::vector<std::string>;
// command / entrypoint: nullopt = not set (use the image's), empty = explicitly cleared.
using ShellCommand = std::optional<std::vector<std::string>>;
// extra_hosts: host -> IPs (printed as sorted "host=ip" strings).
using HostsList = std::map<std::string, std::vector<std::string>>;

// --- build -----------------------------------------------------------------

struct UlimitsConfig {
  int64_t single = 0;  // `nofile: 1024` form; when set, soft and hard are 0
  int64_t soft = 0;
  int64_t hard = 0;
  Extensions extensions;
  bool operator==(const UlimitsConfig&) const = default;
};

// Service secrets/configs reference (compose-go FileReferenceConfig).
struct FileReferenceConfig {
  std::string source;
  std::string target;
  std::string uid;
  std::string gid;
  std::optional<int64_t> mode;  // file mode bits; printed as an octal string "0444"
  Extensions extensions;
  bool operator==(const FileReferenceConfig&) const = default;
};
using ServiceSecretConfig = FileReferenceConfig;
using ServiceConfigObjConfig = FileReferenceConfig;

struct SSHKey {
  std::string id;
  std::string path;  // empty: the default agent socket
  bool operator==(const SSHKey&) const = default;
};

struct BuildConfig {
  std::string context;
  std::string dockerfile;
  std::string dockerfile_inline;
  StringList entitlements;
  OptionalStringMap args;
  std::string provenance;
  std::string sbom;
  std::vector<SSHKey> ssh;
  StringMap labels;
  StringList cache_from;
  StringList cache_to;
  bool no_cache = false;
  StringList no_cache_filter;
  StringMap additional_contexts;
  bool pull = false;
  HostsList extra_hosts;
  std::string isolation;
  std::string network;
  std::string target;
  std::vector<ServiceSecretConfig> secrets;
  UnitBytes shm_size;
  StringList tags;
  std::map<std::string, UlimitsConfig> ulimits;
  StringList platforms;
  bool privileged = false;
  Extensions extensions;
  bool operator==(const BuildConfig&) const = default;
};

// --- develop, hooks ----------------------------------------------------------

struct ServiceHook {
  ShellCommand command;
  std::string image;
  std::string user;
  bool privileged = false;
  std::string working_dir;
  OptionalStringMap environment;
  bool per_replica = false;
  Extensions extensions;
  bool operator==(const ServiceHook&) const = default;
};

struct WatchTrigger {
  std::string path;    // always printed
  std::string action;  // always printed: sync, rebuild, restart, sync+restart, sync+exec
  std::string target;
  ServiceHook exec;
  StringList include;
  StringList ignore;
  bool initial_sync = false;
  Extensions extensions;
  bool operator==(const WatchTrigger&) const = default;
};

struct DevelopConfig {
  std::vector<WatchTrigger> watch;
  Extensions extensions;
  bool operator==(const DevelopConfig&) const = default;
};

// --- resources ---------------------------------------------------------------

struct WeightDevice {
  std::string path;
  int64_t weight = 0;  // uint16 in compose-go
  Extensions extensions;
  bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
  std::string path;
  UnitBytes rate;
  Extensions extensions;
  bool operator==(const ThrottleDevice&) const = default;
};

struct BlkioConfig {
  int64_t weight = 0;  // uint16 in compose-go
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> device_read_bps;
  std::vector<ThrottleDevice> device_read_iops;
  std::vector<ThrottleDevice> device_write_bps;
  std::vector<ThrottleDevice> device_write_iops;
  Extensions extensions;
  bool operator==(const BlkioConfig&) const = default;
};

// deploy.resources.*.devices and gpus.
struct DeviceRequest {
  StringList capabilities;
  std::string driver;
  int64_t count = 0;  // "all" is -1
  StringList device_ids;
  StringMap options;
  bool operator==(const DeviceRequest&) const = default;
};

struct DiscreteGenericResource {
  std::string kind;  // always printed
  int64_t value = 0; // always printed
  Extensions extensions;
  bool operator==(const DiscreteGenericResource&) const = default;
};

struct GenericResource {
  std::optional<DiscreteGenericResource> discrete_resource_spec;
  Extensions extensions;
  bool operator==(const GenericResource&) const = default;
};

struct Resource {
  float cpus = 0;  // NanoCPUs (float32) in compose-go
  UnitBytes memory;
  int64_t pids = 0;
  std::vector<DeviceRequest> devices;
  std::vector<GenericResource> generic_resources;
  Extensions extensions;
  bool operator==(const Resource&) const = default;
};

struct Resources {
  std::optional<Resource> limits;
  std::optional<Resource> reservations;
  Extensions extensions;
  bool operator==(const Resources&) const = default;
};

struct UpdateConfig {
  std::optional<uint64_t> parallelism;
  Duration delay;
  std::string failure_action;
  Duration monitor;
  float max_failure_ratio = 0;
  std::string order;
  Extensions extensions;
  bool operator==(const UpdateConfig&) const = default;
};

struct RestartPolicy {
  std::string condition;
  std::optional<Duration> delay;
  std::optional<uint64_t> max_attempts;
  std::optional<Duration> window;
  Extensions extensions;
  bool operator==(const RestartPolicy&) const = default;
};

struct PlacementPreferences {
  std::string spread;
  Extensions extensions;
  bool operator==(const PlacementPreferences&) const = default;
};

struct Placement {
  StringList constraints;
  std::vector<PlacementPreferences> preferences;
  uint64_t max_replicas_per_node = 0;
  Extensions extensions;
  bool operator==(const Placement&) const = default;
};

struct DeployConfig {
  std::string mode;
  std::optional<int64_t> replicas;
  StringMap labels;
  std::optional<UpdateConfig> update_config;
  std::optional<UpdateConfig> rollback_config;
  Resources resources;
  std::optional<RestartPolicy> restart_policy;
  Placement placement;
  std::string endpoint_mode;
  Extensions extensions;
  bool operator==(const DeployConfig&) const = default;
};

// --- smaller service sub-objects --------------------------------------------

struct CredentialSpecConfig {
  std::string config;
  std::string file;
  std::string registry;
  Extensions extensions;
  bool operator==(const CredentialSpecConfig&) const = default;
};

struct ServiceDependency {
  std::string condition;  // service_started | service_healthy | service_completed_successfully
  bool restart = false;
  Extensions extensions;
  bool required = true;   // always printed
  bool operator==(const ServiceDependency&) const = default;
};

struct DeviceMapping {
  std::string source;
  std::string target;
  std::string permissions;
  Extensions extensions;
  bool operator==(const DeviceMapping&) const = default;
};

struct EnvFile {
  std::string path;
  bool required = true;  // compose-go OptOut: printed only when false
  std::string format;
  bool operator==(const EnvFile&) const = default;
};

struct ExtendsConfig {
  std::string file;
  std::string service;
  bool operator==(const ExtendsConfig&) const = default;
};

struct HealthCheckConfig {
  StringList test;  // ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"]
  std::optional<Duration> timeout;
  std::optional<Duration> interval;
  std::optional<uint64_t> retries;
  std::optional<Duration> start_period;
  std::optional<Duration> start_interval;
  bool disable = false;
  Extensions extensions;
  bool operator==(const HealthCheckConfig&) const = default;
};

struct LoggingConfig {
  std::string driver;
  StringMap options;
  Extensions extensions;
  bool operator==(const LoggingConfig&) const = default;
};

struct ServiceModelConfig {
  std::string endpoint_var;
  std::string model_var;
  Extensions extensions;
  bool operator==(const ServiceModelConfig&) const = default;
};

struct ServiceNetworkConfig {
  StringList aliases;
  StringMap driver_opts;
  int64_t gw_priority = 0;
  std::string interface_name;
  std::string ipv4_address;
  std::string ipv6_address;
  StringList link_local_ips;
  std::string mac_address;
  int64_t priority = 0;
  Extensions extensions;
  bool operator==(const ServiceNetworkConfig&) const = default;
};

struct ServicePortConfig {
  std::string name;
  std::string mode;  // ingress | host
  std::string host_ip;
  uint32_t target = 0;
  std::string published;  // a port or a range "8000-8010"; printed as a string
  std::string protocol;   // tcp | udp
  std::string app_protocol;
  Extensions extensions;
  bool operator==(const ServicePortConfig&) const = default;
};

struct ServiceProviderConfig {
  std::string type;
  std::map<std::string, std::vector<std::string>> options;
  Extensions extensions;
  bool operator==(const ServiceProviderConfig&) const = default;
};

struct ServiceVolumeBind {
  std::string selinux;      // z | Z
  std::string propagation;  // rprivate, private, rshared, shared, rslave, slave
  bool create_host_path = true;  // compose-go OptOut: printed only when false
  std::string recursive;    // enabled | disabled | writable | readonly
  Extensions extensions;
  bool operator==(const ServiceVolumeBind&) const = default;
};

struct ServiceVolumeVolume {
  StringMap labels;
  bool nocopy = false;
  std::string subpath;
  Extensions extensions;
  bool operator==(const ServiceVolumeVolume&) const = default;
};

struct ServiceVolumeTmpfs {
  UnitBytes size;
  uint32_t mode = 0;
  Extensions extensions;
  bool operator==(const ServiceVolumeTmpfs&) const = default;
};

struct ServiceVolumeImage {
  std::string subpath;
  Extensions extensions;
  bool operator==(const ServiceVolumeImage&) const = default;
};

struct ServiceVolumeConfig {
  std::string type;  // volume | bind | tmpfs | npipe | cluster | image
  std::string source;
  std::string target;
  bool read_only = false;
  std::string consistency;
  std::optional<ServiceVolumeBind> bind;
  std::optional<ServiceVolumeVolume> volume;
  std::optional<ServiceVolumeTmpfs> tmpfs;
  std::optional<ServiceVolumeImage> image;
  Extensions extensions;
  bool operator==(const ServiceVolumeConfig&) const = default;
};

// --- the service -------------------------------------------------------------

struct ServiceConfig {
  std::string name;  // the key under `services`; not printed inside the service
  StringList profiles;
  StringMap annotations;
  std::optional<bool> attach;
  std::optional<BuildConfig> build;
  std::optional<DevelopConfig> develop;
  std::optional<BlkioConfig> blkio_config;
  StringList cap_add;
  StringList cap_drop;
  std::string cgroup_parent;
  std::string cgroup;
  int64_t cpu_count = 0;
  float cpu_percent = 0;
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;
  int64_t cpu_rt_period = 0;
  int64_t cpu_rt_runtime = 0;
  float cpus = 0;
  std::string cpuset;
  int64_t cpu_shares = 0;
  ShellCommand command;
  std::vector<ServiceConfigObjConfig> configs;
  std::string container_name;
  std::optional<CredentialSpecConfig> credential_spec;
  std::map<std::string, ServiceDependency> depends_on;
  std::optional<DeployConfig> deploy;
  StringList device_cgroup_rules;
  std::vector<DeviceMapping> devices;
  StringList dns;
  StringList dns_opt;
  StringList dns_search;
  std::string domainname;
  ShellCommand entrypoint;
  std::optional<ServiceProviderConfig> provider;
  OptionalStringMap environment;
  std::vector<EnvFile> env_file;
  StringList expose;
  std::optional<ExtendsConfig> extends;
  StringList external_links;
  HostsList extra_hosts;
  StringList group_add;
  std::vector<DeviceRequest> gpus;
  std::string hostname;
  std::optional<HealthCheckConfig> healthcheck;
  std::string image;
  std::optional<bool> init;
  std::string ipc;
  std::string isolation;
  StringMap labels;
  StringList label_file;
  StringList links;
  std::optional<LoggingConfig> logging;
  UnitBytes mem_limit;
  UnitBytes mem_reservation;
  UnitBytes memswap_limit;
  UnitBytes mem_swappiness;  // UnitBytes in compose-go too
  std::string mac_address;
  // A model listed without options maps to nullopt (printed as null).
  std::map<std::string, std::optional<ServiceModelConfig>> models;
  std::string network_mode;
  // A network listed without options maps to nullopt (printed as null).
  std::map<std::string, std::optional<ServiceNetworkConfig>> networks;
  bool oom_kill_disable = false;
  int64_t oom_score_adj = 0;
  std::string pid;
  int64_t pids_limit = 0;
  std::string platform;
  std::vector<ServicePortConfig> ports;
  bool privileged = false;
  std::string pull_policy;
  bool read_only = false;
  std::string restart;
  std::string runtime;
  std::optional<int64_t> scale;
  std::vector<ServiceSecretConfig> secrets;
  StringList security_opt;
  UnitBytes shm_size;
  bool stdin_open = false;
  std::optional<Duration> stop_grace_period;
  std::string stop_signal;
  StringMap storage_opt;
  StringMap sysctls;
  StringList tmpfs;
  bool tty = false;
  std::map<std::string, UlimitsConfig> ulimits;
  bool use_api_socket = false;
  std::string user;
  std::string userns_mode;
  std::string uts;
  std::vector<ServiceVolumeConfig> volumes;
  StringList volumes_from;
  std::string working_dir;
  std::vector<ServiceHook> pre_start;
  std::vector<ServiceHook> post_start;
  std::vector<ServiceHook> pre_stop;
  Extensions extensions;

  bool operator==(const ServiceConfig&) const = default;

  // compose-go GetScale: scale, else deploy.replicas, else 1.
  int64_t get_scale() const {
    if (scale) return *scale;
    if (deploy && deploy->replicas) return *deploy->replicas;
    return 1;
  }
  // Names of the services this one depends on (depends_on keys, sorted).
  std::vector<std::string> dependencies() const {
    std::vector<std::string> names;
    for (const auto& [name, dep] : depends_on) names.push_back(name);
    return names;
  }
};

// --- top-level objects -------------------------------------------------------

struct IPAMPool {
  std::string subnet;
  std::string gateway;
  std::string ip_range;
  StringMap aux_addresses;
  Extensions extensions;
  bool operator==(const IPAMPool&) const = default;
};

struct IPAMConfig {
  std::string driver;
  std::vector<IPAMPool> config;
  StringMap options;
  Extensions extensions;
  bool operator==(const IPAMConfig&) const = default;
};

struct NetworkConfig {
  std::string name;
  std::string driver;
  StringMap driver_opts;
  IPAMConfig ipam;
  bool external = false;
  bool internal = false;
  bool attachable = false;
  StringMap labels;
  std::optional<bool> enable_ipv4;
  std::optional<bool> enable_ipv6;
  Extensions extensions;
  bool operator==(const NetworkConfig&) const = default;
};

struct VolumeConfig {
  std::string name;
  std::string driver;
  StringMap driver_opts;
  bool external = false;
  StringMap labels;
  Extensions extensions;
  bool operator==(const VolumeConfig&) const = default;
};

// Top-level secrets and configs (compose-go FileObjectConfig).
struct FileObjectConfig {
  std::string name;
  std::string file;
  std::string environment;
  // Inline content; never printed for secrets, not printed for configs taken from `environment`.
  std::string content;
  bool external = false;
  StringMap labels;
  std::string driver;
  StringMap driver_opts;
  std::string template_driver;
  Extensions extensions;
  bool operator==(const FileObjectConfig&) const = default;
};
using SecretConfig = FileObjectConfig;
using ConfigObjConfig = FileObjectConfig;

struct ModelConfig {
  std::string name;
  std::string model;
  int64_t context_size = 0;
  StringList runtime_flags;
  Extensions extensions;
  bool operator==(const ModelConfig&) const = default;
};

struct Project {
  std::string name;
  std::string working_dir;                // not printed
  std::vector<std::string> config_files;  // not printed
  std::map<std::string, ServiceConfig> services;
  std::map<std::string, ServiceConfig> disabled_services;  // filtered out by profiles; not printed
  std::vector<std::string> profiles;                       // active profiles; not printed
  std::map<std::string, NetworkConfig> networks;
  std::map<std::string, VolumeConfig> volumes;
  std::map<std::string, SecretConfig> secrets;
  std::map<std::string, ConfigObjConfig> configs;
  std::map<std::string, ModelConfig> models;
  Extensions extensions;
  std::map<std::string, std::string> environment;  // the project's environment (process + .env); not printed
  // Where each key came from; shared so copies of a project stay cheap.
  std::shared_ptr<SourceMap> sources;

  // Enabled services, sorted by name.
  std::vector<std::string> service_names() const {
    std::vector<std::string> names;
    for (const auto& [name, service] : services) names.push_back(name);
    return names;
  }
};

}  // namespace stack::compose
