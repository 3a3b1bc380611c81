// The path and stat rules of Docker's archive endpoints (HEAD/GET/PUT
// /containers/{id}/archive), without touching a file system: how a requested path is
// made absolute and split, which name the tar entries get, how a stat is encoded in
// the X-Docker-Container-Path-Stat header, and which tar entry names and link targets
// would leave the extraction directory. See moby pkg/archive (copy.go, archive.go) and
// daemon/archive*.go.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

namespace stack::container {

// Go's path.Clean: no "." or ".." elements, no doubled or trailing slashes; "" -> ".".
std::string clean_path(std::string_view p);

// Go's filepath.Base: the last element, trailing slashes ignored; "" -> ".", "///" -> "/".
std::string base_name(std::string_view p);

// A requested container path, as Docker reads it: absolute, cleaned, but a trailing
// "/" or "/." kept (archive.PreserveTrailingDotOrSeparator), which matters: "dir/."
// means "the contents of dir", and a trailing separator follows a final symlink.
struct ArchivePath {
  std::string abs;     // e.g. "/etc/." or "/d/link/" or "/"
  std::string parent;  // cleaned directory holding the last element ("/" for "/")
  std::string last;    // last element; "" for "/" (the root itself)
  bool follow_last = false;  // a trailing "/" or "/.": the last symlink is followed
  std::string name;          // base_name(abs): the stat "name" and the tar's top entry name
};
// EINVAL "path cannot be empty" for "".
Result<ArchivePath> parse_archive_path(std::string_view requested);

// Go's os.FileMode bits for a stat mode (ModeDir 1<<31, ModeSymlink 1<<27, ...), as
// the stat header's "mode" carries them.
uint32_t go_file_mode(mode_t st_mode);

// RFC 3339 with nanoseconds, trailing zeros dropped, UTC (Go's time.RFC3339Nano).
std::string rfc3339_nano(int64_t seconds, long nanoseconds);

struct PathStat {
  std::string name;
  int64_t size = 0;
  mode_t st_mode = 0;
  int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  std::string link_target;  // absolute, in the container, for a symlink
  bool is_dir() const;
};
// {"name":..,"size":..,"mode":..,"mtime":..,"linkTarget":..}
std::string stat_json(const PathStat& s);
// base64(stat_json): the X-Docker-Container-Path-Stat header value.
std::string stat_header(const PathStat& s);
std::string base64_encode(std::string_view data);
// Parses a header value back (the CLI side).
Result<PathStat> parse_stat_header(std::string_view value);

// The tar entry name for `rel` (a path below the archived resource, "" for the resource
// itself) when the resource's entries are named after `top` (Docker rebases them to
// base_name of the requested path; "/" names the root's entries "/bin/..."). Directories
// get a trailing slash.
std::string entry_name(const std::string& top, const std::string& rel, bool is_dir);

// An extracted entry's name, made relative to the extraction directory: cleaned, leading
// slashes dropped, the first element replaced when `rebase` says so (docker cp renaming
// "src" to the destination's name). nullopt for the directory itself ("." / "/").
// EINVAL when the name climbs out ("../x"), as moby's breakout check.
struct Rebase {
  std::string from, to;
};
Result<std::optional<std::string>> extract_name(std::string_view tar_name, const std::optional<Rebase>& rebase);

// Whether a link in the tar stays inside the extraction directory once resolved
// lexically: `entry` is the extracted entry's relative name; for a symlink the target is
// taken relative to the entry's directory (absolute targets are inside by definition);
// for a hard link, relative to the extraction dir.
bool symlink_stays_inside(std::string_view entry, std::string_view target);
bool hardlink_stays_inside(std::string_view target);

// Container user for `docker cp -a` (copyUIDGID) when Config.User is set: "name",
// "uid", "name:group", "uid:gid", resolved against the container's /etc/passwd and
// /etc/group text. The group defaults to the user's primary group.
Result<std::pair<uid_t, gid_t>> resolve_user(std::string_view spec, std::string_view passwd, std::string_view group);

}  // namespace stack::container
