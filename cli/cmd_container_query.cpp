// `stack container ls|inspect|top|stats`: read-only calls, printed by container_output.
#include <unistd.h>

#include <ctime>
#include <future>
#include <iostream>

#include "cli/cmd_container.h"
#include "cli/container_output.h"

namespace stack::cli::container {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct LsFlags {
  PsOptions output;
  bool all = false, latest = false;
  int last = -1;
  std::vector<std::string> filters;
};

std::string list_target(bool all, int limit, bool size, const std::vector<std::string>& filters) {
  std::string q;
  auto add = [&q](const std::string& kv) { q += (q.empty() ? "?" : "&") + kv; };
  if (all) add("all=1");
  if (limit > 0) add("limit=" + std::to_string(limit));
  if (size) add("size=1");
  if (!filters.empty()) add("filters=" + esc(filters_json(filters).dump()));
  return "/containers/json" + q;
}

int ls(const StateFlags& state, const LsFlags& f) {
  auto c = connect(state);
  if (!c) return 1;
  int limit = f.latest ? 1 : f.last;
  // -n and -l imply -a, as docker's.
  bool all = f.all || limit > 0;
  auto list = call_json(*c, "GET", list_target(all, limit, f.output.size, f.filters));
  if (!list) return report(list.error());
  std::cout << format_ps(*list, f.output, std::time(nullptr));
  return 0;
}

int inspect(const StateFlags& state, const std::vector<std::string>& names, const std::string& format, bool size) {
  auto c = connect(state);
  if (!c) return 1;
  std::vector<ordered_json> found;
  std::vector<std::string> errors;
  for (const auto& n : names) {
    auto r = c->get("/containers/" + esc(n) + "/json" + (size ? "?size=1" : ""));
    if (!r) return report(r.error());
    if (r->status >= 300) {
      errors.push_back(client::error_from(*r).message);
      continue;
    }
    auto j = ordered_json::parse(r->body, nullptr, false);
    if (j.is_discarded()) {
      errors.push_back("decode the daemon's answer for " + n + ": not JSON");
      continue;
    }
    found.push_back(std::move(j));
  }
  if (!found.empty() || format.empty()) std::cout << format_inspect(found, format);
  for (const auto& e : errors) std::cerr << "Error: " << e << "\n";
  return errors.empty() ? 0 : 1;
}

int top(const StateFlags& state, const std::string& name, const std::vector<std::string>& ps_args) {
  auto c = connect(state);
  if (!c) return 1;
  std::string args;
  for (const auto& a : ps_args) args += (args.empty() ? "" : " ") + a;
  auto j = call_json(*c, "GET", "/containers/" + esc(name) + "/top" + (args.empty() ? "" : "?ps_args=" + esc(args)));
  if (!j) return report(j.error());
  std::cout << format_top(*j);
  return 0;
}

struct StatsFlags {
  bool all = false, no_stream = false, no_trunc = false;
  std::string format;
  std::vector<std::string> containers;
};

int stats(const StateFlags& state, const StatsFlags& f) {
  auto c = connect(state);
  if (!c) return 1;
  for (;;) {
    std::vector<std::string> ids = f.containers;
    if (ids.empty()) {
      auto list = call_json(*c, "GET", list_target(f.all, -1, false, {}));
      if (!list) return report(list.error());
      for (const auto& s : *list) ids.push_back(s.value("Id", ""));
    }
    // One sample takes the daemon about a second (two readings for the CPU delta): ask in parallel.
    std::vector<std::future<Result<json>>> pending;
    for (const auto& id : ids)
      pending.push_back(std::async(std::launch::async, [&c, id] {
        return call_json(*c, "GET", "/containers/" + esc(id) + "/stats?stream=false");
      }));
    std::vector<StatsRow> rows;
    int rc = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
      auto r = pending[i].get();
      if (!r) {
        rc = report(r.error());
        continue;
      }
      StatsRow row = stats_row(*r);
      if (row.id.empty()) row.id = ids[i];
      rows.push_back(std::move(row));
    }
    if (f.no_stream) {
      std::cout << format_stats(rows, f.format, f.no_trunc);
      return rc;
    }
    if (rc != 0 && rows.empty()) return rc;
    if (::isatty(1)) std::cout << "\033[2J\033[H";
    std::cout << format_stats(rows, f.format, f.no_trunc) << std::flush;
  }
}

}  // namespace

void add_query_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  {
    auto* c = parent.add_subcommand("ls", "List containers");
    c->alias("list");
    c->alias("ps");
    auto f = std::make_shared<LsFlags>();
    c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
    c->add_flag("-q,--quiet", f->output.quiet, "Only display container IDs");
    c->add_flag("--no-trunc", f->output.no_trunc, "Don't truncate output");
    c->add_flag("-s,--size", f->output.size, "Display total file sizes");
    c->add_flag("-l,--latest", f->latest, "Show the latest created container (includes all states)");
    c->add_option("-n,--last", f->last, "Show n last created containers (includes all states)");
    c->add_option("-f,--filter", f->filters, "Filter output based on conditions provided")->allow_extra_args(false);
    c->add_option("--format", f->output.format, "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'");
    subs.push_back({c, [&state, f] { return ls(state, *f); }});
  }
  {
    auto* c = parent.add_subcommand("inspect", "Display detailed information on one or more containers");
    auto names = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    auto size = std::make_shared<bool>(false);
    c->add_option("-f,--format", *format, "Format output using a custom template");
    c->add_flag("-s,--size", *size, "Display total file sizes");
    c->add_option("container", *names, "CONTAINER")->required();
    subs.push_back({c, [&state, names, format, size] { return inspect(state, *names, *format, *size); }});
  }
  {
    auto* c = parent.add_subcommand("top", "Display the running processes of a container");
    auto name = std::make_shared<std::string>();
    c->add_option("container", *name, "CONTAINER")->required();
    // CONTAINER [ps OPTIONS]: everything after the name goes to ps.
    c->prefix_command();
    c->allow_extras();
    c->fallthrough(false);
    subs.push_back({c, [&state, c, name] { return top(state, *name, c->remaining()); }});
  }
  {
    auto* c = parent.add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
    auto f = std::make_shared<StatsFlags>();
    c->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
    c->add_flag("--no-stream", f->no_stream, "Disable streaming stats and only pull the first result");
    c->add_flag("--no-trunc", f->no_trunc, "Do not truncate output");
    c->add_option("--format", f->format, "Format output using a custom template");
    c->add_option("container", f->containers, "CONTAINER");
    subs.push_back({c, [&state, f] { return stats(state, *f); }});
  }
}

}  // namespace stack::cli::container
