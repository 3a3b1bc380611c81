// stack-monitor: the per-container monitor (see engine/monitor/launch.h). A static
// executable with no logging library: its stdio are /dev/null, what it has to say goes
// to the container's log, its clients and exit.json.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "monitor/monitor.h"
#include "engine/monitor/monitor_options.h"

namespace {

// Every page of a static binary that sits in the page cache near a touched one is mapped
// by fault-around (64 KiB windows), so start-up leaves most of the binary's text and
// read-only data in our RSS. Once running, those pages are dropped from our page
// tables and only what the loop touches comes back; they stay in the page cache, shared
// by all monitors. Only read-only mappings of the binary with no private (copied) page
// are dropped: MADV_DONTNEED on a relocated RELRO page would lose its relocations.
void shed_startup_pages() {
  int fd = ::open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::string text;
  char buf[8192];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  char self[512];
  ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return;
  std::string_view exe(self, static_cast<std::size_t>(len));
  std::uintptr_t start = 0, end = 0;
  bool candidate = false;
  auto flush = [&](bool copied) {
    if (candidate && !copied) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
    candidate = false;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    auto dash = line.find('-');
    auto space = line.find(' ');
    if (dash != std::string_view::npos && space != std::string_view::npos && dash < space) {
      // A mapping header: "start-end perms offset dev inode path".
      candidate = false;
      std::from_chars(line.data(), line.data() + dash, start, 16);
      std::from_chars(line.data() + dash + 1, line.data() + space, end, 16);
      std::string_view perms = line.substr(space + 1, 4);
      candidate = perms[1] == '-' && line.ends_with(exe);
    } else if (line.starts_with("Anonymous:")) {
      // Pages copied on write (relocations) must stay.
      flush(line.find_first_of("123456789") != std::string_view::npos);
    }
  }
  text = std::string();
  ::malloc_trim(0);
}

}  // namespace

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
  return stack::monitor::run_monitor(options, shed_startup_pages);
}
