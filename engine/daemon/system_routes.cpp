#include "engine/daemon/system_routes.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>

#include "common/files.h"
#include "common/strings.h"
#include "engine/api/filters.h"
#include "engine/api/version.h"
#include "engine/image/image_config.h"
#include "engine/runtime/cgroup_detect.h"
#include "engine/runtime/cgroups.h"

namespace stack::daemon {

namespace {

using api::Request;
using api::Responder;

std::string kernel_version() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

std::string os_name() {
  auto text = read_file("/etc/os-release");
  if (!text) return "Linux";
  for (const auto& line : split(*text, '\n')) {
    if (line.starts_with("PRETTY_NAME=")) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string go_arch() {
  struct utsname u {};
  ::uname(&u);
  return u.machine;
}

}  // namespace

void add_system_routes(api::Router& router, ContainerService& svc, SystemInfo info) {
  auto ping = [](Request& req, Responder& res) -> net::awaitable<void> {
    res.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
    res.set_header("Pragma", "no-cache");
    if (req.method == "HEAD") {
      res.set_header("Content-Length", "0");
      co_await res.raw(200, "text/plain; charset=utf-8", "");
      co_return;
    }
    co_await res.raw(200, "text/plain; charset=utf-8", "OK");
  };
  router.add("GET", "/_ping", ping);
  router.add("HEAD", "/_ping", ping);

  router.add("GET", "/version", [](Request&, Responder& res) -> net::awaitable<void> {
    nlohmann::ordered_json component;
    component["Name"] = "Engine";
    component["Version"] = std::string(api::kEngineVersion);
    component["Details"] = {{"ApiVersion", std::string(api::kMaxApiVersion)},
                            {"Arch", image::host_architecture()},
                            {"BuildTime", ""},
                            {"Experimental", "false"},
                            {"GitCommit", ""},
                            {"GoVersion", "n/a (C++)"},
                            {"KernelVersion", kernel_version()},
                            {"MinAPIVersion", std::string(api::kMinApiVersion)},
                            {"Os", "linux"}};
    nlohmann::ordered_json j;
    j["Platform"] = {{"Name", "stack"}};
    j["Components"] = nlohmann::ordered_json::array({component});
    j["Version"] = std::string(api::kEngineVersion);
    j["ApiVersion"] = std::string(api::kMaxApiVersion);
    j["MinAPIVersion"] = std::string(api::kMinApiVersion);
    j["GitCommit"] = "";
    j["GoVersion"] = "n/a (C++)";
    j["Os"] = "linux";
    j["Arch"] = image::host_architecture();
    j["KernelVersion"] = kernel_version();
    j["BuildTime"] = "";
    co_await res.json(200, j);
  });

  router.add("GET", "/info", [&svc, info](Request&, Responder& res) -> net::awaitable<void> {
    auto images = svc.images().list();
    auto mode = runtime::detect_cgroup_mode();
    const bool v2 = mode && *mode == runtime::CgroupMode::V2;
    nlohmann::ordered_json j;
    j["ID"] = info.id;
    j["Containers"] = svc.count();
    j["ContainersRunning"] = svc.count_in("running");
    j["ContainersPaused"] = svc.count_in("paused");
    j["ContainersStopped"] = svc.count_in("stopped");
    j["Images"] = images ? images->size() : 0;
    j["Driver"] = "overlay2";
    j["DriverStatus"] = nlohmann::ordered_json::array({nlohmann::ordered_json::array({"Backing Filesystem", "extfs"}),
                                                      nlohmann::ordered_json::array({"Supports d_type", "true"})});
    j["Plugins"] = {{"Volume", {"local"}}, {"Network", {"none", "host"}}, {"Authorization", nullptr}, {"Log", {"json-file", "none"}}};
    j["MemoryLimit"] = true;
    j["SwapLimit"] = true;
    j["CpuCfsPeriod"] = true;
    j["CpuCfsQuota"] = true;
    j["CPUShares"] = true;
    j["CPUSet"] = true;
    j["PidsLimit"] = true;
    j["IPv4Forwarding"] = true;
    j["BridgeNfIptables"] = false;
    j["BridgeNfIp6tables"] = false;
    j["Debug"] = false;
    j["NFd"] = 0;
    j["KernelMemory"] = !v2;
    j["KernelMemoryTCP"] = !v2;
    j["OomKillDisable"] = !v2;
    j["NGoroutines"] = 0;
    j["SystemTime"] = image::rfc3339_now();
    j["LoggingDriver"] = "json-file";
    j["CgroupDriver"] = "cgroupfs";
    j["CgroupVersion"] = v2 ? "2" : "1";
    j["NEventsListener"] = 0;
    j["KernelVersion"] = kernel_version();
    j["OperatingSystem"] = os_name();
    j["OSVersion"] = "";
    j["OSType"] = "linux";
    j["Architecture"] = go_arch();
    j["IndexServerAddress"] = "https://index.docker.io/v1/";
    j["RegistryConfig"] = {{"AllowNondistributableArtifactsCIDRs", nlohmann::ordered_json::array()},
                           {"AllowNondistributableArtifactsHostnames", nlohmann::ordered_json::array()},
                           {"InsecureRegistryCIDRs", {"127.0.0.0/8"}},
                           {"IndexConfigs",
                            {{"docker.io",
                              {{"Name", "docker.io"}, {"Mirrors", nlohmann::ordered_json::array()}, {"Secure", true}, {"Official", true}}}}},
                           {"Mirrors", nlohmann::ordered_json::array()}};
    j["NCPU"] = ::sysconf(_SC_NPROCESSORS_ONLN);
    j["MemTotal"] = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
    j["GenericResources"] = nullptr;
    j["DockerRootDir"] = info.root;
    j["HttpProxy"] = "";
    j["HttpsProxy"] = "";
    j["NoProxy"] = "";
    j["Name"] = info.name;
    j["Labels"] = nlohmann::ordered_json::array();
    j["ExperimentalBuild"] = false;
    j["ServerVersion"] = std::string(api::kEngineVersion);
    j["Runtimes"] = {{"stack", {{"path", "stack"}}}};
    j["DefaultRuntime"] = "stack";
    j["Swarm"] = {{"NodeID", ""}, {"NodeAddr", ""}, {"LocalNodeState", "inactive"}, {"ControlAvailable", false}, {"Error", ""}, {"RemoteManagers", nullptr}};
    j["LiveRestoreEnabled"] = true;
    j["Isolation"] = "";
    j["InitBinary"] = "stack-init";
    j["ContainerdCommit"] = {{"ID", ""}, {"Expected", ""}};
    j["RuncCommit"] = {{"ID", ""}, {"Expected", ""}};
    j["InitCommit"] = {{"ID", ""}, {"Expected", ""}};
    j["SecurityOptions"] = {"name=seccomp,profile=builtin"};
    j["Warnings"] = nlohmann::ordered_json::array();
    co_await res.json(200, j);
  });

  router.add("GET", "/events", [&svc](Request& req, Responder& res) -> net::awaitable<void> {
    auto filters = api::parse_filters(req.query_value("filters").value_or(""));
    if (!filters) {
      co_await res.error(filters.error());
      co_return;
    }
    if (auto v = validate_event_filters(*filters); !v) {
      co_await res.error(v.error());
      co_return;
    }
    const int64_t now = now_nano();
    int64_t since = 0, until = 0;
    bool has_since = false, has_until = false;
    for (const char* key : {"since", "until"}) {
      auto v = req.query_value(key);
      if (!v || v->empty()) continue;
      auto t = parse_event_time(*v, now);
      if (!t) {
        co_await res.error(t.error());
        co_return;
      }
      if (std::string_view(key) == "since") {
        since = *t;
        has_since = true;
      } else {
        until = *t;
        has_until = true;
      }
    }
    co_await res.start_stream(200, "application/json");
    auto ex = co_await net::this_coro::executor;
    if (has_since) {
      for (const auto& e : svc.events().history(since, has_until ? until : now)) {
        if (!event_matches(e, *filters)) continue;
        std::string text = event_json(e).dump() + "\n";
        if (!co_await res.write(text)) co_return;
      }
    }
    if (has_until && until <= now) {
      co_await res.finish();
      co_return;
    }
    // Live: queue what the bus delivers, write it out; bounded so a stuck client cannot
    // grow the daemon without limit (it is dropped instead).
    auto queue = std::make_shared<std::deque<Event>>();
    auto wake = std::make_shared<Notifier>();
    auto overflow = std::make_shared<bool>(false);
    auto token = svc.events().subscribe([queue, wake, overflow, f = *filters](const Event& e) {
      if (!event_matches(e, f)) return;
      if (queue->size() > 10000) {
        *overflow = true;
      } else {
        queue->push_back(e);
      }
      wake->notify_all();
    });
    auto closed = std::make_shared<bool>(false);
    for (;;) {
      while (!queue->empty() && !*closed) {
        Event e = std::move(queue->front());
        queue->pop_front();
        if (has_until && e.time_nano > until) break;
        std::string text = event_json(e).dump() + "\n";
        if (!co_await res.write(text)) {
          *closed = true;
          break;
        }
      }
      if (*closed || *overflow) break;
      if (has_until && now_nano() >= until) break;
      auto timeout = has_until ? std::chrono::nanoseconds(until - now_nano()) : std::chrono::nanoseconds(std::chrono::hours(24));
      using namespace net::experimental::awaitable_operators;
      auto waiting = wake->wait(ex, timeout) || res.client_closed();
      auto woke = co_await std::move(waiting);
      if (woke.index() == 1) *closed = true;
    }
    svc.events().unsubscribe(token);
    if (!*closed) co_await res.finish();
  });
}

}  // namespace stack::daemon
