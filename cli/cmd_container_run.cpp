// `stack container run|create|start`, as docker's run.go/create.go/start.go: create;
// when attached, hijack the attach stream, send wait (it answers its headers once the
// waiter is registered), start, pump the output to EOF, exit with wait's StatusCode.
// Exit codes: 125 when run fails before the command starts, 126/127 when the command
// cannot be executed / is not found, 1 for create's and start's daemon errors.
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <iostream>

#include "cli/attach.h"
#include "cli/cmd_container.h"
#include "cli/container_flags.h"
#include "engine/api/detach_keys.h"
#include "engine/api/request.h"

namespace stack::cli::container {
namespace {

using nlohmann::json;

// docker run's error shape: "docker: <message>.\nSee 'docker run --help'."
int run_error(const std::string& command, const Error& e, int code) {
  std::string text = is_daemon_error(e) || e.message.starts_with("Cannot connect") ? e.message : e.to_string();
  if (!text.empty() && text.back() != '.') text += '.';
  std::cerr << "stack: " << text << "\nSee 'stack container " << command << " --help'.\n";
  return code;
}

// The wait's status code; -1 with the error printed when the daemon sent one.
int wait_status(client::PendingResponse& wait) {
  auto r = wait.wait();
  if (!r) return report(r.error(), 125);
  if (r->status >= 300) return report(api_error(*r), 125);
  auto j = r->json();
  if (!j) return report(j.error(), 125);
  if (auto e = j->find("Error"); e != j->end() && e->is_object() && !e->value("Message", "").empty())
    return report(Error{e->value("Message", "")}, 125);
  return j->value("StatusCode", 125);
}

// Sends POST /containers/{id}/wait and waits for its headers: the daemon flushes them
// once the waiter is registered, so a start after this cannot exit unseen.
Result<client::PendingResponse> register_wait(client::Client& c, const std::string& id, bool removed) {
  auto wait = c.send("POST", "/containers/" + id + "/wait?condition=" + (removed ? "removed" : "next-exit"));
  if (!wait) return std::unexpected(wait.error());
  pollfd p{wait->fd(), POLLIN, 0};
  while (::poll(&p, 1, 2000) < 0 && errno == EINTR) {
  }
  return wait;
}

std::string attach_target(const std::string& id, bool stdin_, const std::string& detach_keys = "") {
  return "/containers/" + id + "/attach?stream=1&stdout=1&stderr=1" + (stdin_ ? "&stdin=1" : "") +
         (detach_keys.empty() ? "" : "&detachKeys=" + api::url_encode(detach_keys));
}

PumpOptions pump_options(client::Client& c, const std::string& id, bool tty, bool stdin_,
                         const std::string& detach_keys = "") {
  PumpOptions o;
  o.tty = tty;
  o.send_stdin = stdin_;
  o.detach_keys = api::parse_detach_keys(detach_keys.empty() ? api::kDefaultDetachKeys : detach_keys).value_or("");
  if (tty) {
    o.resize = [&c, id](int h, int w) {
      (void)c.request("POST", "/containers/" + id + "/resize?h=" + std::to_string(h) + "&w=" + std::to_string(w));
    };
  }
  return o;
}

// Attached: stream, wait, start, pump, exit code. Returns the process exit code.
int run_attached(client::Client& c, const std::string& id, bool tty, bool stdin_, bool auto_remove,
                 const std::string& command, const std::string& detach_keys) {
  auto conn = c.hijack(attach_target(id, stdin_, detach_keys));
  if (!conn) return run_error(command, api_error(conn.error()), 125);
  auto wait = register_wait(c, id, auto_remove);
  if (!wait) return run_error(command, wait.error(), 125);

  std::optional<RawTerminal> raw_in, raw_out;
  if (tty) {
    if (stdin_) raw_in.emplace(0);
    raw_out.emplace(1);
  }
  auto started = call(c, "POST", "/containers/" + id + "/start");
  if (!started) {
    raw_in.reset();
    raw_out.reset();
    conn->close();
    int code = start_error_code(started.error().message);
    run_error(command, started.error(), code);
    // docker waits until the daemon removed it; bounded here so a daemon that keeps it cannot hang us.
    if (auto_remove) {
      timeval limit{5, 0};
      ::setsockopt(wait->fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
      (void)wait->wait();
    }
    return code;
  }
  {
    std::optional<SignalForwarder> proxy;
    if (!tty)
      proxy.emplace([&c, id](int sig) { (void)c.request("POST", "/containers/" + id + "/kill?signal=" + std::to_string(sig)); });
    auto pumped = pump_stream(*conn, pump_options(c, id, tty, stdin_, detach_keys));
    raw_in.reset();
    raw_out.reset();
    // Detached with the keys: the container goes on; docker run returns 0 at once.
    if (!pumped && pumped.error().errno_value == kDetachedErrno) return 0;
    if (!pumped) report(pumped.error());
  }
  return wait_status(*wait);
}

int run_or_create(const StateFlags& state, const std::vector<std::string>& args, bool run) {
  const std::string command = run ? "run" : "create";
  ContainerFlags f;
  auto parsed = parse_container_args(args, f, run);
  if (!parsed) return run_error(command, parsed.error(), 125);
  if (!*parsed) return 0;  // --help
  auto body = create_request_body(f, process_env_lookup());
  if (!body) return run_error(command, body.error(), 125);
  // As docker's CLI (API 1.42+): the container's terminal starts at our size.
  if (int h = 0, w = 0; run && f.tty && !f.detach && (terminal_size(1, h, w) || terminal_size(0, h, w)))
    (*body)["HostConfig"]["ConsoleSize"] = {h, w};
  auto c = connect(state);
  if (!c) return 125;

  auto created = c->request("POST", "/containers/create" + create_query(f), body->dump());
  if (!created) return run_error(command, created.error(), 125);
  if (created->status >= 300) {
    auto e = api_error(*created);
    if (created->status == 404 && client::error_from(*created).message.starts_with("No such image"))
      std::cerr << "Unable to find image '" << f.image << "' locally\n";
    // docker: create's daemon errors exit 1 (a name in use too), run's exit 125.
    return run ? run_error(command, e, 125) : report(e, 1);
  }
  auto j = created->json();
  if (!j) return report(j.error(), 125);
  std::string id = j->value("Id", "");
  if (auto w = j->find("Warnings"); w != j->end() && w->is_array())
    for (const auto& warning : *w)
      if (warning.is_string()) std::cerr << "WARNING: " << warning.get<std::string>() << "\n";

  if (!run) {
    std::cout << id << "\n";
    return 0;
  }
  if (f.detach) {
    auto started = call(*c, "POST", "/containers/" + id + "/start");
    if (!started) return run_error(command, started.error(), start_error_code(started.error().message));
    std::cout << id << "\n";
    return 0;
  }
  return run_attached(*c, id, f.tty, f.interactive, f.auto_remove, command, f.detach_keys);
}

struct StartFlags {
  bool attach = false, interactive = false;
  std::vector<std::string> containers;
};

int start(const StateFlags& state, const StartFlags& f) {
  auto c = connect(state);
  if (!c) return 1;
  if (f.attach || f.interactive) {
    if (f.containers.size() > 1) return report(Error{"you cannot start and attach multiple containers at once"});
    const std::string& name = f.containers.front();
    auto info = call_json(*c, "GET", "/containers/" + esc(name) + "/json");
    if (!info) return report(info.error());
    std::string id = info->value("Id", name);
    const json& config = info->value("Config", json::object()).is_object() ? (*info)["Config"] : json::object();
    bool tty = config.value("Tty", false);
    bool stdin_ = f.interactive && config.value("OpenStdin", false);
    bool auto_remove = info->contains("HostConfig") && (*info)["HostConfig"].value("AutoRemove", false);
    auto conn = c->hijack(attach_target(id, stdin_));
    if (!conn) return report(api_error(conn.error()));
    auto wait = register_wait(*c, id, auto_remove);
    if (!wait) return report(wait.error());
    std::optional<RawTerminal> raw_in, raw_out;
    if (tty) {
      if (stdin_) raw_in.emplace(0);
      raw_out.emplace(1);
    }
    auto started = call(*c, "POST", "/containers/" + id + "/start");
    if (!started) {
      raw_in.reset();
      raw_out.reset();
      return report(started.error());
    }
    {
      std::optional<SignalForwarder> proxy;
      if (!tty)
        proxy.emplace([&c, id](int sig) { (void)c->request("POST", "/containers/" + id + "/kill?signal=" + std::to_string(sig)); });
      auto pumped = pump_stream(*conn, pump_options(*c, id, tty, stdin_));
      raw_in.reset();
      raw_out.reset();
      if (!pumped && pumped.error().errno_value == kDetachedErrno) return 0;  // docker start -a: detached
      if (!pumped) report(pumped.error());
    }
    return wait_status(*wait);
  }
  std::vector<std::string> failed;
  for (const auto& name : f.containers) {
    auto r = call(*c, "POST", "/containers/" + esc(name) + "/start");
    if (!r) {
      report(r.error());
      failed.push_back(name);
      continue;
    }
    std::cout << name << "\n";
  }
  if (failed.empty()) return 0;
  std::string list;
  for (const auto& n : failed) list += (list.empty() ? "" : ", ") + n;
  std::cerr << "Error: failed to start containers: " << list << "\n";
  return 1;
}

}  // namespace

void add_run_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  // run and create take docker's flags up to IMAGE and the command after it: CLI11 only
  // collects the words here (parse_container_args parses them).
  for (bool run : {true, false}) {
    auto* c = parent.add_subcommand(run ? "run" : "create",
                                    run ? "Create and run a new container from an image" : "Create a new container");
    c->set_help_flag();
    c->prefix_command();
    c->allow_extras();
    c->fallthrough(false);
    c->footer("Run 'stack container " + std::string(run ? "run" : "create") + " --help' for the flags.");
    subs.push_back({c, [&state, c, run] { return run_or_create(state, c->remaining(), run); }});
  }
  {
    auto* c = parent.add_subcommand("start", "Start one or more stopped containers");
    auto f = std::make_shared<StartFlags>();
    c->add_flag("-a,--attach", f->attach, "Attach STDOUT/STDERR and forward signals");
    c->add_flag("-i,--interactive", f->interactive, "Attach container's STDIN");
    c->add_option("container", f->containers, "CONTAINER")->required();
    subs.push_back({c, [&state, f] { return start(state, *f); }});
  }
}

}  // namespace stack::cli::container
