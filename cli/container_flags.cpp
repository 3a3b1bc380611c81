#include "cli/container_flags.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "common/files.h"
#include "compose/units.h"

namespace stack::cli {
namespace {

using nlohmann::json;

bool has_space(std::string_view s) {
  for (unsigned char c : s)
    if (std::isspace(c)) return true;
  return false;
}

std::string_view ltrim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::unexpected<Error> bad_flag(std::string_view value, std::string_view flag, std::string_view why) {
  return fail("invalid argument \"" + std::string(value) + "\" for \"" + std::string(flag) + "\" flag: " + std::string(why));
}

// A go duration flag in nanoseconds; unset is 0.
Result<int64_t> duration_ns(const std::string& text, std::string_view flag) {
  if (text.empty()) return 0;
  auto d = compose::parse_duration(text);
  if (!d) return bad_flag(text, flag, d.error().message);
  return d->nanoseconds;
}

Result<std::vector<std::string>> env_list(const ContainerFlags& f, const EnvLookup& lookup) {
  std::vector<std::string> out;
  for (const auto& path : f.env_files) {
    auto text = read_file(path);
    if (!text) return fail("open " + path + ": no such file or directory", text.error().errno_value);
    auto lines = parse_env_file(*text, lookup);
    if (!lines) return std::unexpected(lines.error());
    out.insert(out.end(), lines->begin(), lines->end());
  }
  for (const auto& e : f.env) {
    auto eq = e.find('=');
    if (eq == 0) return bad_flag(e, "-e, --env", "invalid environment variable: " + e);
    if (eq != std::string::npos) {
      out.push_back(e);
    } else if (auto v = lookup(e)) {
      out.push_back(e + "=" + *v);
    }  // unset in the client: nothing is passed
  }
  return out;
}

Result<json> key_value_map(const std::vector<std::string>& items, std::string_view flag, bool value_required) {
  json out = json::object();
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      if (value_required) return bad_flag(item, flag, "must be in the form key=value");
      out[item] = "";
    } else {
      out[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return out;
}

Result<json> health_config(const ContainerFlags& f) {
  auto interval = duration_ns(f.health_interval, "--health-interval");
  if (!interval) return std::unexpected(interval.error());
  auto timeout = duration_ns(f.health_timeout, "--health-timeout");
  if (!timeout) return std::unexpected(timeout.error());
  auto start_period = duration_ns(f.health_start_period, "--health-start-period");
  if (!start_period) return std::unexpected(start_period.error());
  auto start_interval = duration_ns(f.health_start_interval, "--health-start-interval");
  if (!start_interval) return std::unexpected(start_interval.error());
  int retries = f.health_retries.value_or(0);
  bool any = !f.health_cmd.empty() || *interval != 0 || *timeout != 0 || *start_period != 0 || *start_interval != 0 ||
             retries != 0;
  if (f.no_healthcheck) {
    if (any) return fail("--no-healthcheck conflicts with --health-* options");
    return json{{"Test", {"NONE"}}};
  }
  if (!any) return json(nullptr);
  if (*interval < 0) return fail("--health-interval cannot be negative");
  if (*timeout < 0) return fail("--health-timeout cannot be negative");
  if (retries < 0) return fail("--health-retries cannot be negative");
  if (*start_period < 0) return fail("--health-start-period cannot be negative");
  if (*start_interval < 0) return fail("--health-start-interval cannot be negative");
  json h = json::object();
  h["Test"] = f.health_cmd.empty() ? json(nullptr) : json{"CMD-SHELL", f.health_cmd};
  h["Interval"] = *interval;
  h["Timeout"] = *timeout;
  h["StartPeriod"] = *start_period;
  h["StartInterval"] = *start_interval;
  h["Retries"] = retries;
  return h;
}

// docker reads a seccomp profile file on the client and sends its JSON inline.
Result<json> security_opts(const std::vector<std::string>& opts) {
  json out = json::array();
  for (const auto& opt : opts) {
    if (opt == "no-new-privileges") {
      out.push_back(opt);
      continue;
    }
    auto sep = opt.find_first_of("=:");
    if (sep == std::string::npos) return fail("Invalid --security-opt: \"" + opt + "\"");
    std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
    if (key == "seccomp" && value != "unconfined" && value != "builtin") {
      auto text = read_file(value);
      if (!text) return fail("opening seccomp profile (" + value + ") failed: " + text.error().to_string());
      try {
        out.push_back("seccomp=" + json::parse(*text).dump());
      } catch (const json::exception& e) {
        return fail("compacting json for seccomp profile (" + value + ") failed: " + e.what());
      }
      continue;
    }
    out.push_back(key + "=" + value);
  }
  return out;
}

Result<int64_t> nano_cpus(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v))
    return bad_flag(text, "--cpus", "failed to parse " + text + " as a rational number");
  double nano = v * 1e9;
  if (std::fabs(nano - std::round(nano)) > 1e-3) return bad_flag(text, "--cpus", "value is too precise");
  return static_cast<int64_t>(std::llround(nano));
}

}  // namespace

