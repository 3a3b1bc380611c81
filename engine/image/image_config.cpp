#include "engine/image/image_config.h"

#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace stack::image {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::vector<std::string> string_list(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<int64_t>() : 0;
}

RunConfig parse_run_config(const json& c) {
  RunConfig rc;
  if (!c.is_object()) return rc;
  rc.user = str(c, "User");
  if (auto it = c.find("ExposedPorts"); it != c.end() && it->is_object())
    for (const auto& [k, v] : it->items()) rc.exposed_ports.insert(k);
  rc.env = string_list(c.value("Env", json()));
  if (auto it = c.find("Cmd"); it != c.end() && it->is_array()) rc.cmd = string_list(*it);
  if (auto it = c.find("Entrypoint"); it != c.end() && it->is_array()) rc.entrypoint = string_list(*it);
  if (auto it = c.find("Healthcheck"); it != c.end() && it->is_object()) {
    HealthConfig h;
    h.test = string_list(it->value("Test", json()));
    h.interval_ns = num(*it, "Interval");
    h.timeout_ns = num(*it, "Timeout");
    h.start_period_ns = num(*it, "StartPeriod");
    h.start_interval_ns = num(*it, "StartInterval");
    h.retries = static_cast<int>(num(*it, "Retries"));
    rc.healthcheck = h;
  }
  if (auto it = c.find("Volumes"); it != c.end() && it->is_object())
    for (const auto& [k, v] : it->items()) rc.volumes.insert(k);
  rc.working_dir = str(c, "WorkingDir");
  if (auto it = c.find("Labels"); it != c.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      if (v.is_string()) rc.labels[k] = v.get<std::string>();
  rc.stop_signal = str(c, "StopSignal");
  rc.on_build = string_list(c.value("OnBuild", json()));
  if (auto it = c.find("ArgsEscaped"); it != c.end() && it->is_boolean()) rc.args_escaped = it->get<bool>();
  return rc;
}

json health_json(const HealthConfig& h) {
  json j = json::object();
  j["Test"] = h.test;
  if (h.interval_ns) j["Interval"] = h.interval_ns;
  if (h.timeout_ns) j["Timeout"] = h.timeout_ns;
  if (h.start_period_ns) j["StartPeriod"] = h.start_period_ns;
  if (h.start_interval_ns) j["StartInterval"] = h.start_interval_ns;
  if (h.retries) j["Retries"] = h.retries;
  return j;
}

template <class J>
J set_json(const std::set<std::string>& s) {
  J j = J::object();
  for (const auto& k : s) j[k] = J::object();
  return j;
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail("image config is not a JSON object");
  ImageConfig ic;
  ic.architecture = str(j, "architecture");
  ic.os = str(j, "os");
  ic.variant = str(j, "variant");
  ic.created = str(j, "created");
  ic.author = str(j, "author");
  ic.docker_version = str(j, "docker_version");
  ic.comment = str(j, "comment");
  ic.config = parse_run_config(j.value("config", json()));
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object() || str(*rootfs, "type") != "layers")
    return fail("image config: rootfs.type must be \"layers\"");
  auto diff_ids = rootfs->find("diff_ids");
  if (diff_ids == rootfs->end() || !diff_ids->is_array()) return fail("image config: rootfs.diff_ids must be an array");
  ic.diff_ids = string_list(*diff_ids);
  if (ic.diff_ids.size() != diff_ids->size()) return fail("image config: rootfs.diff_ids must hold strings");
  if (auto h = j.find("history"); h != j.end() && h->is_array()) {
    for (const auto& e : *h) {
      if (!e.is_object()) continue;
      HistoryEntry he{str(e, "created"), str(e, "created_by"), str(e, "author"), str(e, "comment"),
                      e.value("empty_layer", false)};
      ic.history.push_back(std::move(he));
    }
  }
  ic.raw = std::move(j);
  return ic;
}

