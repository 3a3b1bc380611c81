// stack-monitor's command line (engine/monitor/monitor_options.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/monitor/monitor_options.h"

namespace stack::monitor {
namespace {

bool parse(std::vector<std::string> args, MonitorOptions& o, std::string& error) {
  args.insert(args.begin(), "stack-monitor");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_monitor_options(static_cast<int>(args.size()), argv.data(), o, error);
}

TEST(MonitorOptions, ParsesWhatLaunchWrites) {
  MonitorOptions o;
  std::string error;
  ASSERT_TRUE(parse({"--id", "abc", "--run-dir", "/run/x", "--log", "/l.json", "--log-max-size", "1000", "--log-max-file",
                     "3", "--stdin-once", "--pid", "42", "--listen-fd", "3", "--stdin-fd", "4", "--stdout-fd", "5",
                     "--stderr-fd", "6"},
                    o, error))
      << error;
  EXPECT_EQ(o.id, "abc");
  EXPECT_EQ(o.run_dir, "/run/x");
  EXPECT_EQ(o.log_path, "/l.json");
  EXPECT_EQ(o.log_max_size, 1000);
  EXPECT_EQ(o.log_max_file, 3);
  EXPECT_TRUE(o.stdin_once);
  EXPECT_FALSE(o.tty);
  EXPECT_EQ(o.container_pid, 42);
  EXPECT_EQ(o.listen_fd, 3);
  EXPECT_EQ(o.stdin_fd, 4);
  EXPECT_EQ(o.stdout_fd, 5);
  EXPECT_EQ(o.stderr_fd, 6);
  EXPECT_EQ(o.pty_fd, -1);
}

TEST(MonitorOptions, RefusesBadInput) {
  std::string error;
  MonitorOptions a;
  EXPECT_FALSE(parse({"--run-dir", "/r", "--pid", "x1", "--listen-fd", "3"}, a, error));
  EXPECT_NE(error.find("--pid"), std::string::npos);
  MonitorOptions b;
  EXPECT_FALSE(parse({"--run-dir", "/r", "--pid", "1", "--listen-fd", "3", "--bogus", "1"}, b, error));
  EXPECT_NE(error.find("--bogus"), std::string::npos);
  MonitorOptions c;
  EXPECT_FALSE(parse({"--run-dir", "/r", "--pid", "1"}, c, error));  // no listening socket
  MonitorOptions d;
  EXPECT_FALSE(parse({"--run-dir", "/r", "--pid", "1", "--listen-fd", "3", "--tty"}, d, error));  // tty without pty
  MonitorOptions e;
  EXPECT_FALSE(parse({"--run-dir"}, e, error));
}

}  // namespace
}  // namespace stack::monitor
