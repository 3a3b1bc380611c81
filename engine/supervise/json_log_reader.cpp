#include "engine/supervise/json_log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"

namespace stack::supervise {
namespace {

// One log file opened for reading, with the bytes to read from it.
struct OpenLog {
  std::string name;
  UniqueFd fd;
  struct stat st{};
  std::int64_t begin = 0;
};

Result<std::int64_t> parse_digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return fail("short");
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, v);
  if (ec != std::errc() || end != s.data() + pos + n) return fail("digits");
  return v;
}

// Opens name; ENOENT gives an empty optional.
Result<std::optional<OpenLog>> open_log(const std::string& name) {
  UniqueFd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<OpenLog>();
    return fail_errno(fmt::format("open log {}", name));
  }
  OpenLog log{name, std::move(fd), {}, 0};
  if (::fstat(log.fd.get(), &log.st) != 0) return fail_errno(fmt::format("stat log {}", name));
  return std::optional<OpenLog>(std::move(log));
}

// A consistent set of files, oldest first, the current one last. The writer
// (another process) may rotate while we open them one by one; if the current
// file's inode changed meanwhile, open them again.
Result<std::vector<OpenLog>> open_all(const std::string& path) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto current = open_log(path);
    if (!current) return std::unexpected(current.error());
    std::vector<OpenLog> files;
    for (int i = 1;; ++i) {
      auto rotated = open_log(fmt::format("{}.{}", path, i));
      if (!rotated) return std::unexpected(rotated.error());
      if (!*rotated) break;
      files.push_back(std::move(**rotated));
    }
    std::reverse(files.begin(), files.end());
    struct stat now{};
    bool have_current = current->has_value();
    if (::stat(path.c_str(), &now) != 0) {
      if (errno != ENOENT) return fail_errno(fmt::format("stat log {}", path));
      if (!have_current) return files;
      continue;
    }
    if (have_current && now.st_ino == (*current)->st.st_ino && now.st_dev == (*current)->st.st_dev) {
      files.push_back(std::move(**current));
      return files;
    }
  }
  return fail(fmt::format("read log {}: the file kept rotating while it was being opened", path));
}

// Reads [begin, size at open) of one file and splits it into complete lines;
// a trailing line without "\n" (a record being written) is left for later.
Result<void> read_lines(OpenLog& log, std::vector<std::string>& lines, std::int64_t& end) {
  std::int64_t size = log.st.st_size;
  std::string data;
  if (size > log.begin) data.resize(static_cast<std::size_t>(size - log.begin));
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(log.fd.get(), data.data() + got, data.size() - got, log.begin + static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(fmt::format("read log {}", log.name));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  std::size_t start = 0;
  for (std::size_t nl; (nl = data.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl > start) lines.emplace_back(data.substr(start, nl - start));
  }
  end = log.begin + static_cast<std::int64_t>(start);
  return {};
}

Result<LogRecord> decode(const std::string& line, const std::string& file) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(fmt::format("read log {}: malformed record: {}", file, line));
  LogRecord rec;
  try {
    rec.log = j.value("log", "");
    rec.stream = j.value("stream", "");
    auto time = parse_log_time(j.value("time", ""));
    if (!time) return fail(fmt::format("read log {}: bad time in record: {}", file, line));
    rec.time = *time;
  } catch (const nlohmann::json::exception&) {
    return fail(fmt::format("read log {}: malformed record: {}", file, line));
  }
  return rec;
}

Result<LogReadResult> collect(std::vector<OpenLog>& files, const LogReadOptions& options, bool use_tail) {
  LogReadResult out;
  std::vector<std::pair<std::string, std::size_t>> lines;  // line, file index
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::vector<std::string> file_lines;
    std::int64_t end = 0;
    if (auto r = read_lines(files[i], file_lines, end); !r) return std::unexpected(r.error());
    for (auto& l : file_lines) lines.emplace_back(std::move(l), i);
    if (i + 1 == files.size()) out.end = {files[i].st.st_dev, files[i].st.st_ino, end};
  }
  std::size_t first = 0;
  if (use_tail && options.tail) first = lines.size() - std::min(lines.size(), *options.tail);
  for (std::size_t k = first; k < lines.size(); ++k) {
    auto rec = decode(lines[k].first, files[lines[k].second].name);
    if (!rec) return std::unexpected(rec.error());
    if (options.since && rec->time < *options.since) continue;
    if (options.until && rec->time > *options.until) break;
    out.records.push_back(std::move(*rec));
  }
  return out;
}

}  // namespace

Result<LogTime> parse_log_time(std::string_view s) {
  using namespace std::chrono;
  auto bad = [&] { return fail(fmt::format("parse time '{}': not RFC 3339", s)); };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':') {
    return bad();
  }
  auto y = parse_digits(s, 0, 4), mo = parse_digits(s, 5, 2), d = parse_digits(s, 8, 2);
  auto h = parse_digits(s, 11, 2), mi = parse_digits(s, 14, 2), se = parse_digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !se || *h > 23 || *mi > 59 || *se > 60) return bad();
  year_month_day ymd{year(static_cast<int>(*y)), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return bad();
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t digits = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
    }
    if (digits == 0) return bad();
    for (; digits < 9; ++digits) nanos *= 10;
  }
  std::int64_t offset_s = 0;
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    auto oh = parse_digits(s, pos + 1, 2), om = parse_digits(s, pos + 4, 2);
    if (!oh || !om) return bad();
    offset_s = (*oh * 3600 + *om * 60) * (s[pos] == '-' ? -1 : 1);
  } else {
    return bad();
  }
  LogTime t = sys_days(ymd) + hours(*h) + minutes(*mi) + seconds(*se) + nanoseconds(nanos) - seconds(offset_s);
  return t;
}

std::string format_with_timestamp(const LogRecord& record) {
  using namespace std::chrono;
  auto day = floor<days>(record.time);
  year_month_day ymd{day};
  hh_mm_ss<nanoseconds> hms{record.time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z {}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count(), record.log);
}

Result<LogReadResult> read_json_log(const std::string& path, const LogReadOptions& options) {
  auto files = open_all(path);
  if (!files) return std::unexpected(files.error());
  if (options.tail && *options.tail == 0) {
    // Docker's tail=0: nothing old, but a follower starts from the end.
    LogReadResult out;
    if (!files->empty()) {
      auto& cur = files->back();
      std::vector<std::string> ignored;
      std::int64_t end = 0;
      if (auto r = read_lines(cur, ignored, end); !r) return std::unexpected(r.error());
      out.end = {cur.st.st_dev, cur.st.st_ino, end};
    }
    return out;
  }
  return collect(*files, options, true);
}

Result<LogReadResult> read_json_log_from(const std::string& path, const LogPosition& from,
                                         const LogReadOptions& options) {
  auto files = open_all(path);
  if (!files) return std::unexpected(files.error());
  auto it = std::find_if(files->begin(), files->end(),
                         [&](const OpenLog& f) { return f.st.st_dev == from.dev && f.st.st_ino == from.ino; });
  if (it != files->end()) {
    files->erase(files->begin(), it);
    // A file only ever grows until it is rotated; a shorter one was recreated.
    if (from.offset <= files->front().st.st_size) files->front().begin = from.offset;
  }
  return collect(*files, options, false);
}

}  // namespace stack::supervise