void add_container_flags(CLI::App& cmd, ContainerFlags& f, bool run) {
  cmd.set_help_flag("--help", "Print usage");
  auto multi = [&](const std::string& names, std::vector<std::string>& into, const std::string& desc) {
    cmd.add_option(names, into, desc)->allow_extra_args(false)->take_all();
  };
  if (run) cmd.add_flag("-d,--detach", f.detach, "Run container in background and print container ID");
  cmd.add_flag("--rm", f.auto_remove, "Automatically remove the container when it exits");
  cmd.add_option("--name", f.name, "Assign a name to the container");
  multi("-e,--env", f.env, "Set environment variables");
  multi("--env-file", f.env_files, "Read in a file of environment variables");
  multi("-l,--label", f.labels, "Set meta data on a container");
  cmd.add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  cmd.add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd.add_option("-h,--hostname", f.hostname, "Container host name");
  cmd.add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  cmd.add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  if (run) cmd.add_option("--detach-keys", f.detach_keys, "Override the key sequence for detaching a container");
  cmd.add_option_function<std::string>(
      "--entrypoint", [&f](const std::string& v) { f.entrypoint = v; }, "Overwrite the default ENTRYPOINT of the image");
  cmd.add_flag("--init", f.init, "Run an init inside the container that forwards signals and reaps processes");
  cmd.add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  cmd.add_flag("--privileged", f.privileged, "Give extended privileges to this container");
  multi("--cap-add", f.cap_add, "Add Linux capabilities");
  multi("--cap-drop", f.cap_drop, "Drop Linux capabilities");
  multi("--security-opt", f.security_opt, "Security Options");
  cmd.add_option("-m,--memory", f.memory, "Memory limit");
  cmd.add_option("--cpus", f.cpus, "Number of CPUs");
  cmd.add_option_function<int64_t>(
      "--pids-limit", [&f](const int64_t& v) { f.pids_limit = v; }, "Tune container pids limit (set -1 for unlimited)");
  cmd.add_option("--restart", f.restart, "Restart policy to apply when a container exits");
  cmd.add_option("--health-cmd", f.health_cmd, "Command to run to check health");
  cmd.add_option("--health-interval", f.health_interval, "Time between running the check (ms|s|m|h)");
  cmd.add_option("--health-timeout", f.health_timeout, "Maximum time to allow one check to run (ms|s|m|h)");
  cmd.add_option_function<int>(
      "--health-retries", [&f](const int& v) { f.health_retries = v; }, "Consecutive failures needed to report unhealthy");
  cmd.add_option("--health-start-period", f.health_start_period,
                 "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)");
  cmd.add_option("--health-start-interval", f.health_start_interval,
                 "Time between running the check during the start period (ms|s|m|h)");
  cmd.add_flag("--no-healthcheck", f.no_healthcheck, "Disable any container-specified HEALTHCHECK");
  cmd.add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
  cmd.add_option_function<int>(
      "--stop-timeout", [&f](const int& v) { f.stop_timeout = v; }, "Timeout (in seconds) to stop a container");
  cmd.add_option("--log-driver", f.log_driver, "Logging driver for the container");
  multi("--log-opt", f.log_opts, "Log driver options");
  multi("--tmpfs", f.tmpfs, "Mount a tmpfs directory");
  multi("--ulimit", f.ulimits, "Ulimit options");
  multi("--sysctl", f.sysctls, "Sysctl options");
  cmd.add_option("--network,--net", f.network, "Connect a container to a network (none, host, default)");
}

