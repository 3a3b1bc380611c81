// validate_project: the checks that run on the whole project (names, top-level
// objects, container names, cycles); per-service rules are in validate_service.cpp.
#include "compose/validate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include "compose/graph.h"
#include "compose/validate_internal.h"

namespace stack::compose {

using namespace validate_detail;

std::unexpected<Error> fail_at_key(const Project& project, std::string_view path, std::string_view message) {
  return fail_at_mark(project, path, path, message);
}

namespace validate_detail {

std::unexpected<Error> fail_at_mark(const Project& project, std::string_view mark_path, std::string_view shown_path,
                                    std::string_view message) {
  Mark mark = project.sources ? project.sources->find(mark_path) : Mark{};
  return fail_at(mark, shown_path, message);
}

bool declared(const Project& project, std::string_view path) {
  return project.sources && project.sources->contains(path);
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace validate_detail

namespace {

// The schema's patternProperties for services, volumes, secrets and configs
// (networks and models accept any key).
bool is_valid_key_name(const std::string& name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

// As the schema validator words it: "services: additional properties 'a b', 'c d' not allowed".
template <class Map>
Result<void> check_key_names(const Project& project, std::string_view section, const Map& entries) {
  std::string bad;
  std::string first;
  for (const auto& [name, value] : entries) {
    if (is_valid_key_name(name)) continue;
    if (first.empty()) first = name;
    bad += (bad.empty() ? "'" : ", '") + name + "'";
  }
  if (bad.empty()) return {};
  return fail_at_mark(project, path_key(section, first), section, "additional properties " + bad + " not allowed");
}

Result<void> check_names(const Project& project) {
  if (auto r = check_key_names(project, "services", project.services); !r) return r;
  if (auto r = check_key_names(project, "volumes", project.volumes); !r) return r;
  if (auto r = check_key_names(project, "secrets", project.secrets); !r) return r;
  return check_key_names(project, "configs", project.configs);
}

// compose-go validation/external.go: an external volume takes only a name.
Result<void> check_external_volumes(const Project& project) {
  for (const auto& [name, volume] : project.volumes) {
    if (!volume.external) continue;
    const std::string path = path_key("volumes", name);
    const char* conflicting = !volume.driver.empty()        ? "driver"
                              : !volume.driver_opts.empty() ? "driver_opts"
                              : !volume.labels.empty()      ? "labels"
                                                            : nullptr;
    if (conflicting) {
      return fail_at_mark(project, path_key(path, conflicting), path,
                          std::string("conflicting parameters \"external\" and \"") + conflicting + "\" specified");
    }
  }
  return {};
}

// compose-go validation.checkFileObject: exactly one source for a secret or config,
// unless it is external or a driver provides the content.
Result<void> check_file_objects(const Project& project, std::string_view section,
                                const std::map<std::string, FileObjectConfig>& objects, bool content_is_a_source) {
  const std::string keys = content_is_a_source ? "file|environment|content" : "file|environment";
  for (const auto& [name, object] : objects) {
    const std::string path = path_key(section, name);
    // Configs read from `environment` may get their content filled in by a
    // later stage; content counts only when it was written in the file.
    bool has_content = content_is_a_source && !object.content.empty() &&
                       (object.environment.empty() || declared(project, path_key(path, "content")));
    int sources = !object.file.empty() + !object.environment.empty() + has_content;
    if (sources > 1) return fail_at_key(project, path, keys + " attributes are mutually exclusive");
    if (sources == 0 && object.driver.empty() && !declared(project, path_key(path, "driver")) && !object.external &&
        !declared(project, path_key(path, "external"))) {
      return fail_at_key(project, path, "one of " + keys + " must be set");
    }
  }
  return {};
}

Result<void> check_device_requests(const Project& project, const std::string& path,
                                   const std::vector<DeviceRequest>& requests) {
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].count != 0 && !requests[i].device_ids.empty()) {
      return fail_at_key(project, path_index(path, i), "\"count\" and \"device_ids\" attributes are exclusive");
    }
  }
  return {};
}

// compose-go validation/validation.go checks on service keys.
Result<void> check_service_values(const Project& project, const ServiceConfig& service) {
  const std::string base = path_key("services", service.name);
  for (size_t i = 0; i < service.ports.size(); ++i) {
    const std::string& ip = service.ports[i].host_ip;
    if (!ip.empty() && !is_ip_address(ip)) {
      return fail_at_key(project, path_index(path_key(base, "ports"), i), "invalid ip address: " + ip);
    }
  }
  if (service.develop) {
    for (size_t i = 0; i < service.develop->watch.size(); ++i) {
      if (service.develop->watch[i].path.empty()) {
        return fail_at_key(project, path_key(path_index(path_key(base, "develop.watch"), i), "path"),
                           "value can't be blank");
      }
    }
  }
  if (service.deploy && service.deploy->resources.reservations) {
    if (auto r = check_device_requests(project, path_key(base, "deploy.resources.reservations.devices"),
                                       service.deploy->resources.reservations->devices);
        !r) {
      return r;
    }
  }
  return check_device_requests(project, path_key(base, "gpus"), service.gpus);
}

// loader/validate.go: secrets that are neither external nor read from a file or the environment.
Result<void> check_secret_sources(const Project& project) {
  for (const auto& [name, secret] : project.secrets) {
    if (secret.external) continue;
    if (secret.file.empty() && secret.environment.empty()) {
      return fail_at_key(project, path_key("secrets", name),
                         "secret \"" + name + "\" must declare either `file` or `environment`: invalid compose project");
    }
  }
  return {};
}

// types.Project.CheckContainerNameUnicity (docker compose runs it on every load).
Result<void> check_container_names(const Project& project) {
  std::map<std::string, std::string> owners;
  for (const auto& [name, service] : project.services) {
    if (service.container_name.empty()) continue;
    auto [owner, inserted] = owners.emplace(service.container_name, name);
    if (!inserted) {
      const std::string base = path_key("services", name);
      return fail_at_mark(project, path_key(base, "container_name"), base,
                          "container name \"" + service.container_name + "\" is already in use by service " +
                              owner->second);
    }
  }
  return {};
}

}  // namespace

Result<void> validate_project(const Project& project) {
  if (auto r = check_names(project); !r) return r;
  if (auto r = check_external_volumes(project); !r) return r;
  if (auto r = check_file_objects(project, "configs", project.configs, true); !r) return r;
  if (auto r = check_file_objects(project, "secrets", project.secrets, false); !r) return r;
  for (const auto& [name, service] : project.services) {
    if (auto r = check_service_values(project, service); !r) return r;
  }
  for (const auto& [name, service] : project.services) {
    if (auto r = check_service_consistency(project, service); !r) return r;
  }
  if (auto r = check_secret_sources(project); !r) return r;
  if (auto graph = ServiceGraph::build(project); !graph) return std::unexpected(graph.error());
  return check_container_names(project);
}

}  // namespace stack::compose
