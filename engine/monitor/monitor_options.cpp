#include "engine/monitor/monitor_options.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace stack::monitor {

namespace {

template <class T>
bool number(std::string_view text, T& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && p == text.data() + text.size();
}

}  // namespace

bool parse_monitor_options(int argc, char** argv, MonitorOptions& o, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--tty") {
      o.tty = true;
      continue;
    }
    if (flag == "--stdin-once") {
      o.stdin_once = true;
      continue;
    }
    if (i + 1 >= argc) {
      error = "missing value for " + std::string(flag);
      return false;
    }
    std::string_view value = argv[++i];
    bool ok = true;
    if (flag == "--id") {
      o.id = value;
    } else if (flag == "--run-dir") {
      o.run_dir = value;
    } else if (flag == "--log") {
      o.log_path = value;
    } else if (flag == "--pid") {
      ok = number(value, o.container_pid);
    } else if (flag == "--listen-fd") {
      ok = number(value, o.listen_fd);
    } else if (flag == "--stdin-fd") {
      ok = number(value, o.stdin_fd);
    } else if (flag == "--stdout-fd") {
      ok = number(value, o.stdout_fd);
    } else if (flag == "--stderr-fd") {
      ok = number(value, o.stderr_fd);
    } else if (flag == "--report-fd") {
      ok = number(value, o.report_fd);
    } else if (flag == "--pty-fd") {
      ok = number(value, o.pty_fd);
    } else if (flag == "--log-max-size") {
      ok = number(value, o.log_max_size);
    } else if (flag == "--log-max-file") {
      ok = number(value, o.log_max_file);
    } else {
      error = "unknown flag " + std::string(flag);
      return false;
    }
    if (!ok) {
      error = "bad value for " + std::string(flag) + ": " + std::string(value);
      return false;
    }
  }
  if (o.run_dir.empty() || o.container_pid <= 0 || o.listen_fd < 0) {
    error = "--run-dir, --pid and --listen-fd are required";
    return false;
  }
  if (o.tty && o.pty_fd < 0) {
    error = "--tty needs --pty-fd";
    return false;
  }
  return true;
}

}  // namespace stack::monitor
