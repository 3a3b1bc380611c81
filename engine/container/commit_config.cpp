#include "engine/container/commit_config.h"

#include <cerrno>

#include "common/strings.h"
#include "engine/container/create.h"
#include "engine/image/changes.h"

namespace stack::container {

image::RunConfig run_config_of(const Config& c) {
  image::RunConfig r;
  r.user = c.user;
  r.exposed_ports = c.exposed_ports;
  r.env = c.env;
  r.cmd = c.cmd;
  r.entrypoint = c.entrypoint;
  r.healthcheck = c.healthcheck;
  r.volumes = c.volumes;
  r.working_dir = c.working_dir;
  r.labels = c.labels;
  r.stop_signal = c.stop_signal;
  r.on_build = c.on_build;
  r.args_escaped = c.args_escaped;
  return r;
}

namespace {

Config with_run_config(Config c, const image::RunConfig& r) {
  c.user = r.user;
  c.exposed_ports = r.exposed_ports;
  c.env = r.env;
  c.cmd = r.cmd;
  c.entrypoint = r.entrypoint;
  c.healthcheck = r.healthcheck;
  c.volumes = r.volumes;
  c.working_dir = r.working_dir;
  c.labels = r.labels;
  c.stop_signal = r.stop_signal;
  c.on_build = r.on_build;
  c.args_escaped = r.args_escaped;
  return c;
}

}  // namespace

Result<image::RunConfig> commit_config(const Config& container, const std::optional<Config>& requested,
                                       const std::vector<std::string>& changes) {
  // dockerfile.BuildFromConfig: the changes go onto a copy of the given config.
  image::RunConfig built = run_config_of(requested ? *requested : container);
  for (const std::string& change : changes) {
    if (trim(change).empty()) continue;
    if (auto r = image::apply_change(built, change); !r) return fail(r.error().message, EINVAL);
  }
  // merge(newConfig, container.Config): the container's values fill what is unset.
  Config merged = with_run_config(requested ? *requested : container, built);
  merge_image_config(merged, run_config_of(container));
  return run_config_of(merged);
}

std::string commit_created_by(const Config& container) {
  if (!container.cmd) return "";
  return join(*container.cmd, " ");
}

}  // namespace stack::container
