// Docker's detach keys (`--detach-keys`, default ctrl-p,ctrl-q): the parser of the
// key list, and the filter that watches a TTY's input for the sequence, holding back
// bytes that may begin it and passing them on once they turn out not to.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace stack::api {

inline constexpr std::string_view kDefaultDetachKeys = "ctrl-p,ctrl-q";

// "ctrl-p,ctrl-q", "a", "ctrl-a,a": each key a single character or ctrl-<a-z @ [ \ ] ^ _>.
// EINVAL "Invalid detach keys (X) provided" otherwise, as Docker answers.
Result<std::string> parse_detach_keys(std::string_view keys);

class DetachFilter {
 public:
  explicit DetachFilter(std::string sequence) : sequence_(std::move(sequence)) {}

  // Appends to `out` what goes on to the process; true once the whole sequence was
  // typed (the bytes after it are dropped, as Docker does).
  bool feed(std::string_view in, std::string& out);

 private:
  std::string sequence_;
  std::size_t matched_ = 0;
};

}  // namespace stack::api