std::string serialize_image_config(const ImageConfig& ic) {
  json c = json::object();
  const RunConfig& rc = ic.config;
  if (!rc.user.empty()) c["User"] = rc.user;
  if (!rc.exposed_ports.empty()) c["ExposedPorts"] = set_json<json>(rc.exposed_ports);
  c["Env"] = rc.env.empty() ? json(nullptr) : json(rc.env);
  c["Cmd"] = rc.cmd ? json(*rc.cmd) : json(nullptr);
  if (rc.healthcheck) c["Healthcheck"] = health_json(*rc.healthcheck);
  if (!rc.volumes.empty()) c["Volumes"] = set_json<json>(rc.volumes);
  c["WorkingDir"] = rc.working_dir;
  c["Entrypoint"] = rc.entrypoint ? json(*rc.entrypoint) : json(nullptr);
  c["OnBuild"] = rc.on_build.empty() ? json(nullptr) : json(rc.on_build);
  c["Labels"] = rc.labels.empty() ? json(nullptr) : json(rc.labels);
  if (!rc.stop_signal.empty()) c["StopSignal"] = rc.stop_signal;
  json j = json::object();
  j["architecture"] = ic.architecture;
  j["os"] = ic.os;
  if (!ic.variant.empty()) j["variant"] = ic.variant;
  if (!ic.created.empty()) j["created"] = ic.created;
  if (!ic.author.empty()) j["author"] = ic.author;
  if (!ic.comment.empty()) j["comment"] = ic.comment;
  j["config"] = c;
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", ic.diff_ids}};
  json hist = json::array();
  for (const auto& h : ic.history) {
    json e = json::object();
    if (!h.created.empty()) e["created"] = h.created;
    if (!h.created_by.empty()) e["created_by"] = h.created_by;
    if (!h.author.empty()) e["author"] = h.author;
    if (!h.comment.empty()) e["comment"] = h.comment;
    if (h.empty_layer) e["empty_layer"] = true;
    hist.push_back(e);
  }
  j["history"] = hist;
  return j.dump();
}

ordered_json inspect_run_config(const RunConfig& rc) {
  auto list_or_null = [](const std::vector<std::string>& v) { return v.empty() ? ordered_json(nullptr) : ordered_json(v); };
  ordered_json c = ordered_json::object();
  c["Hostname"] = "";
  c["Domainname"] = "";
  c["User"] = rc.user;
  c["AttachStdin"] = false;
  c["AttachStdout"] = false;
  c["AttachStderr"] = false;
  if (!rc.exposed_ports.empty()) c["ExposedPorts"] = set_json<ordered_json>(rc.exposed_ports);
  c["Tty"] = false;
  c["OpenStdin"] = false;
  c["StdinOnce"] = false;
  c["Env"] = list_or_null(rc.env);
  c["Cmd"] = rc.cmd ? ordered_json(*rc.cmd) : ordered_json(nullptr);
  if (rc.healthcheck) {
    ordered_json h = ordered_json::object();
    h["Test"] = rc.healthcheck->test;
    if (rc.healthcheck->interval_ns) h["Interval"] = rc.healthcheck->interval_ns;
    if (rc.healthcheck->timeout_ns) h["Timeout"] = rc.healthcheck->timeout_ns;
    if (rc.healthcheck->start_period_ns) h["StartPeriod"] = rc.healthcheck->start_period_ns;
    if (rc.healthcheck->start_interval_ns) h["StartInterval"] = rc.healthcheck->start_interval_ns;
    if (rc.healthcheck->retries) h["Retries"] = rc.healthcheck->retries;
    c["Healthcheck"] = h;
  }
  if (rc.args_escaped) c["ArgsEscaped"] = true;
  c["Image"] = "";
  c["Volumes"] = rc.volumes.empty() ? ordered_json(nullptr) : set_json<ordered_json>(rc.volumes);
  c["WorkingDir"] = rc.working_dir;
  c["Entrypoint"] = rc.entrypoint ? ordered_json(*rc.entrypoint) : ordered_json(nullptr);
  c["OnBuild"] = list_or_null(rc.on_build);
  ordered_json labels = ordered_json::object();
  for (const auto& [k, v] : rc.labels) labels[k] = v;
  c["Labels"] = rc.labels.empty() ? ordered_json(nullptr) : labels;
  if (!rc.stop_signal.empty()) c["StopSignal"] = rc.stop_signal;
  return c;
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (auto& e : env) {
    if (e.compare(0, key.size(), key) == 0 && e.size() > key.size() && e[key.size()] == '=') {
      e = key + "=" + value;
      return;
    }
    if (e == key) {
      e = key + "=" + value;
      return;
    }
  }
  env.push_back(key + "=" + value);
}

std::string host_architecture() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "armv7l" || m == "armv6l") return "arm";
  if (m == "i686" || m == "i386") return "386";
  return m;
}

std::string rfc3339_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  int y, mo, d, h, mi, s;
  if (text.size() < 19) return std::nullopt;
  std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t secs = ::timegm(&tm);
  // Offset: 'Z' or ±hh:mm after the optional fraction.
  size_t i = 19;
  if (i < t.size() && t[i] == '.')
    for (++i; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) {
    }
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(t.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) secs -= (t[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  }
  return secs;
}

}  // namespace stack::image
