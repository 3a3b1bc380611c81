// `stack container diff|commit|update` and `stack system df`, as docker's diff.go,
// commit.go, update.go and system/df.go print them.
#include <iostream>
#include <memory>
#include <optional>

#include "cli/cmd_container.h"
#include "cli/container_flags.h"
#include "cli/container_output.h"
#include "cli/image_format.h"
#include "compose/units.h"

namespace stack::cli::container {
namespace {

struct CommitFlags {
  std::string author, message;
  std::vector<std::string> changes;
  bool pause = true;
  std::string container, reference;
};

struct UpdateFlags {
  std::vector<std::string> containers;
  std::optional<int64_t> blkio_weight, cpu_period, cpu_quota, cpu_rt_period, cpu_rt_runtime, cpu_shares, pids_limit;
  std::string cpus, cpuset_cpus, cpuset_mems, memory, memory_reservation, memory_swap, restart;
};

std::unexpected<Error> bad_flag(std::string_view value, std::string_view flag, std::string_view why) {
  return fail("invalid argument \"" + std::string(value) + "\" for \"" + std::string(flag) + "\" flag: " + std::string(why));
}

Result<int64_t> bytes_flag(const std::string& text, std::string_view flag, bool minus_one_ok) {
  if (minus_one_ok && text == "-1") return -1;
  auto b = compose::parse_unit_bytes(text);
  if (!b) return bad_flag(text, flag, b.error().message);
  return b->bytes;
}

Result<nlohmann::json> update_body(const UpdateFlags& f) {
  nlohmann::json body = nlohmann::json::object();
  if (f.blkio_weight) body["BlkioWeight"] = *f.blkio_weight;
  if (f.cpu_period) body["CpuPeriod"] = *f.cpu_period;
  if (f.cpu_quota) body["CpuQuota"] = *f.cpu_quota;
  if (f.cpu_rt_period) body["CpuRealtimePeriod"] = *f.cpu_rt_period;
  if (f.cpu_rt_runtime) body["CpuRealtimeRuntime"] = *f.cpu_rt_runtime;
  if (f.cpu_shares) body["CpuShares"] = *f.cpu_shares;
  if (f.pids_limit) body["PidsLimit"] = *f.pids_limit;
  if (!f.cpus.empty()) {
    char* end = nullptr;
    double v = std::strtod(f.cpus.c_str(), &end);
    if (end != f.cpus.c_str() + f.cpus.size()) return bad_flag(f.cpus, "--cpus", "failed to parse " + f.cpus + " as a rational number");
    body["NanoCpus"] = static_cast<int64_t>(v * 1e9 + 0.5);
  }
  if (!f.cpuset_cpus.empty()) body["CpusetCpus"] = f.cpuset_cpus;
  if (!f.cpuset_mems.empty()) body["CpusetMems"] = f.cpuset_mems;
  if (!f.memory.empty()) {
    auto m = bytes_flag(f.memory, "-m, --memory", false);
    if (!m) return std::unexpected(m.error());
    body["Memory"] = *m;
  }
  if (!f.memory_reservation.empty()) {
    auto m = bytes_flag(f.memory_reservation, "--memory-reservation", false);
    if (!m) return std::unexpected(m.error());
    body["MemoryReservation"] = *m;
  }
  if (!f.memory_swap.empty()) {
    auto m = bytes_flag(f.memory_swap, "--memory-swap", true);
    if (!m) return std::unexpected(m.error());
    body["MemorySwap"] = *m;
  }
  if (!f.restart.empty()) {
    auto p = parse_restart_flag(f.restart);
    if (!p) return std::unexpected(p.error());
    body["RestartPolicy"] = *p;
  }
  if (body.empty()) return fail("you must provide one or more flags when using this command");
  return body;
}

int run_diff(const StateFlags& state, const std::string& name) {
  auto c = connect(state);
  if (!c) return 1;
  auto r = call_json(*c, "GET", "/containers/" + esc(name) + "/changes");
  if (!r) return report(r.error());
  if (!r->is_array()) return 0;
  for (const auto& ch : *r) {
    int kind = ch.value("Kind", 0);
    const char* letter = kind == 1 ? "A" : kind == 2 ? "D" : "C";
    std::cout << letter << " " << ch.value("Path", "") << "\n";
  }
  return 0;
}

int run_commit(const StateFlags& state, const CommitFlags& f) {
  std::string repo = f.reference, tag;
  // "name:tag" (a ':' after the last '/'): docker's reference split.
  if (auto colon = repo.rfind(':'); colon != std::string::npos && repo.find('/', colon) == std::string::npos) {
    tag = repo.substr(colon + 1);
    repo.resize(colon);
  }
  std::string q = "?container=" + esc(f.container) + "&repo=" + esc(repo) + "&tag=" + esc(tag) +
                  "&comment=" + esc(f.message) + "&author=" + esc(f.author) + "&pause=" + (f.pause ? "1" : "0");
  for (const auto& ch : f.changes) q += "&changes=" + esc(ch);
  auto c = connect(state);
  if (!c) return 1;
  auto r = call_json(*c, "POST", "/commit" + q);
  if (!r) return report(r.error());
  std::cout << r->value("Id", "") << "\n";
  return 0;
}

int run_update(const StateFlags& state, const UpdateFlags& f) {
  auto body = update_body(f);
  if (!body) return report(body.error());
  auto c = connect(state);
  if (!c) return 1;
  std::string text = body->dump();
  int rc = 0;
  for (const auto& name : f.containers) {
    auto r = call_json(*c, "POST", "/containers/" + esc(name) + "/update", text);
    if (!r) {
      rc = report(r.error());
      continue;
    }
    if (auto w = r->find("Warnings"); w != r->end() && w->is_array())
      for (const auto& line : *w) std::cerr << line.get<std::string>() << "\n";
    std::cout << name << "\n";
  }
  return rc;
}

// docker's formatter: "1.2MB (50%)" with the percentage when there is a total.
std::string reclaimable(int64_t amount, int64_t total) {
  std::string s = human_size(static_cast<double>(amount), 4);
  if (total > 0) s += " (" + std::to_string(amount * 100 / total) + "%)";
  return s;
}

int run_df(const StateFlags& state) {
  auto c = connect(state);
  if (!c) return 1;
  auto r = call_json(*c, "GET", "/system/df");
  if (!r) return report(r.error());
  const int64_t layers = r->value("LayersSize", int64_t{0});
  int64_t images_active = 0, used = 0;
  const auto& images = (*r)["Images"];
  for (const auto& i : images) {
    if (i.value("Containers", int64_t{0}) == 0) continue;
    ++images_active;
    used += i.value("Size", int64_t{0}) - std::max<int64_t>(0, i.value("SharedSize", int64_t{0}));
  }
  int64_t containers_active = 0, rw = 0, rw_idle = 0;
  const auto& containers = (*r)["Containers"];
  for (const auto& ct : containers) {
    int64_t size = ct.value("SizeRw", int64_t{0});
    rw += size;
    if (ct.value("State", "") == "running") {
      ++containers_active;
    } else {
      rw_idle += size;
    }
  }
  std::vector<std::vector<std::string>> rows = {
      {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"},
      {"Images", std::to_string(images.size()), std::to_string(images_active), human_size(static_cast<double>(layers), 4),
       reclaimable(layers - used, layers)},
      {"Containers", std::to_string(containers.size()), std::to_string(containers_active),
       human_size(static_cast<double>(rw), 4), reclaimable(rw_idle, rw)},
      {"Local Volumes", "0", "0", "0B", "0B"},
      {"Build Cache", "0", "0", "0B", "0B"},
  };
  std::cout << tab_table(rows, 10);
  return 0;
}

}  // namespace

void add_changes_commands(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  {
    auto* c = parent.add_subcommand("diff", "Inspect changes to files or directories on a container's filesystem");
    auto name = std::make_shared<std::string>();
    c->add_option("container", *name, "CONTAINER")->required();
    subs.push_back({c, [&state, name] { return run_diff(state, *name); }});
  }
  {
    auto* c = parent.add_subcommand("commit", "Create a new image from a container's changes");
    auto f = std::make_shared<CommitFlags>();
    c->add_option("-a,--author", f->author, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
    c->add_option("-c,--change", f->changes, "Apply Dockerfile instruction to the created image")->allow_extra_args(false);
    c->add_option("-m,--message", f->message, "Commit message");
    c->add_flag("-p,--pause,!--no-pause", f->pause, "Pause container during commit (default true)");
    c->add_option("container", f->container, "CONTAINER")->required();
    c->add_option("reference", f->reference, "[REPOSITORY[:TAG]]");
    subs.push_back({c, [&state, f] { return run_commit(state, *f); }});
  }
  {
    auto* c = parent.add_subcommand("update", "Update configuration of one or more containers");
    auto f = std::make_shared<UpdateFlags>();
    c->add_option("--blkio-weight", f->blkio_weight, "Block IO (relative weight), between 10 and 1000, or 0 to disable");
    c->add_option("--cpu-period", f->cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
    c->add_option("--cpu-quota", f->cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
    c->add_option("--cpu-rt-period", f->cpu_rt_period, "Limit the CPU real-time period in microseconds");
    c->add_option("--cpu-rt-runtime", f->cpu_rt_runtime, "Limit the CPU real-time runtime in microseconds");
    c->add_option("-c,--cpu-shares", f->cpu_shares, "CPU shares (relative weight)");
    c->add_option("--cpus", f->cpus, "Number of CPUs");
    c->add_option("--cpuset-cpus", f->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
    c->add_option("--cpuset-mems", f->cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
    c->add_option("-m,--memory", f->memory, "Memory limit");
    c->add_option("--memory-reservation", f->memory_reservation, "Memory soft limit");
    c->add_option("--memory-swap", f->memory_swap, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
    c->add_option("--pids-limit", f->pids_limit, "Tune container pids limit (set -1 for unlimited)");
    c->add_option("--restart", f->restart, "Restart policy to apply when a container exits");
    c->add_option("container", f->containers, "CONTAINER")->required();
    subs.push_back({c, [&state, f] { return run_update(state, *f); }});
  }
}

void add_df_command(CLI::App& system, const StateFlags& state, std::vector<Command>& subs) {
  auto* c = system.add_subcommand("df", "Show docker disk usage");
  subs.push_back({c, [&state] { return run_df(state); }});
}

}  // namespace stack::cli::container