Result<bool> parse_container_args(const std::vector<std::string>& args, ContainerFlags& f, bool run) {
  const std::string command = run ? "run" : "create";
  CLI::App app{run ? "Create and run a new container from an image" : "Create a new container",
               "stack container " + command};
  add_container_flags(app, f, run);
  // Find IMAGE: the first word that is neither a flag nor a flag's value.
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    if (a.starts_with("--")) {
      if (a.find('=') != std::string::npos) continue;
      auto* opt = app.get_option_no_throw(a);
      if (opt && opt->get_items_expected_min() > 0) ++i;  // its value is the next word
      continue;
    }
    // A cluster of short flags ("-dit"); the first that takes a value takes the rest of the
    // word, or the next word.
    for (size_t k = 1; k < a.size(); ++k) {
      auto* opt = app.get_option_no_throw(std::string("-") + a[k]);
      if (opt && opt->get_items_expected_min() > 0) {
        if (k + 1 == a.size()) ++i;
        break;
      }
    }
  }
  std::vector<std::string> flags(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(std::min(i, args.size())));
  if (!flags.empty() && flags.back() == "--") flags.pop_back();
  try {
    std::vector<std::string> reversed(flags.rbegin(), flags.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
      // Name the first word CLI11 did not know, as docker does.
      for (const auto& w : flags) {
        if (w.starts_with("--")) {
          std::string name = w.substr(0, w.find('='));
          if (!app.get_option_no_throw(name)) return fail("unknown flag: " + name);
        } else if (w.starts_with("-")) {
          for (size_t k = 1; k < w.size(); ++k) {
            auto* opt = app.get_option_no_throw(std::string("-") + w[k]);
            if (!opt) return fail("unknown shorthand flag: '" + std::string(1, w[k]) + "' in " + w);
            if (opt->get_items_expected_min() > 0) break;
          }
        }
      }
    }
    return fail(what);
  }
  if (i >= args.size()) return fail("\"" + command + "\" requires at least 1 argument.");
  f.image = args[i];
  f.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  return true;
}

EnvLookup process_env_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<std::vector<std::string>> parse_env_file(std::string_view text, const EnvLookup& lookup) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = ltrim(line);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    std::string_view key = line.substr(0, eq);
    if (key.empty()) return fail("no variable name on line '" + std::string(line) + "'");
    if (has_space(key)) return fail("variable '" + std::string(key) + "' contains whitespaces");
    if (eq != std::string_view::npos) {
      out.emplace_back(line);
    } else if (auto v = lookup(std::string(key))) {
      out.push_back(std::string(key) + "=" + *v);
    }
  }
  return out;
}

