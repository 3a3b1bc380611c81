// Docker's json-file log driver, reader side (`logs` with tail, since, until,
// timestamps): records from the rotated files oldest first, then the current
// file, and the position after the last complete record so that a follower
// can resume there, across rotations, without re-reading.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/supervise/json_log.h"

namespace stack::supervise {

struct LogRecord {
  std::string stream;  // "stdout" or "stderr"
  LogTime time;
  std::string log;  // the line, "\n" included unless it was a partial record
};

// Where a follower resumes: the file (by device and inode, so a rotation that
// renames it does not lose it) and the byte after the last record read.
struct LogPosition {
  dev_t dev = 0;
  ino_t ino = 0;
  std::int64_t offset = 0;
};

struct LogReadOptions {
  std::optional<std::size_t> tail;  // last N records; nullopt = all (Docker's tail=-1)
  std::optional<LogTime> since;     // records before this are skipped
  std::optional<LogTime> until;     // reading stops at the first record after this
};

struct LogReadResult {
  std::vector<LogRecord> records;
  LogPosition end;  // resume point in the current file
};

// All of path's records: path.N ... path.1 (those that exist, counting up
// from .1), then path. As Docker, tail is applied before since/until.
Result<LogReadResult> read_json_log(const std::string& path, const LogReadOptions& options);

// Records written after `from` (as returned by an earlier read): the rest of
// that file wherever rotation moved it, then every newer file. If the file was
// rotated away entirely, reads everything that is left. tail is ignored.
Result<LogReadResult> read_json_log_from(const std::string& path, const LogPosition& from,
                                         const LogReadOptions& options);

// Parses RFC 3339 with an optional fraction and a Z or ±hh:mm offset.
Result<LogTime> parse_log_time(std::string_view text);

// The `logs --timestamps` form: Docker's RFC3339NanoFixed (always nine
// fraction digits), a space, the line.
std::string format_with_timestamp(const LogRecord& record);

}  // namespace stack::supervise
