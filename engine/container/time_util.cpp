#include "engine/container/time_util.h"

#include <cstdio>

#include "engine/image/image_config.h"

namespace stack::container {

bool is_zero_time(std::string_view text) { return text.empty() || text.starts_with("0001-01-01T00:00:00"); }

std::optional<SysTime> parse_time(std::string_view text) {
  if (is_zero_time(text)) return std::nullopt;
  auto secs = image::parse_rfc3339(text);
  if (!secs) return std::nullopt;
  int64_t nanos = 0;
  if (text.size() > 19 && text[19] == '.') {
    int digits = 0;
    for (size_t i = 20; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits)
      if (digits < 9) nanos = nanos * 10 + (text[i] - '0');
    for (int d = std::min(digits, 9); d < 9; ++d) nanos *= 10;
  }
  return SysTime(std::chrono::duration_cast<SysTime::duration>(std::chrono::seconds(*secs) +
                                                               std::chrono::nanoseconds(nanos)));
}

std::string format_time(SysTime t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::chrono::sys_seconds s{std::chrono::seconds(secs)};
  auto days = std::chrono::floor<std::chrono::days>(s);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{s - days};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  std::string out = buf;
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

}  // namespace stack::container