Result<json> parse_restart_flag(std::string_view text) {
  json p = {{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (text.empty()) return p;
  auto colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view count = text.substr(colon + 1);
    if (count.find(':') != std::string_view::npos) return fail("invalid restart policy format");
    int n = 0;
    if (!parse_int(count, n)) return fail("maximum retry count must be an integer");
    p["MaximumRetryCount"] = n;
  }
  p["Name"] = std::string(name);
  return p;
}

Result<json> parse_ulimit(std::string_view text) {
  static const char* kNames[] = {"core",   "cpu",    "data",    "fsize",  "locks",      "memlock", "msgqueue", "nice",
                                 "nofile", "nproc",  "rss",     "rtprio", "rttime",     "sigpending", "stack"};
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return fail("invalid ulimit argument: " + std::string(text));
  std::string name(text.substr(0, eq));
  bool known = false;
  for (const char* k : kNames) known = known || name == k;
  if (!known) return fail("invalid ulimit type: " + name);
  std::string_view limits = text.substr(eq + 1);
  auto colon = limits.find(':');
  int64_t soft = 0, hard = 0;
  if (!parse_int(limits.substr(0, colon), soft)) return fail("invalid ulimit soft value: " + std::string(limits.substr(0, colon)));
  hard = soft;
  if (colon != std::string_view::npos) {
    if (!parse_int(limits.substr(colon + 1), hard)) return fail("invalid ulimit hard value: " + std::string(limits.substr(colon + 1)));
    if (soft > hard)
      return fail("ulimit soft limit must be less than or equal to hard limit: " + std::to_string(soft) + " > " +
                  std::to_string(hard));
  }
  return json{{"Name", name}, {"Soft", soft}, {"Hard", hard}};
}

Result<json> create_request_body(const ContainerFlags& f, const EnvLookup& lookup) {
  json body = json::object();
  auto env = env_list(f, lookup);
  if (!env) return std::unexpected(env.error());
  auto labels = key_value_map(f.labels, "-l, --label", false);
  if (!labels) return std::unexpected(labels.error());
  auto health = health_config(f);
  if (!health) return std::unexpected(health.error());
  auto restart = parse_restart_flag(f.restart);
  if (!restart) return std::unexpected(restart.error());
  if (f.auto_remove && (*restart)["Name"] != "no") return fail("Conflicting options: --restart and --rm");
  auto security = security_opts(f.security_opt);
  if (!security) return std::unexpected(security.error());
  auto log_config = key_value_map(f.log_opts, "--log-opt", true);
  if (!log_config) return std::unexpected(log_config.error());
  auto sysctls = key_value_map(f.sysctls, "--sysctl", true);
  if (!sysctls) return std::unexpected(sysctls.error());
  int64_t memory = 0;
  if (!f.memory.empty()) {
    auto m = compose::parse_unit_bytes(f.memory);
    if (!m) return bad_flag(f.memory, "-m, --memory", m.error().message);
    memory = m->bytes;
  }
  auto cpus = nano_cpus(f.cpus);
  if (!cpus) return std::unexpected(cpus.error());
  json ulimits = json::array();
  for (const auto& u : f.ulimits) {
    auto parsed = parse_ulimit(u);
    if (!parsed) return bad_flag(u, "--ulimit", parsed.error().message);
    ulimits.push_back(*parsed);
  }
  json tmpfs = json::object();
  for (const auto& t : f.tmpfs) {
    auto colon = t.find(':');
    tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  if (!f.workdir.empty() && f.workdir.front() != '/')
    return fail("the working directory '" + f.workdir + "' is invalid, it needs to be an absolute path");

  // Attaching as docker run does: stdout and stderr unless detached, stdin with -i.
  bool attach = !f.detach;
  body["Hostname"] = f.hostname;
  body["Domainname"] = "";
  body["User"] = f.user;
  body["AttachStdin"] = f.interactive && attach;
  body["AttachStdout"] = attach;
  body["AttachStderr"] = attach;
  body["Tty"] = f.tty;
  body["OpenStdin"] = f.interactive;
  body["StdinOnce"] = f.interactive && attach;
  body["Env"] = *env;
  body["Cmd"] = f.command.empty() ? json(nullptr) : json(f.command);
  if (!health->is_null()) body["Healthcheck"] = *health;
  body["Image"] = f.image;
  body["Volumes"] = nullptr;
  body["WorkingDir"] = f.workdir;
  // --entrypoint '' resets the image's ENTRYPOINT (docker sends [""]); it is one word, never split.
  body["Entrypoint"] = f.entrypoint ? json::array({*f.entrypoint}) : json(nullptr);
  body["OnBuild"] = nullptr;
  body["Labels"] = *labels;
  if (!f.stop_signal.empty()) body["StopSignal"] = f.stop_signal;
  if (f.stop_timeout) body["StopTimeout"] = *f.stop_timeout;

  json host = json::object();
  host["Binds"] = nullptr;
  // docker sends {"Type":"","Config":{}} for "the daemon's default"; only what was asked for is sent here.
  if (!f.log_driver.empty() || !log_config->empty()) host["LogConfig"] = {{"Type", f.log_driver}, {"Config", *log_config}};
  host["NetworkMode"] = f.network.empty() ? "default" : f.network;
  host["RestartPolicy"] = *restart;
  host["AutoRemove"] = f.auto_remove;
  host["CapAdd"] = f.cap_add.empty() ? json(nullptr) : json(f.cap_add);
  host["CapDrop"] = f.cap_drop.empty() ? json(nullptr) : json(f.cap_drop);
  host["Privileged"] = f.privileged;
  host["ReadonlyRootfs"] = f.read_only;
  host["SecurityOpt"] = security->empty() ? json(nullptr) : *security;
  if (!tmpfs.empty()) host["Tmpfs"] = tmpfs;
  if (!sysctls->empty()) host["Sysctls"] = *sysctls;
  if (f.init) host["Init"] = true;
  host["Memory"] = memory;
  host["NanoCpus"] = *cpus;
  host["PidsLimit"] = f.pids_limit ? json(*f.pids_limit) : json(nullptr);
  host["Ulimits"] = ulimits.empty() ? json(nullptr) : ulimits;
  body["HostConfig"] = std::move(host);
  body["NetworkingConfig"] = {{"EndpointsConfig", json::object()}};
  return body;
}

std::string create_query(const ContainerFlags& f) { return f.name.empty() ? "" : "?name=" + url_encode(f.name); }

}  // namespace stack::cli
