// A container's state on disk: <root>/<id>/state.json (root defaults to
// /run/stack/runtime), beside the exec fifo a created container waits on. Written
// atomically by rename; no fsync, since /run is a tmpfs that does not outlive a reboot
// and neither do the containers it describes.
//
// The status is not stored but observed, as runc does: the process gone (or its pid
// reused, caught by comparing its start time) -> stopped; the exec fifo still there ->
// created; a recorded pause -> paused; else running.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/runtime/spec.h"

namespace stack::runtime {

inline constexpr const char* kDefaultRuntimeRoot = "/run/stack/runtime";
inline constexpr int kStateFormatVersion = 1;

enum class Status { Creating, Created, Running, Stopped, Paused };
std::string to_string(Status status);

struct State {
  std::string id;
  pid_t pid = 0;
  uint64_t start_time = 0;  // field 22 of /proc/<pid>/stat: tells a reused pid apart
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339 with nanoseconds, UTC
  std::map<std::string, std::string> annotations;
  std::string cgroups_path;
  bool paused = false;
  std::vector<Hook> poststart;  // run by start and delete, which may not see the bundle any more
  std::vector<Hook> poststop;
  // The container's process as created (exec starts from it: env, user, caps, rlimits, ...).
  std::optional<Process> process;
};

// <root>/<id>/seccomp.bpf: the container's compiled seccomp filter (struct sock_filter
// array), written at create when the spec has one, loaded by exec.
std::string seccomp_program_path(const std::string& root, const std::string& id);

// Container IDs as runc accepts them: [A-Za-z0-9_+.-], not "." or "..".
Result<void> validate_id(const std::string& id);

std::string state_dir(const std::string& root, const std::string& id);
std::string exec_fifo_path(const std::string& root, const std::string& id);

// Creates <root>/<id> (0711); "container with id exists: ID" if it is already there.
Result<void> create_state_dir(const std::string& root, const std::string& id);
// Removes <root>/<id> and what is in it; a missing directory is success.
Result<void> remove_state_dir(const std::string& root, const std::string& id);

Result<void> write_state(const std::string& root, const State& state);
// "container does not exist: ID" (errno ENOENT) when there is no such container.
Result<State> read_state(const std::string& root, const std::string& id);
// IDs of the containers under root, sorted; an absent root is an empty list.
Result<std::vector<std::string>> list_ids(const std::string& root);

// Observes the status (see above).
Status observe_status(const std::string& root, const State& state);

// The OCI state JSON (ociVersion, id, status, pid, bundle, annotations) plus runc's
// rootfs, created and owner.
nlohmann::ordered_json oci_state_json(const State& state, Status status);

// Field 22 of /proc/<pid>/stat (start time in clock ticks); 0 when the process is gone.
uint64_t process_start_time(pid_t pid);
// Replaces `path` by writing a temp file beside it and renaming it over (no fsync).
Result<void> write_file_replace(const std::string& path, std::string_view content, unsigned mode = 0644);

// Now as RFC 3339 with nanoseconds, UTC: "2025-01-02T03:04:05.123456789Z".
std::string rfc3339_nano_now();

}  // namespace stack::runtime
