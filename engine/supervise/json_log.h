// Docker's json-file log driver, writer side: one JSON record per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-25T15:40:39.123456789Z"}
// with Docker's line splitting (lines over 16 KiB are cut into partial
// records without the trailing "\n"), its string escaping, and its rotation
// (container-json.log -> .1 -> .2 ..., at most max-file files in all).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace stack::supervise {

using LogTime = std::chrono::sys_time<std::chrono::nanoseconds>;

// A line longer than this is written as partial records of exactly this many
// bytes (Docker's copier buffer, daemon/logger/copier.go).
inline constexpr std::size_t kJsonLogPartialSize = 16 * 1024;

struct JsonLogOptions {
  std::int64_t max_size = 0;  // bytes; 0 = unlimited
  int max_file = 1;           // files kept in all, current one included
  bool compress = false;      // validated as Docker does; not implemented yet
};

// Docker's parsing of the log options (jsonfilelog.New and ValidateLogOpt):
// max-size as go-units FromHumanSize ("10m" = 10,000,000; "1k" = 1,000;
// "100"), max-file as strconv.Atoi and >= 1, compress as strconv.ParseBool.
// Error texts are Docker's.
Result<std::int64_t> parse_max_size(std::string_view text);
Result<int> parse_max_file(std::string_view text);
Result<JsonLogOptions> parse_json_log_options(const std::map<std::string, std::string>& opts);

// Go's time.RFC3339Nano in UTC: trailing zeros of the fraction trimmed, no
// fraction at all on a whole second.
std::string format_log_time(LogTime t);
// Go-json escaping as Docker's jsonlog does it: \" \\ \n \r, other control
// bytes and < > & as \u00XX, invalid UTF-8 bytes as \ufffd, U+2028/9 escaped.
void append_log_json_string(std::string& out, std::string_view s);
// One full record, newline included.
std::string encode_log_record(std::string_view stream, std::string_view log, LogTime t);

class JsonLogWriter {
 public:
  using Options = JsonLogOptions;

  // Opens (appends to) path, creating it 0640.
  static Result<JsonLogWriter> open(std::string path, Options options);

  // Splits bytes from stream ("stdout" or "stderr") into records. Complete
  // lines take `timestamp`; all pieces of a line cut into partial records take
  // the timestamp of its first piece, as Docker does.
  Result<void> write(std::string_view stream, std::string_view bytes, LogTime timestamp);

  // The stream ended: whatever is buffered is written as a record without
  // "\n" (Docker's copier at EOF).
  Result<void> close_stream(std::string_view stream, LogTime timestamp);

  const std::string& path() const { return path_; }
  std::int64_t current_size() const { return size_; }

 private:
  struct Pending {
    std::string bytes;
    bool in_partial = false;  // earlier pieces of this line were written
    LogTime partial_time{};
  };

  JsonLogWriter(std::string path, Options options, UniqueFd fd, std::int64_t size)
      : path_(std::move(path)), options_(options), fd_(std::move(fd)), size_(size) {}

  Result<Pending*> pending_for(std::string_view stream);
  Result<void> write_record(std::string_view stream, std::string_view log, LogTime t);
  Result<void> rotate();

  std::string path_;
  Options options_;
  UniqueFd fd_;
  std::int64_t size_ = 0;
  std::array<Pending, 2> pending_;  // stdout, stderr
};

}  // namespace stack::supervise
