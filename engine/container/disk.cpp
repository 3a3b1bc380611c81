#include "engine/container/disk.h"

#include <cerrno>

#include "engine/container/create.h"
#include "engine/container/inspect.h"

namespace stack::container {
namespace {

using nlohmann::json;

json state_to_json(const State& s) {
  json o = json::object();
  o["Status"] = s.status;
  o["Running"] = s.running;
  o["Paused"] = s.paused;
  o["Restarting"] = s.restarting;
  o["OOMKilled"] = s.oom_killed;
  o["Dead"] = s.dead;
  o["RemovalInProgress"] = s.removal_in_progress;
  o["Pid"] = s.pid;
  o["ExitCode"] = s.exit_code;
  o["Error"] = s.error;
  o["StartedAt"] = s.started_at;
  o["FinishedAt"] = s.finished_at;
  if (s.health) {
    json h = json::object();
    h["Status"] = s.health->status;
    h["FailingStreak"] = s.health->failing_streak;
    json log = json::array();
    for (const auto& e : s.health->log)
      log.push_back({{"Start", e.start}, {"End", e.end}, {"ExitCode", e.exit_code}, {"Output", e.output}});
    h["Log"] = std::move(log);
    o["Health"] = std::move(h);
  }
  return o;
}

template <class T>
Result<void> get(const json& obj, const char* key, T& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    return fail(std::string("config.v2.json: ") + key + ": wrong type", EINVAL);
  }
  return {};
}

#define TRY(expr)                         \
  do {                                    \
    if (auto r_ = (expr); !r_) {          \
      return std::unexpected(r_.error()); \
    }                                     \
  } while (0)

Result<State> state_from_json(const json& o) {
  State s;
  if (!o.is_object()) return s;
  TRY(get(o, "Status", s.status));
  TRY(get(o, "Running", s.running));
  TRY(get(o, "Paused", s.paused));
  TRY(get(o, "Restarting", s.restarting));
  TRY(get(o, "OOMKilled", s.oom_killed));
  TRY(get(o, "Dead", s.dead));
  TRY(get(o, "RemovalInProgress", s.removal_in_progress));
  TRY(get(o, "Pid", s.pid));
  TRY(get(o, "ExitCode", s.exit_code));
  TRY(get(o, "Error", s.error));
  TRY(get(o, "StartedAt", s.started_at));
  TRY(get(o, "FinishedAt", s.finished_at));
  if (auto it = o.find("Health"); it != o.end() && it->is_object()) {
    HealthState h;
    TRY(get(*it, "Status", h.status));
    TRY(get(*it, "FailingStreak", h.failing_streak));
    if (auto log = it->find("Log"); log != it->end() && log->is_array()) {
      for (const auto& e : *log) {
        HealthLogEntry entry;
        TRY(get(e, "Start", entry.start));
        TRY(get(e, "End", entry.end));
        TRY(get(e, "ExitCode", entry.exit_code));
        TRY(get(e, "Output", entry.output));
        h.log.push_back(std::move(entry));
      }
    }
    s.health = std::move(h);
  }
  return s;
}

}  // namespace

json to_disk_json(const Record& r) {
  json o = json::object();
  o["Version"] = kDiskFormatVersion;
  o["ID"] = r.id;
  o["Name"] = r.name;
  o["Created"] = r.created;
  o["Image"] = r.image_id;
  o["Path"] = r.path;
  o["Args"] = r.args;
  // The same shapes as the API (and read back with the API's decoders), so
  // the file is what `inspect` shows.
  o["Config"] = json::parse(config_json(r.config).dump());
  o["HostConfig"] = json::parse(host_config_json(r.host_config).dump());
  o["State"] = state_to_json(r.state);
  o["RestartCount"] = r.restart_count;
  o["HasBeenStartedBefore"] = r.has_been_started_before;
  o["HasBeenManuallyStopped"] = r.has_been_manually_stopped;
  o["LogPath"] = r.log_path;
  o["ResolvConfPath"] = r.resolv_conf_path;
  o["HostnamePath"] = r.hostname_path;
  o["HostsPath"] = r.hosts_path;
  o["AppArmorProfile"] = r.apparmor_profile;
  o["ExecIDs"] = r.exec_ids;
  o["MonitorPid"] = r.monitor_pid;
  o["MonitorStartTime"] = r.monitor_start_time;
  return o;
}

Result<Record> from_disk_json(const json& o) {
  if (!o.is_object()) return fail("config.v2.json: not a JSON object", EINVAL);
  int version = 0;
  TRY(get(o, "Version", version));
  if (version < 1 || version > kDiskFormatVersion)
    return fail("config.v2.json: unsupported format version " + std::to_string(version), EINVAL);
  Record r;
  TRY(get(o, "ID", r.id));
  if (r.id.size() != 64) return fail("config.v2.json: bad container id '" + r.id + "'", EINVAL);
  TRY(get(o, "Name", r.name));
  TRY(get(o, "Created", r.created));
  TRY(get(o, "Image", r.image_id));
  TRY(get(o, "Path", r.path));
  TRY(get(o, "Args", r.args));
  if (auto it = o.find("Config"); it != o.end()) {
    auto c = decode_config(*it);
    if (!c) return std::unexpected(c.error().wrapped("config.v2.json: Config"));
    r.config = std::move(*c);
  }
  if (auto it = o.find("HostConfig"); it != o.end()) {
    auto h = decode_host_config(*it);
    if (!h) return std::unexpected(h.error().wrapped("config.v2.json: HostConfig"));
    r.host_config = std::move(*h);
  }
  if (auto it = o.find("State"); it != o.end()) {
    auto s = state_from_json(*it);
    if (!s) return std::unexpected(s.error());
    r.state = std::move(*s);
  }
  TRY(get(o, "RestartCount", r.restart_count));
  TRY(get(o, "HasBeenStartedBefore", r.has_been_started_before));
  TRY(get(o, "HasBeenManuallyStopped", r.has_been_manually_stopped));
  TRY(get(o, "LogPath", r.log_path));
  TRY(get(o, "ResolvConfPath", r.resolv_conf_path));
  TRY(get(o, "HostnamePath", r.hostname_path));
  TRY(get(o, "HostsPath", r.hosts_path));
  TRY(get(o, "AppArmorProfile", r.apparmor_profile));
  TRY(get(o, "ExecIDs", r.exec_ids));
  TRY(get(o, "MonitorPid", r.monitor_pid));
  TRY(get(o, "MonitorStartTime", r.monitor_start_time));
  return r;
}

}  // namespace stack::container
