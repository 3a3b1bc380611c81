// compose-go loader/validate.go checkConsistency for one service: the same
// checks in the same order with the same words (the typo "mutualy" included,
// since users search for the exact text).
#include <algorithm>
#include <map>

#include "compose/graph.h"
#include "compose/validate.h"
#include "compose/validate_internal.h"

namespace stack::compose::validate_detail {

namespace {

constexpr std::string_view kInvalid = ": invalid compose project";
constexpr std::string_view kServicePrefix = "service:";

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

Result<void> check_image_or_build(const Project& project, const ServiceConfig& s, const std::string& base) {
  if (!s.build && s.image.empty() && !s.provider) {
    return fail_at_key(project, base,
                       "service " + quoted(s.name) + " has neither an image nor a build context specified" +
                           std::string(kInvalid));
  }
  if (!s.build) return {};
  const BuildConfig& build = *s.build;
  const std::string build_path = path_key(base, "build");
  if (!build.dockerfile_inline.empty() && !build.dockerfile.empty()) {
    return fail_at_key(project, path_key(build_path, "dockerfile_inline"),
                       "service " + quoted(s.name) + " declares mutualy exclusive dockerfile and dockerfile_inline" +
                           std::string(kInvalid));
  }
  for (const auto& [name, context] : build.additional_contexts) {
    if (!context.starts_with(kServicePrefix)) continue;
    const std::string target = context.substr(kServicePrefix.size());
    const std::string path = path_key(path_key(build_path, "additional_contexts"), name);
    auto it = project.services.find(target);
    if (it == project.services.end()) {
      return fail_at_key(project, path,
                         "service " + quoted(s.name) + " declares unknown service " + quoted(target) +
                             " as additional contexts " + name);
    }
    if (!it->second.build) {
      return fail_at_key(project, path,
                         "service " + quoted(s.name) + " declares non-buildable service " + quoted(target) +
                             " as additional contexts " + name);
    }
  }
  if (!build.platforms.empty() && !s.platform.empty() &&
      std::find(build.platforms.begin(), build.platforms.end(), s.platform) == build.platforms.end()) {
    return fail_at_key(project, path_key(base, "platform"),
                       "service.build.platforms MUST include service.platform " + quoted(s.platform) +
                           std::string(kInvalid));
  }
  return {};
}

Result<void> check_networks(const Project& project, const ServiceConfig& s, const std::string& base) {
  if (!s.network_mode.empty() && !s.networks.empty()) {
    return fail_at_key(project, path_key(base, "network_mode"),
                       "service " + s.name + " declares mutually exclusive `network_mode` and `networks`" +
                           std::string(kInvalid));
  }
  for (const auto& [network, config] : s.networks) {
    if (!project.networks.contains(network)) {
      return fail_at_key(project, path_key(path_key(base, "networks"), network),
                         "service " + quoted(s.name) + " refers to undefined network " + network +
                             std::string(kInvalid));
    }
  }
  return {};
}

Result<void> check_healthcheck_test(const Project& project, const ServiceConfig& s, const std::string& base) {
  if (!s.healthcheck || s.healthcheck->test.empty()) return {};
  const std::string& kind = s.healthcheck->test.front();
  if (kind == "CMD" || kind == "CMD-SHELL" || kind == "NONE") return {};
  return fail_at_key(project, path_key(base, "healthcheck.test"),
                     "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"");
}

// depends_on, plus the references compose-go's normalize turns into depends_on
// entries (links, ipc/pid/uts/cgroup "service:x", volumes_from), so the result
// is the same whether or not our normalize has already folded them in.
// network_mode has its own message, below.
Result<void> check_dependencies(const Project& project, const ServiceConfig& s) {
  for (const ServiceReference& ref : service_references(s)) {
    if (ref.kind == DependencyKind::NetworkMode) continue;
    if (project.services.contains(ref.service)) continue;
    if (!ref.required && project.disabled_services.contains(ref.service)) continue;
    return fail_at_key(project, ref.key_path,
                       "service " + quoted(s.name) + " depends on undefined service " + quoted(ref.service) +
                           std::string(kInvalid));
  }
  if (s.network_mode.starts_with(kServicePrefix)) {
    const std::string target = s.network_mode.substr(kServicePrefix.size());
    if (!project.services.contains(target)) {
      return fail_at_key(project, path_key(path_key("services", s.name), "network_mode"),
                         "service " + quoted(target) + " not found for network_mode 'service:" + target + "'");
    }
  }
  return {};
}

Result<void> check_undefined(const Project& project, const std::string& path, const ServiceConfig& s,
                             std::string_view what, const std::string& name, bool defined) {
  if (defined) return {};
  return fail_at_key(project, path,
                     "service " + quoted(s.name) + " refers to undefined " + std::string(what) + " " + name +
                         std::string(kInvalid));
}

Result<void> check_resources_defined(const Project& project, const ServiceConfig& s, const std::string& base) {
  for (size_t i = 0; i < s.volumes.size(); ++i) {
    const ServiceVolumeConfig& v = s.volumes[i];
    if (v.type != "volume" || v.source.empty()) continue;  // anonymous volumes need no declaration
    if (auto r = check_undefined(project, path_index(path_key(base, "volumes"), i), s, "volume", v.source,
                                 project.volumes.contains(v.source));
        !r) {
      return r;
    }
  }
  if (s.build) {
    for (size_t i = 0; i < s.build->secrets.size(); ++i) {
      const std::string& source = s.build->secrets[i].source;
      if (auto r = check_undefined(project, path_index(path_key(base, "build.secrets"), i), s, "build secret", source,
                                   project.secrets.contains(source));
          !r) {
        return r;
      }
    }
  }
  for (size_t i = 0; i < s.configs.size(); ++i) {
    const std::string& source = s.configs[i].source;
    if (auto r = check_undefined(project, path_index(path_key(base, "configs"), i), s, "config", source,
                                 project.configs.contains(source));
        !r) {
      return r;
    }
  }
  for (const auto& [model, config] : s.models) {
    if (auto r = check_undefined(project, path_key(path_key(base, "models"), model), s, "model", model,
                                 project.models.contains(model));
        !r) {
      return r;
    }
  }
  for (size_t i = 0; i < s.secrets.size(); ++i) {
    const std::string& source = s.secrets[i].source;
    if (auto r = check_undefined(project, path_index(path_key(base, "secrets"), i), s, "secret", source,
                                 project.secrets.contains(source));
        !r) {
      return r;
    }
  }
  return {};
}

std::unexpected<Error> distinct_values(const Project& project, const std::string& base, std::string_view key,
                                       std::string_view deploy_key) {
  return fail_at_mark(project, path_key(base, key), base,
                      "can't set distinct values on '" + std::string(key) + "' and '" + std::string(deploy_key) +
                          "'" + std::string(kInvalid));
}

Result<void> check_scale_and_resources(const Project& project, const ServiceConfig& s, const std::string& base) {
  const DeployConfig* deploy = s.deploy ? &*s.deploy : nullptr;
  if (s.scale && deploy && deploy->replicas && *s.scale != *deploy->replicas) {
    return distinct_values(project, base, "scale", "deploy.replicas");
  }
  if (s.scale && *s.scale < 0) {
    return fail_at_key(project, path_key(base, "scale"), "must be greater than or equal to 0");
  }
  if (deploy && deploy->replicas && *deploy->replicas < 0) {
    return fail_at_key(project, path_key(base, "deploy.replicas"), "must be greater than or equal to 0");
  }
  const Resource* limits = deploy && deploy->resources.limits ? &*deploy->resources.limits : nullptr;
  const Resource* reservations = deploy && deploy->resources.reservations ? &*deploy->resources.reservations : nullptr;
  if (s.cpus != 0 && limits && limits->cpus != s.cpus) {
    return distinct_values(project, base, "cpus", "deploy.resources.limits.cpus");
  }
  if (!s.mem_limit.is_zero() && limits && limits->memory != s.mem_limit) {
    return distinct_values(project, base, "mem_limit", "deploy.resources.limits.memory");
  }
  if (!s.mem_reservation.is_zero() && reservations && reservations->memory != s.mem_reservation) {
    return distinct_values(project, base, "mem_reservation", "deploy.resources.reservations.memory");
  }
  if (s.pids_limit != 0 && limits && limits->pids != s.pids_limit) {
    return distinct_values(project, base, "pids_limit", "deploy.resources.limits.pids");
  }
  if (s.get_scale() > 1 && !s.container_name.empty()) {
    // compose-go passes its arguments in the wrong order here ("services.scale:
    // can't set container_name and web ..."); we print them the right way round.
    std::string attr = s.scale ? "scale" : "deploy.replicas";
    return fail_at_mark(project, path_key(base, "container_name"), base,
                        "can't set container_name and " + attr + " as container name must be unique" +
                            std::string(kInvalid));
  }
  return {};
}

Result<void> check_watch_targets(const Project& project, const ServiceConfig& s, const std::string& base) {
  if (!s.develop) return {};
  const std::string watch = path_key(base, "develop.watch");
  for (size_t i = 0; i < s.develop->watch.size(); ++i) {
    const WatchTrigger& trigger = s.develop->watch[i];
    if (trigger.target.empty() && trigger.action != "rebuild" && trigger.action != "restart") {
      return fail_at_mark(project, path_index(watch, i), watch,
                          "target is required for non-rebuild actions" + std::string(kInvalid));
    }
  }
  return {};
}

// Two mounts on one container path: tmpfs entries first, then volumes, as compose-go.
Result<void> check_mount_targets(const Project& project, const ServiceConfig& s, const std::string& base) {
  std::map<std::string, std::string> mounted;  // container path -> key path that mounts it
  for (size_t i = 0; i < s.tmpfs.size(); ++i) {
    const std::string where = path_index(path_key(base, "tmpfs"), i);
    const std::string target = s.tmpfs[i].substr(0, s.tmpfs[i].find(':'));
    if (auto it = mounted.find(target); it != mounted.end()) {
      return fail_at_key(project, where, "target " + target + " already mounted as " + it->second);
    }
    mounted.emplace(target, where);
  }
  for (size_t i = 0; i < s.volumes.size(); ++i) {
    const std::string where = path_index(path_key(base, "volumes"), i);
    const std::string& target = s.volumes[i].target;
    if (auto it = mounted.find(target); it != mounted.end()) {
      return fail_at_key(project, where, "target " + target + " already mounted as " + it->second);
    }
    mounted.emplace(target, where);
  }
  return {};
}

}  // namespace

Result<void> check_service_consistency(const Project& project, const ServiceConfig& service) {
  const std::string base = path_key("services", service.name);
  if (auto r = check_image_or_build(project, service, base); !r) return r;
  if (auto r = check_networks(project, service, base); !r) return r;
  if (auto r = check_healthcheck_test(project, service, base); !r) return r;
  if (auto r = check_dependencies(project, service); !r) return r;
  if (auto r = check_resources_defined(project, service, base); !r) return r;
  if (auto r = check_scale_and_resources(project, service, base); !r) return r;
  if (auto r = check_watch_targets(project, service, base); !r) return r;
  return check_mount_targets(project, service, base);
}

}  // namespace stack::compose::validate_detail
