// stack-monitor: the per-container monitor (see engine/monitor/launch.h). A static
// executable with no logging library: its stdio are /dev/null, what it has to say goes
// to the container's log, its clients and exit.json.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "monitor/monitor.h"
#include "engine/monitor/monitor_options.h"

int main(int argc, char** argv) {
  stack::monitor::MonitorOptions options;
  std::string error;
  if (!stack::monitor::parse_monitor_options(argc, argv, options, error)) {
    std::string msg = "stack-monitor: " + error + "\n";
    (void)::write(2, msg.data(), msg.size());
    // Launched by mistake with a container waiting: do not leave it unsupervised.
    if (options.container_pid > 0) ::kill(options.container_pid, SIGKILL);
    return 2;
  }
  return stack::monitor::run_monitor(options);
}
