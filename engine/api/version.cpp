#include "engine/api/version.h"

#include <cstdint>

namespace stack::api {

int compare_versions(std::string_view a, std::string_view b) {
  // Docker's versions.compare: numeric per dot-separated part, missing parts are 0.
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& s) {
      uint64_t n = 0;
      size_t i = 0;
      for (; i < s.size() && s[i] != '.'; ++i) {
        if (s[i] >= '0' && s[i] <= '9') n = n * 10 + static_cast<uint64_t>(s[i] - '0');
      }
      s.remove_prefix(i < s.size() ? i + 1 : i);
      return n;
    };
    uint64_t x = take(a), y = take(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace stack::api
