// `stack system info`: GET /info printed as docker info's main lines (or through
// --format). Starts the daemon when it is not running, as every engine command does.
#include <iostream>
#include <sstream>

#include "cli/cmd_container.h"
#include "cli/commands.h"
#include "cli/container_output.h"
#include "cli/daemon_launcher.h"
#include "cli/image_format.h"

#ifndef STACK_VERSION
#define STACK_VERSION "0.1.0"
#endif

namespace stack::cli {
namespace {

using nlohmann::ordered_json;

std::string text(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string joined(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return "";
  std::string out;
  for (const auto& v : *it) out += (out.empty() ? "" : " ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace

// The lines docker info prints that mean something for stack, in docker's order.
std::string format_info(const ordered_json& info) {
  std::ostringstream o;
  o << "Client:\n Version:    " << STACK_VERSION << "\n Context:    default\n Debug Mode: false\n\nServer:\n";
  o << " Containers: " << text(info, "Containers") << "\n";
  o << "  Running: " << text(info, "ContainersRunning") << "\n";
  o << "  Paused: " << text(info, "ContainersPaused") << "\n";
  o << "  Stopped: " << text(info, "ContainersStopped") << "\n";
  o << " Images: " << text(info, "Images") << "\n";
  o << " Server Version: " << text(info, "ServerVersion") << "\n";
  o << " Storage Driver: " << text(info, "Driver") << "\n";
  if (auto it = info.find("DriverStatus"); it != info.end() && it->is_array())
    for (const auto& pair : *it)
      if (pair.is_array() && pair.size() == 2) o << "  " << pair[0].get<std::string>() << ": " << pair[1].get<std::string>() << "\n";
  o << " Logging Driver: " << text(info, "LoggingDriver") << "\n";
  o << " Cgroup Driver: " << text(info, "CgroupDriver") << "\n";
  o << " Cgroup Version: " << text(info, "CgroupVersion") << "\n";
  if (auto it = info.find("Plugins"); it != info.end() && it->is_object()) {
    o << " Plugins:\n";
    for (const char* k : {"Volume", "Network", "Log"}) o << "  " << k << ": " << joined(*it, k) << "\n";
  }
  if (auto it = info.find("Swarm"); it != info.end() && it->is_object()) o << " Swarm: " << text(*it, "LocalNodeState") << "\n";
  if (auto it = info.find("Runtimes"); it != info.end() && it->is_object()) {
    std::string names;
    for (const auto& [k, v] : it->items()) names += (names.empty() ? "" : " ") + k;
    o << " Runtimes: " << names << "\n";
  }
  o << " Default Runtime: " << text(info, "DefaultRuntime") << "\n";
  o << " Init Binary: " << text(info, "InitBinary") << "\n";
  if (auto it = info.find("SecurityOptions"); it != info.end() && it->is_array() && !it->empty()) {
    o << " Security Options:\n";
    for (const auto& opt : *it) {
      // "name=seccomp,profile=builtin" -> "  seccomp\n   Profile: builtin"
      std::string s = opt.is_string() ? opt.get<std::string>() : "";
      std::string rest;
      std::string name = s;
      if (auto comma = s.find(','); comma != std::string::npos) {
        name = s.substr(0, comma);
        rest = s.substr(comma + 1);
      }
      if (name.starts_with("name=")) name.erase(0, 5);
      o << "  " << name << "\n";
      while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string kv = rest.substr(0, comma);
        rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
        auto eq = kv.find('=');
        std::string key = kv.substr(0, eq);
        if (!key.empty()) key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
        o << "   " << key << ": " << (eq == std::string::npos ? "" : kv.substr(eq + 1)) << "\n";
      }
    }
  }
  o << " Kernel Version: " << text(info, "KernelVersion") << "\n";
  o << " Operating System: " << text(info, "OperatingSystem") << "\n";
  o << " OSType: " << text(info, "OSType") << "\n";
  o << " Architecture: " << text(info, "Architecture") << "\n";
  o << " CPUs: " << text(info, "NCPU") << "\n";
  double mem = info.contains("MemTotal") && info["MemTotal"].is_number() ? info["MemTotal"].get<double>() : 0;
  o << " Total Memory: " << bytes_size(mem) << "\n";
  o << " Name: " << text(info, "Name") << "\n";
  o << " ID: " << text(info, "ID") << "\n";
  o << " Stack Root Dir: " << text(info, "DockerRootDir") << "\n";
  o << " Debug Mode: " << text(info, "Debug") << "\n";
  o << " Experimental: " << text(info, "ExperimentalBuild") << "\n";
  if (auto it = info.find("RegistryConfig"); it != info.end() && it->is_object()) {
    if (auto cidrs = it->find("InsecureRegistryCIDRs"); cidrs != it->end() && cidrs->is_array() && !cidrs->empty()) {
      o << " Insecure Registries:\n";
      for (const auto& c : *cidrs) o << "  " << (c.is_string() ? c.get<std::string>() : c.dump()) << "\n";
    }
  }
  o << " Live Restore Enabled: " << text(info, "LiveRestoreEnabled") << "\n";
  if (auto it = info.find("Warnings"); it != info.end() && it->is_array())
    for (const auto& w : *it)
      if (w.is_string()) o << "\n" << w.get<std::string>();
  return o.str();
}

Command add_system_command(CLI::App& app, const StateFlags& state) {
  auto* cmd = app.add_subcommand("system", "Manage the stack engine");
  cmd->require_subcommand(1);
  auto* info_cmd = cmd->add_subcommand("info", "Display system-wide information");
  auto format = std::make_shared<std::string>();
  info_cmd->add_option("-f,--format", *format, "Format output using a custom template: 'json' or a Go template");
  std::vector<Command> subs;
  container::add_df_command(*cmd, state, subs);  // `system df` (cmd_container_changes.cpp)
  return {cmd, [&state, format, subs] {
            for (const auto& s : subs)
              if (s.app->parsed()) return s.run();
            auto c = connect_daemon(state);
            if (!c) {
              std::cerr << c.error().message << "\n";
              return 1;
            }
            auto r = c->get("/info");
            if (!r) {
              std::cerr << r.error().to_string() << "\n";
              return 1;
            }
            if (r->status >= 300) {
              std::cerr << "Error response from daemon: " << client::error_from(*r).message << "\n";
              return 1;
            }
            auto j = ordered_json::parse(r->body, nullptr, false);
            if (j.is_discarded()) {
              std::cerr << "decode the daemon's /info answer: not JSON\n";
              return 1;
            }
            if (*format == "json" || *format == "{{json .}}") {
              std::cout << j.dump() << "\n";
            } else if (!format->empty()) {
              std::cout << render_template(*format, j) << "\n";
            } else {
              std::cout << format_info(j);
            }
            return 0;
          }};
}

}  // namespace stack::cli
