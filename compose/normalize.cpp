#include "compose/normalize.h"

#include "compose/paths.h"

#include <vector>

namespace stack::compose {
namespace {

constexpr std::string_view kServicePrefix = "service:";
constexpr std::string_view kContainerPrefix = "container:";

void add_implicit_dependency(ServiceConfig& service, const std::string& name, bool restart) {
  if (service.depends_on.contains(name)) return;
  ServiceDependency dependency;
  dependency.condition = "service_started";
  dependency.restart = restart;
  dependency.required = true;
  service.depends_on.emplace(name, std::move(dependency));
}

// Services join the default network unless they choose networks or a network mode.
void normalize_networks(Project& project) {
  bool uses_default = false;
  for (auto& [name, service] : project.services) {
    if (service.provider || !service.network_mode.empty()) continue;
    if (service.networks.empty()) service.networks.emplace("default", std::nullopt);
    if (service.networks.contains("default")) uses_default = true;
  }
  if (uses_default && !project.networks.contains("default")) project.networks.emplace("default", NetworkConfig{});
}

template <class T>
void name_from_key(const std::string& project_name, std::map<std::string, T>& resources) {
  for (auto& [key, resource] : resources) {
    if (!resource.name.empty()) continue;
    resource.name = resource.external ? key : project_name + "_" + key;
  }
}

void default_device_requests(std::vector<DeviceRequest>& requests) {
  for (DeviceRequest& request : requests)
    if (request.count == 0 && request.device_ids.empty()) request.count = -1;
}

void normalize_service(ServiceConfig& service, const std::map<std::string, std::string>& environment) {
  auto lookup = [&](const std::string& key) -> std::optional<std::string> {
    if (auto it = environment.find(key); it != environment.end()) return it->second;
    return std::nullopt;
  };

  if (service.pull_policy == "if_not_present") service.pull_policy = "missing";

  if (service.build) {
    BuildConfig& build = *service.build;
    if (build.context.empty()) build.context = ".";
    if (build.dockerfile.empty() && build.dockerfile_inline.empty()) build.dockerfile = "Dockerfile";
    for (auto it = build.args.begin(); it != build.args.end();) {
      if (!it->second) it->second = lookup(it->first);
      it = it->second ? std::next(it) : build.args.erase(it);
    }
  }

  for (auto& [key, value] : service.environment)
    if (!value) value = lookup(key);

  for (auto& [name, dependency] : service.depends_on)
    if (dependency.condition.empty()) dependency.condition = "service_started";

  for (const std::string& link : service.links) {
    // "service" or "service:alias"
    size_t colon = link.find(':');
    std::string target = link;
    if (colon != std::string::npos && link.find(':', colon + 1) == std::string::npos) target = link.substr(0, colon);
    add_implicit_dependency(service, target, true);
  }

  for (const std::string* ref : {&service.network_mode, &service.ipc, &service.pid, &service.uts, &service.cgroup}) {
    if (ref->starts_with(kServicePrefix)) add_implicit_dependency(service, ref->substr(kServicePrefix.size()), true);
  }

  for (ServiceVolumeConfig& volume : service.volumes) volume.target = clean_path(volume.target);

  for (const std::string& from : service.volumes_from) {
    if (from.starts_with(kContainerPrefix)) continue;
    add_implicit_dependency(service, from.substr(0, from.find(':')), false);
  }

  for (ServicePortConfig& port : service.ports) {
    if (port.protocol.empty()) port.protocol = "tcp";
    if (port.mode.empty()) port.mode = "ingress";
  }

  for (ServiceSecretConfig& secret : service.secrets)
    if (secret.target.empty()) secret.target = "/run/secrets/" + secret.source;

  default_device_requests(service.gpus);
  if (service.deploy && service.deploy->resources.reservations)
    default_device_requests(service.deploy->resources.reservations->devices);

  if (service.scale && service.deploy && !service.deploy->replicas) service.deploy->replicas = service.scale;

  if (!service.image.empty()) {
    for (ServiceHook& hook : service.pre_start)
      if (hook.image.empty()) hook.image = service.image;
  }
}

}  // namespace

Result<void> normalize_project(Project& project) {
  normalize_networks(project);
  for (auto& [name, service] : project.services) normalize_service(service, project.environment);
  name_from_key(project.name, project.networks);
  name_from_key(project.name, project.volumes);
  name_from_key(project.name, project.configs);
  name_from_key(project.name, project.secrets);
  return {};
}


}  // namespace stack::compose
