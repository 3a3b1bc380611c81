// `stack container stop|restart|kill|rm|pause|unpause|rename|wait`: one API call per
// container, the name as given printed on success, each failure on stderr, exit 1 when
// any failed (docker's stop.go, rm.go, ... behaviour).
#include <iostream>
#include <optional>

#include "cli/cmd_container.h"

namespace stack::cli::container {
namespace {

struct ManyFlags {
  std::vector<std::string> containers;
  std::optional<int> time;
  std::string signal;
  bool force = false, volumes = false, link = false;
};

// Runs `target_of(name)` with `method` for each container; prints the name on success.
int for_each(const StateFlags& state, const std::vector<std::string>& names, std::string_view method,
             const std::function<std::string(const std::string&)>& target_of, bool print_names = true) {
  auto c = connect(state);
  if (!c) return 1;
  int rc = 0;
  for (const auto& name : names) {
    auto r = call(*c, method, target_of(name));
    if (!r) {
      rc = report(r.error());
      continue;
    }
    if (print_names) std::cout << name << "\n";
  }
  return rc;
}

std::string stop_query(const ManyFlags& f) {
  std::string q;
  if (f.time) q += "t=" + std::to_string(*f.time);
  if (!f.signal.empty()) q += std::string(q.empty() ? "" : "&") + "signal=" + esc(f.signal);
  return q.empty() ? "" : "?" + q;
}

int wait_all(const StateFlags& state, const std::vector<std::string>& names) {
  auto c = connect(state);
  if (!c) return 1;
  int rc = 0;
  for (const auto& name : names) {
    auto r = call_json(*c, "POST", "/containers/" + esc(name) + "/wait");
    if (!r) {
      rc = report(r.error());
      continue;
    }
    if (auto e = r->find("Error"); e != r->end() && e->is_object() && !e->value("Message", "").empty()) {
      rc = report(Error{e->value("Message", "")});
      continue;
    }
    std::cout << r->value("StatusCode", 0) << "\n" << std::flush;
  }
  return rc;
}

}  // namespace

void add_lifecycle_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  auto add_time = [](CLI::App* c, ManyFlags& f) {
    c->add_option_function<int>(
        "-t,--time", [&f](const int& v) { f.time = v; }, "Seconds to wait before killing the container");
  };
  {
    auto* c = parent.add_subcommand("stop", "Stop one or more running containers");
    auto f = std::make_shared<ManyFlags>();
    add_time(c, *f);
    c->add_option("-s,--signal", f->signal, "Signal to send to the container");
    c->add_option("container", f->containers, "CONTAINER")->required();
    subs.push_back({c, [&state, f] {
                      return for_each(state, f->containers, "POST",
                                      [&](const std::string& n) { return "/containers/" + esc(n) + "/stop" + stop_query(*f); });
                    }});
  }
  {
    auto* c = parent.add_subcommand("restart", "Restart one or more containers");
    auto f = std::make_shared<ManyFlags>();
    add_time(c, *f);
    c->add_option("-s,--signal", f->signal, "Signal to send to the container");
    c->add_option("container", f->containers, "CONTAINER")->required();
    subs.push_back({c, [&state, f] {
                      return for_each(state, f->containers, "POST", [&](const std::string& n) {
                        return "/containers/" + esc(n) + "/restart" + stop_query(*f);
                      });
                    }});
  }
  {
    auto* c = parent.add_subcommand("kill", "Kill one or more running containers");
    auto f = std::make_shared<ManyFlags>();
    c->add_option("-s,--signal", f->signal, "Signal to send to the container");
    c->add_option("container", f->containers, "CONTAINER")->required();
    subs.push_back({c, [&state, f] {
                      return for_each(state, f->containers, "POST", [&](const std::string& n) {
                        return "/containers/" + esc(n) + "/kill" + (f->signal.empty() ? "" : "?signal=" + esc(f->signal));
                      });
                    }});
  }
  {
    auto* c = parent.add_subcommand("rm", "Remove one or more containers");
    c->alias("remove");
    auto f = std::make_shared<ManyFlags>();
    c->add_flag("-f,--force", f->force, "Force the removal of a running container (uses SIGKILL)");
    c->add_flag("-v,--volumes", f->volumes, "Remove anonymous volumes associated with the container");
    c->add_flag("-l,--link", f->link, "Remove the specified link");
    c->add_option("container", f->containers, "CONTAINER")->required();
    subs.push_back({c, [&state, f] {
                      return for_each(state, f->containers, "DELETE", [&](const std::string& n) {
                        std::string q;
                        if (f->force) q += "force=1";
                        if (f->volumes) q += std::string(q.empty() ? "" : "&") + "v=1";
                        if (f->link) q += std::string(q.empty() ? "" : "&") + "link=1";
                        return "/containers/" + esc(n) + (q.empty() ? "" : "?" + q);
                      });
                    }});
  }
  for (auto [verb, help] : {std::pair{"pause", "Pause all processes within one or more containers"},
                            std::pair{"unpause", "Unpause all processes within one or more containers"}}) {
    auto* c = parent.add_subcommand(verb, help);
    auto f = std::make_shared<ManyFlags>();
    c->add_option("container", f->containers, "CONTAINER")->required();
    std::string action = verb;
    subs.push_back({c, [&state, f, action] {
                      return for_each(state, f->containers, "POST",
                                      [&](const std::string& n) { return "/containers/" + esc(n) + "/" + action; });
                    }});
  }
  {
    auto* c = parent.add_subcommand("rename", "Rename a container");
    auto from = std::make_shared<std::string>(), to = std::make_shared<std::string>();
    c->add_option("container", *from, "CONTAINER")->required();
    c->add_option("new_name", *to, "NEW_NAME")->required();
    subs.push_back({c, [&state, from, to] {
                      std::string name = *to;
                      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(name.begin());
                      if (name.empty()) return report(Error{"Error: Neither old nor new names may be empty"});
                      return for_each(
                          state, {*from}, "POST",
                          [&](const std::string& n) { return "/containers/" + esc(n) + "/rename?name=" + esc(name); }, false);
                    }});
  }
  {
    auto* c = parent.add_subcommand("wait", "Block until one or more containers stop, then print their exit codes");
    auto names = std::make_shared<std::vector<std::string>>();
    c->add_option("container", *names, "CONTAINER")->required();
    subs.push_back({c, [&state, names] { return wait_all(state, *names); }});
  }
}

}  // namespace stack::cli::container
