// The container lifecycle of the OCI runtime spec, as runc's commands have it:
// create (the container's init waits on an exec fifo), start (releases it), run (create +
// start in one process, waits and returns the exit status), state, kill, delete, list.
//
// create clones the container's init directly from the calling process (no re-exec) into
// its new namespaces. Parent and child synchronize over a socketpair:
//   parent: cgroup created -> clone -> child added to the cgroup, id maps written,
//           createRuntime/prestart hooks -> "go" -> state.json written
//   child:  waits for "go" -> joins namespaces, unshares the cgroup namespace -> rootfs,
//           pivot_root -> hostname, sysctls -> masked/read-only paths -> rlimits, cwd,
//           no_new_privs, user, capabilities and seccomp last -> finds the executable ->
//           create: says "ready" and blocks opening the exec fifo; run: execs at once
// The socket is close-on-exec: in run mode its EOF tells the parent the exec happened,
// and a message before it is the child's error.
//
// Nothing is left behind on a failure path: mounts live in the child's mount namespace,
// the cgroup and the state directory are owned by guards until the container is recorded.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/unique_fd.h"
#include "engine/runtime/spec.h"
#include "engine/runtime/state.h"

namespace stack::runtime {

struct CreateOptions {
  std::string root = kDefaultRuntimeRoot;  // state root
  std::string id;
  std::string bundle;    // absolute path of the bundle directory (rootfs is relative to it)
  std::string pid_file;  // written with the container's pid once created
  // The container's stdin, stdout, stderr; -1 inherits the caller's.
  int stdio[3] = {-1, -1, -1};
  // With process.terminal: where the pty master is sent (runc's --console-socket). Needed
  // by create; `run` without it relays the terminal to its own stdio as runc does.
  std::string console_socket;
  // PID 1 is stack's built-in init (init.h); also the annotation "stack.init": "true".
  bool init = false;
};

// Loads BUNDLE/config.json and creates the container (status "created").
Result<void> create_container(const CreateOptions& options);
Result<void> create_container(const CreateOptions& options, const Spec& spec);

// Releases a created container's process to exec its command; runs poststart hooks.
Result<void> start_container(const std::string& root, const std::string& id);

// create + start + wait, then delete. Returns the process's exit status, 128+N when a
// signal N killed it. Signals the caller receives (INT, TERM, HUP, QUIT, USR1, USR2,
// WINCH) are forwarded to the container process.
// A process that could not be started fails with Docker's message (see
// exit_code_for_start_error in process_setup.h for the exit status it maps to).
Result<int> run_container(const CreateOptions& options);
Result<int> run_container(const CreateOptions& options, const Spec& spec);

// The OCI state JSON of one container.
Result<nlohmann::ordered_json> container_state(const std::string& root, const std::string& id);

// Sends a signal to the container's init process (created, running or paused).
Result<void> kill_container(const std::string& root, const std::string& id, int signal);

// Removes a stopped (or created) container: its cgroup, poststop hooks, its state dir.
// A running one is refused unless `force`, which kills it (SIGKILL) and waits for it.
Result<void> delete_container(const std::string& root, const std::string& id, bool force);

struct ContainerInfo {
  State state;
  Status status;
};
// Every container under root, by id.
Result<std::vector<ContainerInfo>> list_containers(const std::string& root);

// Freezes every process of a running container (cgroup freezer); status "paused".
// runc's errors: "container not running" / "container not paused".
Result<void> pause_container(const std::string& root, const std::string& id);
Result<void> resume_container(const std::string& root, const std::string& id);

// The host pids of the container's processes (its cgroup), sorted.
Result<std::vector<pid_t>> container_pids(const std::string& root, const std::string& id);

// `runc exec`: a new process in a running (or created) container. It joins every
// namespace in which the container's init differs from us (user first, mount last; the
// pid namespace by forking after setns), the container's cgroup (through its own v1
// tasks / v2 cgroup.procs entry: no RCU wait), and gets the container's process
// settings (from the config.json kept in its state dir, or the process recorded in its
// state: env, user, capabilities, rlimits, no_new_privileges), its
// seccomp filter, then the overrides below.
struct ExecOptions {
  std::string root = kDefaultRuntimeRoot;
  std::string id;
  std::vector<std::string> args;   // the command (unless `process` is given)
  std::optional<Process> process;  // --process process.json: replaces the container's process
  bool tty = false;
  std::optional<ConsoleSize> console_size;  // the terminal's size from its first moment (tty)
  std::string console_socket;
  std::string cwd;
  std::vector<std::string> env;  // KEY=VALUE, replacing the container's KEY
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<std::vector<gid_t>> additional_gids;  // replaces the container's (exec -u NAME)
  std::vector<std::string> caps;  // added to bounding, effective, permitted
  bool no_new_privileges = false;
  std::string pid_file;
  bool detach = false;
  int stdio[3] = {-1, -1, -1};
  // With a tty and not detached: the terminal's master goes to this callback (called on
  // the exec's thread once the process runs) instead of being relayed to `stdio`, so
  // an engine can serve it to its clients while exec_container waits for the exit.
  std::function<void(UniqueFd master)> on_console;
};
// The process's exit status (128+N for a signal); 0 once it runs when detached. A
// command that cannot be started fails with Docker's message (exit_code_for_start_error).
// Exec into a stopped container fails with runc's "cannot exec in a stopped container".
Result<int> exec_container(const ExecOptions& options);

// runc's default spec asks for ambient capabilities that are not inheritable, which the
// kernel cannot raise; they are left out (logged at debug level), as runc does.
Capabilities raisable_ambient(Capabilities caps);

// "KILL", "SIGKILL", "9" -> SIGKILL.
Result<int> parse_signal(const std::string& name);

}  // namespace stack::runtime
