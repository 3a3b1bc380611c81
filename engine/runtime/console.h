// Terminals for container processes, as runc makes them: the pty is created inside the
// container (its /dev/ptmx, so the slave is one of the container's /dev/pts), the slave
// becomes the process's stdio and controlling terminal, and the master is sent over a
// unix socket (--console-socket) with SCM_RIGHTS, the message body being the master's
// name ("/dev/ptmx"), as runc's utils.SendFile does, so tools written for runc
// (containerd's shim, conmon, recvtty) receive it unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

// Connects to the console socket at `path` (a listening SOCK_STREAM unix socket).
Result<UniqueFd> connect_console_socket(const std::string& path);

// In the child, after pivot_root: opens the container's /dev/ptmx, sizes it, makes the
// slave stdin/stdout/stderr and the controlling terminal of a new session, and sends
// the master over `socket_fd`.
Result<void> setup_console(int socket_fd, const std::optional<ConsoleSize>& size);

// One fd with SCM_RIGHTS, `name` as the message body.
Result<void> send_fd(int socket_fd, int fd, std::string_view name);
// Receives one fd sent by send_fd (or runc's SendFile).
Result<UniqueFd> receive_fd(int socket_fd);

}  // namespace stack::runtime
