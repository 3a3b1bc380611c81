// stack-monitor's command line, as launch.cpp writes it (here, not in monitor/, so it is
// unit-tested with the engine):
//   stack-monitor --id ID --run-dir DIR --pid CONTAINER_PID --listen-fd N
//                 (--stdin-fd N --stdout-fd N --stderr-fd N | --tty --pty-fd N)
//                 [--log PATH --log-max-size BYTES --log-max-file N] [--stdin-once]
//                 [--report-fd N]   ("R\n" is written there once the monitor runs)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace stack::monitor {

struct MonitorOptions {
  std::string id;
  std::string run_dir;
  pid_t container_pid = 0;
  int listen_fd = -1;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  int pty_fd = -1;
  int report_fd = -1;
  bool tty = false;
  bool stdin_once = false;
  std::string log_path;
  std::int64_t log_max_size = 0;
  int log_max_file = 1;
};

// False (with `error` set) on an unknown flag or a missing value.
bool parse_monitor_options(int argc, char** argv, MonitorOptions& out, std::string& error);

}  // namespace stack::monitor
