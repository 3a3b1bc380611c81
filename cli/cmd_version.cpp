// `stack version`: Client and Server sections as `docker version` prints them. The
// Server section only when a daemon answers: version never starts one. `--short`
// prints the bare version number.
#include <sys/utsname.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/daemon_launcher.h"
#include "cli/image_format.h"

#ifndef STACK_VERSION
#define STACK_VERSION "0.1.0"
#endif

namespace stack::cli {
namespace {

using nlohmann::ordered_json;

// What the client sends and understands (Docker Engine API).
constexpr const char* kClientApiVersion = "1.43";

std::string go_arch() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m.starts_with("armv7")) return "arm";
  return m;
}

std::string field(const ordered_json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// "  Version:          0.1.0": docker's template pads labels to one column.
std::string line(int indent, const std::string& label, const std::string& value) {
  std::string s(static_cast<size_t>(indent), ' ');
  s += label + ":";
  size_t col = 20;
  if (s.size() < col) s.append(col - s.size(), ' ');
  else s += ' ';
  return s + value + "\n";
}

ordered_json client_info() {
  ordered_json c;
  c["Version"] = STACK_VERSION;
  c["ApiVersion"] = kClientApiVersion;
  c["Os"] = "linux";
  c["Arch"] = go_arch();
  c["Context"] = "default";
  return c;
}

std::string format_server(const ordered_json& s) {
  std::string out = "\nServer: " + (s.contains("Platform") ? field(s["Platform"], "Name") : std::string("stack")) + "\n";
  out += " Engine:\n";
  out += line(2, "Version", field(s, "Version"));
  out += line(2, "API version", field(s, "ApiVersion") + " (minimum version " + field(s, "MinAPIVersion") + ")");
  if (!field(s, "GitCommit").empty()) out += line(2, "Git commit", field(s, "GitCommit"));
  if (!field(s, "BuildTime").empty()) out += line(2, "Built", field(s, "BuildTime"));
  out += line(2, "OS/Arch", field(s, "Os") + "/" + field(s, "Arch"));
  out += line(2, "Kernel version", field(s, "KernelVersion"));
  if (auto it = s.find("Components"); it != s.end() && it->is_array())
    for (const auto& c : *it) {
      if (field(c, "Name") == "Engine") continue;
      out += " " + field(c, "Name") + ":\n";
      out += line(2, "Version", field(c, "Version"));
    }
  return out;
}

}  // namespace

Command add_version_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Show the stack version information");
  auto short_only = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>();
  cmd->add_flag("--short", *short_only, "Shows only the version number");
  cmd->add_option("-f,--format", *format, "Format output using a custom template: 'json' or a Go template");
  CLI::App* parent = &app;
  return {cmd, [parent, short_only, format] {
            if (*short_only) {
              std::cout << STACK_VERSION << "\n";
              return 0;
            }
            // The global --root/--run-root (the command table gives version no StateFlags).
            StateFlags state;
            if (auto* o = parent->get_option_no_throw("--root"); o && o->count()) state.root = o->as<std::string>();
            if (auto* o = parent->get_option_no_throw("--run-root"); o && o->count()) state.run_root = o->as<std::string>();
            ordered_json server;
            bool have_server = false;
            LaunchOptions lo;
            lo.autostart = false;
            if (auto c = connect_daemon(state, lo)) {
              if (auto r = c->get("/version"); r && r->status == 200) {
                server = ordered_json::parse(r->body, nullptr, false);
                have_server = !server.is_discarded();
              }
            }
            ordered_json all;
            all["Client"] = client_info();
            all["Server"] = have_server ? server : ordered_json(nullptr);
            if (*format == "json" || *format == "{{json .}}") {
              std::cout << all.dump() << "\n";
              return 0;
            }
            if (!format->empty()) {
              std::cout << render_template(*format, all) << "\n";
              return 0;
            }
            std::string out = "Client:\n";
            out += line(1, "Version", STACK_VERSION);
            out += line(1, "API version", kClientApiVersion);
            out += line(1, "OS/Arch", "linux/" + go_arch());
            out += line(1, "Context", "default");
            if (have_server) out += format_server(server);
            std::cout << out;
            return 0;
          }};
}

}  // namespace stack::cli
