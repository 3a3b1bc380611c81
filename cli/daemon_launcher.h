// Finding the daemon, and starting it when it is not there: every `stack container`
// and `stack system` command goes through connect_daemon(). The daemon is started as
// `<this executable> --root R --run-root RR daemon`, detached (its own session, stdio to
// <root>/daemon.log, re-parented away from us), and we wait for its socket to accept.
#pragma once

#include <chrono>
#include <string>

#include "cli/state_flags.h"
#include "common/error.h"
#include "engine/client/client.h"

namespace stack::cli {

// The API socket: env STACK_HOST (unix:///path) when set, else <run>/stack.sock.
std::string daemon_socket_path(const StateFlags& state);

// True when something accepts connections on the socket (a bare connect: no request).
bool daemon_listening(const std::string& socket_path);

struct LaunchOptions {
  bool autostart = true;                                  // false: only connect (`stack version`)
  std::chrono::milliseconds timeout{5000};                // how long a started daemon may take
  std::string executable = "/proc/self/exe";              // what to start
};

// A client for a daemon that is listening, started first when the socket is missing or
// refuses connections (and STACK_HOST does not point elsewhere). Errors: Docker's
// "Cannot connect to the stack daemon at unix://...", or why the daemon did not come up
// (its exit, with the tail of daemon.log).
Result<client::Client> connect_daemon(const StateFlags& state, const LaunchOptions& options = {});

}  // namespace stack::cli
