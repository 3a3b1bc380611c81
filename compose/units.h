// Value types with their own text syntax: durations (Go's time.ParseDuration /
// Duration.String) and byte sizes (docker/go-units RAMInBytes), as compose-go
// reads and prints them.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace stack::compose {

struct Duration {
  int64_t nanoseconds = 0;

  bool is_zero() const { return nanoseconds == 0; }
  auto operator<=>(const Duration&) const = default;
};

// Go time.ParseDuration: "1m30s", "500ms", "1.5h", "-2s", "0"; units ns us µs ms s m h.
// Also accepts compose-go's extra "d" and "w" units (str2duration). Error text:
// `invalid duration "5x"`.
Result<Duration> parse_duration(std::string_view text);
// Go time.Duration.String(): "1m30s", "500ms", "1h0m0s", "0s", "1.5µs".
std::string format_duration(Duration d);

struct UnitBytes {
  int64_t bytes = 0;

  bool is_zero() const { return bytes == 0; }
  auto operator<=>(const UnitBytes&) const = default;
};

// docker/go-units RAMInBytes (binary multiples): "512m", "1gb", "100k", "1.5g", "1024";
// plain integers are bytes. Error text: `invalid size "12Q"`.
Result<UnitBytes> parse_unit_bytes(std::string_view text);

// Go's strconv.FormatFloat(f, 'g', -1, 32): how compose-go prints float32 fields (cpus).
std::string format_float32(float value);

}  // namespace stack::compose
