// `stack container logs [-f] [--tail N|all] [-t] [--since T] [--until T] CONTAINER`:
// GET /containers/{id}/logs, demultiplexed to stdout/stderr (raw when the container
// has a TTY: the daemon says so in the Content-Type, so no inspect round trip).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/attach.h"
#include "cli/cmd_container.h"
#include "compose/units.h"

namespace stack::cli::container {
namespace {

struct LogsFlags {
  bool follow = false, timestamps = false, details = false;
  std::string tail = "all", since, until, container;
};

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// docker's timetypes.GetTimestamp on the client: a Go duration ("10m") is relative to
// now and sent as "<seconds>.<nanoseconds>"; anything else goes to the daemon as typed.
std::string timestamp_arg(const std::string& value) {
  if (value.empty()) return value;
  auto d = compose::parse_duration(value);
  if (!d || value.find_first_not_of("0123456789.") == std::string::npos) return value;
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t t = now - d->nanoseconds;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(t / 1000000000), static_cast<long long>(t % 1000000000));
  return buf;
}

int logs(const StateFlags& state, const LogsFlags& f) {
  auto c = connect(state);
  if (!c) return 1;
  std::string q = "?stdout=1&stderr=1";
  if (f.follow) q += "&follow=1";
  if (f.timestamps) q += "&timestamps=1";
  if (f.details) q += "&details=1";
  q += "&tail=" + esc(f.tail);
  if (!f.since.empty()) q += "&since=" + esc(timestamp_arg(f.since));
  if (!f.until.empty()) q += "&until=" + esc(timestamp_arg(f.until));

  client::Response head;
  std::string error_body;
  Demuxer demux([](int stream, std::string_view data) { write_all(stream == 2 || stream == 3 ? 2 : 1, data); });
  auto status = c->stream("GET", "/containers/" + esc(f.container) + "/logs" + q, {}, [&](std::string_view piece) {
    if (head.status >= 300) {
      error_body.append(piece);
    } else if (head.header("content-type") == "application/vnd.docker.raw-stream") {
      write_all(1, piece);
    } else {
      demux.feed(piece);
    }
    return true;
  }, &head);
  if (!status) return report(status.error());
  if (*status >= 300) {
    head.body = error_body;
    return report(api_error(head));
  }
  return 0;
}

}  // namespace

void add_logs_command(CLI::App& parent, const StateFlags& state, std::vector<Command>& subs) {
  auto* c = parent.add_subcommand("logs", "Fetch the logs of a container");
  auto f = std::make_shared<LogsFlags>();
  c->add_flag("-f,--follow", f->follow, "Follow log output");
  c->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
  c->add_flag("--details", f->details, "Show extra details provided to logs");
  c->add_option("-n,--tail", f->tail, "Number of lines to show from the end of the logs");
  c->add_option("--since", f->since, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
  c->add_option("--until", f->until, "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
  c->add_option("container", f->container, "CONTAINER")->required();
  subs.push_back({c, [&state, f] { return logs(state, *f); }});
}

}  // namespace stack::cli::container
