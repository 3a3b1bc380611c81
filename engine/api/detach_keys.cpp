#include "engine/api/detach_keys.h"

#include <cerrno>

namespace stack::api {

namespace {

bool control_code(std::string_view name, char& code) {
  if (name.size() != 1) return false;
  char c = name[0];
  if (c >= 'a' && c <= 'z') {
    code = static_cast<char>(c - 'a' + 1);
    return true;
  }
  switch (c) {
    case '@': code = 0; return true;
    case '[': code = 27; return true;
    case '\\': code = 28; return true;
    case ']': code = 29; return true;
    case '^': code = 30; return true;
    case '_': code = 31; return true;
    default: return false;
  }
}

}  // namespace

Result<std::string> parse_detach_keys(std::string_view keys) {
  auto invalid = [&] { return fail("Invalid detach keys (" + std::string(keys) + ") provided", EINVAL); };
  std::string out;
  std::size_t start = 0;
  while (start <= keys.size()) {
    std::size_t comma = keys.find(',', start);
    std::string_view key = keys.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (key.size() == 1) {
      out += key[0];
    } else if (key.starts_with("ctrl-")) {
      char code = 0;
      if (!control_code(key.substr(5), code)) return invalid();
      out += code;
    } else {
      return invalid();
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.empty()) return invalid();
  return out;
}

bool DetachFilter::feed(std::string_view in, std::string& out) {
  if (sequence_.empty()) {
    out.append(in);
    return false;
  }
  for (char c : in) {
    if (c == sequence_[matched_]) {
      if (++matched_ == sequence_.size()) return true;
      continue;
    }
    // Not the sequence after all: what was held goes on, and this byte may start it anew.
    out.append(sequence_, 0, matched_);
    matched_ = 0;
    if (c == sequence_[0]) {
      if (sequence_.size() == 1) return true;
      matched_ = 1;
    } else {
      out += c;
    }
  }
  return false;
}

}  // namespace stack::api
