// `stack config`: parse, resolve and render the compose model in canonical form,
// with docker compose v2's flags and output.
#include <fstream>
#include <iostream>
#include <set>

#include "common/strings.h"

#include "cli/commands.h"
#include "compose/config_hash.h"
#include "compose/encode.h"
#include "compose/graph.h"
#include "compose/json_emit.h"
#include "compose/loader.h"
#include "compose/yaml_emit.h"

namespace stack::cli {
namespace {

struct ConfigFlags {
  std::string format;
  std::string output;
  bool quiet = false;
  bool no_interpolate = false;
  bool no_normalize = false;
  bool no_path_resolution = false;
  bool no_consistency = false;
  bool no_env_resolution = false;
  bool services = false;
  bool volumes = false;
  bool networks = false;
  bool profiles = false;
  bool images = false;
  bool environment = false;
  std::string hash;
  std::vector<std::string> service_args;
};

int report(const Error& error) {
  std::cerr << error.to_string() << "\n";
  return 1;
}

// Compose escapes `$` in interpolated output so that the printed file loads back to the same model.
std::string escape_dollars(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

std::string image_name_or_default(const compose::Project& project, const compose::ServiceConfig& service) {
  if (!service.image.empty()) return service.image;
  return project.name + "-" + service.name;
}

int write_output(const ConfigFlags& flags, const std::string& content) {
  if (flags.quiet) return 0;
  if (!flags.output.empty()) {
    std::ofstream out(flags.output, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) {
      std::cerr << "write " << flags.output << ": failed\n";
      return 1;
    }
    return 0;
  }
  std::cout << content;
  return 0;
}

int run_config(const ProjectFlags& project_flags, ConfigFlags flags) {
  compose::LoadOptions options = load_options(project_flags);
  options.services = flags.service_args;
  options.interpolate = !flags.no_interpolate;
  options.resolve_paths = !flags.no_path_resolution;
  options.consistency = !flags.no_consistency;
  options.normalize = !flags.no_normalize;
  // Listing commands print names only: compose skips env_file resolution for them.
  bool listing = flags.services || flags.volumes || flags.networks || flags.profiles || flags.images ||
                 !flags.hash.empty();
  options.resolve_environment = !flags.no_env_resolution && !listing;

  if (flags.no_interpolate && !listing) {
    auto doc = compose::load_document(options);
    if (!doc) return report(doc.error());
    if (flags.format == "json") {
      return write_output(flags, compose::emit_json(compose::sort_mapping_keys(*doc, compose::OutputFormat::Json)));
    }
    return write_output(flags, compose::emit_yaml(compose::sort_mapping_keys(*doc, compose::OutputFormat::Yaml)));
  }

  auto project = compose::load_project(options);
  if (!project) return report(project.error());
  if (!flags.service_args.empty()) {
    if (auto r = compose::select_services(*project, flags.service_args); !r) return report(r.error());
  }
  // docker compose drops networks, volumes, secrets and configs no service uses before any command.
  compose::prune_unused_resources(*project);

  if (flags.services) {
    auto order = compose::in_dependency_order(*project);
    if (!order) return report(order.error());
    for (const auto& name : *order) std::cout << name << "\n";
    return 0;
  }
  if (flags.volumes) {
    for (const auto& [name, volume] : project->volumes) std::cout << name << "\n";
    return 0;
  }
  if (flags.networks) {
    for (const auto& [name, network] : project->networks) std::cout << name << "\n";
    return 0;
  }
  if (!flags.hash.empty()) {
    std::vector<std::string> names;
    if (flags.hash == "*") {
      names = project->service_names();
    } else {
      for (auto& n : split(flags.hash, ',')) names.push_back(n);
      std::sort(names.begin(), names.end());
    }
    compose::Node encoded = compose::encode_project(*project);
    const compose::Node* services = encoded.find("services");
    for (const auto& name : names) {
      const compose::Node* service = services ? services->find(name) : nullptr;
      if (!service) return report(Error{"no such service: " + name});
      std::cout << name << " " << compose::service_config_hash(*service) << "\n";
    }
    return 0;
  }
  if (flags.profiles) {
    std::set<std::string> all;
    for (const auto* group : {&project->services, &project->disabled_services}) {
      for (const auto& [name, service] : *group) all.insert(service.profiles.begin(), service.profiles.end());
    }
    for (const auto& p : all) std::cout << p << "\n";
    return 0;
  }
  if (flags.images) {
    for (const auto& [name, service] : project->services) std::cout << image_name_or_default(*project, service) << "\n";
    return 0;
  }
  if (flags.environment) {
    for (const auto& [k, v] : project->environment) std::cout << k << "=" << v << "\n";
    return 0;
  }

  // -q only validates: the model is loaded and checked by now, and printing it cannot fail.
  if (flags.quiet && (flags.format.empty() || flags.format == "yaml" || flags.format == "json")) return 0;
  std::string content;
  if (flags.format.empty() || flags.format == "yaml") {
    content = compose::emit_yaml(compose::encode_project(*project, compose::OutputFormat::Yaml));
  } else if (flags.format == "json") {
    content = compose::emit_json(compose::encode_project(*project, compose::OutputFormat::Json));
  } else {
    return report(Error{"unsupported format \"" + flags.format + "\""});
  }
  return write_output(flags, escape_dollars(content));
}

}  // namespace

Command add_config_command(CLI::App& app, const ProjectFlags& project) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* cmd = app.add_subcommand("config", "Parse, resolve and render compose file in canonical format");
  cmd->add_option("--format", flags->format, "Format the output. Values: [yaml | json]");
  cmd->add_option("-o,--output", flags->output, "Save to file (default to stdout)");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only validate the configuration, don't print anything");
  cmd->add_flag("--no-interpolate", flags->no_interpolate, "Don't interpolate environment variables");
  cmd->add_flag("--no-normalize", flags->no_normalize, "Don't normalize compose model");
  cmd->add_flag("--no-path-resolution", flags->no_path_resolution, "Don't resolve file paths");
  cmd->add_flag("--no-consistency", flags->no_consistency,
                "Don't check model consistency - warning: may produce invalid Compose output");
  cmd->add_flag("--no-env-resolution", flags->no_env_resolution, "Don't resolve service env files");
  cmd->add_flag("--services", flags->services, "Print the service names, one per line.");
  cmd->add_flag("--volumes", flags->volumes, "Print the volume names, one per line.");
  cmd->add_flag("--networks", flags->networks, "Print the network names, one per line.");
  cmd->add_flag("--profiles", flags->profiles, "Print the profile names, one per line.");
  cmd->add_flag("--images", flags->images, "Print the image names, one per line.");
  cmd->add_option("--hash", flags->hash, "Print the service config hash, one per line.");
  cmd->add_flag("--environment", flags->environment, "Print environment used for interpolation.");
  cmd->add_option("service", flags->service_args, "Services to render (and their dependencies)");
  return {cmd, [flags, &project] { return run_config(project, *flags); }};
}

}  // namespace stack::cli
