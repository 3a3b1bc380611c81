#include "engine/runtime/cgroup_detect.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "engine/runtime/cgroups_v1.h"
#include "engine/runtime/cgroups_v2.h"

namespace stack::runtime {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::all_of(s.begin() + i + 1, s.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; })) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> out;
  for (auto& f : split(line, ' '))
    if (!f.empty()) out.push_back(f);
  return out;
}

std::string strip_trailing_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool is_under(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         (root == "/" || path[root.size()] == '/');
}

constexpr const char* kV1Probe[] = {"memory", "cpu", "cpuacct", "pids", "cpuset", "blkio", "devices", "freezer"};

}  // namespace

std::string_view to_string(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::V1: return "v1";
    case CgroupMode::Hybrid: return "hybrid";
    case CgroupMode::V2: return "v2";
  }
  return "?";
}

std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo) {
  std::vector<CgroupMount> out;
  for (const std::string& line : split(mountinfo, '\n')) {
    std::vector<std::string> f = fields_of(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    const std::string& fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.mount_point = unescape_mountinfo(f[4]);
    m.v2 = fstype == "cgroup2";
    if (!m.v2) {
      for (const std::string& opt : split(*(dash + 3), ',')) {
        static constexpr std::string_view kNotControllers[] = {"rw", "ro", "xattr", "noprefix", "clone_children",
                                                               "cpuset_v2_mode", "nsdelegate", "favordynmods"};
        if (opt.empty() || opt.starts_with("release_agent=") ||
            std::find(std::begin(kNotControllers), std::end(kNotControllers), opt) != std::end(kNotControllers))
          continue;
        m.controllers.push_back(opt);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<CgroupMode> detect_cgroup_mode_from_mountinfo(std::string_view mountinfo, const std::string& root_in) {
  std::string root = strip_trailing_slash(root_in);
  bool v1 = false, unified_below = false;
  for (const CgroupMount& m : parse_cgroup_mounts(mountinfo)) {
    std::string mp = strip_trailing_slash(m.mount_point);
    if (m.v2 && mp == root) return CgroupMode::V2;
    if (!is_under(mp, root)) continue;
    if (m.v2) {
      unified_below = true;
    } else if (std::any_of(m.controllers.begin(), m.controllers.end(),
                           [](const std::string& c) { return !c.starts_with("name="); })) {
      v1 = true;
    }
  }
  if (v1) return unified_below ? CgroupMode::Hybrid : CgroupMode::V1;
  return fail("no cgroup hierarchy is mounted at or under " + root, ENOENT);
}

Result<CgroupMode> detect_cgroup_mode(const std::string& root_in) {
  std::string root = strip_trailing_slash(root_in);
  if (path_exists(root + "/cgroup.controllers")) return CgroupMode::V2;
  for (const char* c : kV1Probe)
    if (is_directory(root + "/" + c))
      return path_exists(root + "/unified/cgroup.controllers") ? CgroupMode::Hybrid : CgroupMode::V1;
  return fail("no cgroup hierarchy under " + root + ": neither " + root +
                  "/cgroup.controllers (v2) nor v1 controller directories (memory, cpu, pids, ...)",
              ENOENT);
}

Result<std::unique_ptr<Cgroup>> Cgroup::create(const std::string& cgroups_path, const std::optional<Resources>& resources,
                                                const CgroupOptions& options) {
  CgroupMode mode;
  if (options.mode) {
    mode = *options.mode;
  } else {
    auto detected = detect_cgroup_mode(options.root);
    if (!detected) return std::unexpected(detected.error().wrapped("create cgroup " + cgroups_path));
    mode = *detected;
  }
  if (mode == CgroupMode::V2) return CgroupV2::create(cgroups_path, resources, options);
  return CgroupV1::create(cgroups_path, resources, options, mode);
}

Result<std::unique_ptr<Cgroup>> Cgroup::open(const std::string& cgroups_path, const CgroupOptions& options) {
  CgroupMode mode;
  if (options.mode) {
    mode = *options.mode;
  } else {
    auto detected = detect_cgroup_mode(options.root);
    if (!detected) return std::unexpected(detected.error().wrapped("open cgroup " + cgroups_path));
    mode = *detected;
  }
  if (mode == CgroupMode::V2) return CgroupV2::open(cgroups_path, options);
  return CgroupV1::open(cgroups_path, options, mode);
}

namespace cgroupfs {

Result<void> write(const std::string& path, std::string_view value) {
  // No O_CREAT: a missing file means this kernel lacks the feature, and the error says which file.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return fail_errno("write " + std::string(value) + " to " + path);
  for (;;) {
    ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n >= 0) break;
    if (errno != EINTR) return fail_errno("write " + std::string(value) + " to " + path);
  }
  return {};
}

Result<std::string> read(const std::string& path) {
  auto content = read_file(path);
  if (!content) return std::unexpected(content.error());
  return std::string(trim(*content));
}

Result<std::optional<uint64_t>> read_limit(const std::string& path) {
  auto s = read(path);
  if (!s) return std::unexpected(s.error());
  if (*s == "max" || *s == "-1") return std::optional<uint64_t>();
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size()) return fail("parse " + path + ": " + quoted(*s), EINVAL);
  // v1 shows "unlimited" as PAGE_COUNTER_MAX pages in bytes, just under 2^63.
  if (v >= (uint64_t{1} << 62)) return std::optional<uint64_t>();
  return std::optional<uint64_t>(v);
}

Result<std::optional<uint64_t>> read_keyed(const std::string& path, std::string_view key) {
  auto s = read(path);
  if (!s) return std::unexpected(s.error());
  for (const std::string& line : split(*s, '\n')) {
    std::vector<std::string> f = fields_of(line);
    if (f.size() == 2 && f[0] == key) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), v);
      if (ec != std::errc()) return fail("parse " + path + ": " + quoted(line), EINVAL);
      return std::optional<uint64_t>(v);
    }
  }
  return std::optional<uint64_t>();
}

namespace {
Result<std::vector<std::string>> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("open cgroup directory " + dir);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && is_directory(dir + "/" + name));
    if (is_dir) out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  return out;
}
}  // namespace

Result<std::vector<pid_t>> read_pids_recursive(const std::string& dir) {
  std::vector<pid_t> out;
  auto procs = read(dir + "/cgroup.procs");
  if (!procs) return std::unexpected(procs.error());
  for (const std::string& line : split(*procs, '\n')) {
    if (line.empty()) continue;
    pid_t pid = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec != std::errc()) return fail("parse " + dir + "/cgroup.procs: " + quoted(line), EINVAL);
    out.push_back(pid);
  }
  auto children = subdirs(dir);
  if (!children) return std::unexpected(children.error());
  for (const std::string& child : *children) {
    auto more = read_pids_recursive(child);
    if (!more) return std::unexpected(more.error());
    out.insert(out.end(), more->begin(), more->end());
  }
  return out;
}

Result<void> make_dirs(const std::string& base, const std::string& rel, std::vector<std::string>& created,
                       const std::function<void(const std::string&)>& after_mkdir) {
  // A shared parent ("stack") can vanish between our mkdirs when the last container under it
  // is destroyed at that moment: start over, a few times.
  for (int attempt = 0;; ++attempt) {
    std::string dir = base;
    bool vanished = false;
    for (const std::string& part : split(rel, '/')) {
      if (part.empty()) continue;
      dir += "/" + part;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        created.push_back(dir);
        if (after_mkdir) after_mkdir(dir);
      } else if (errno == ENOENT && attempt < 3) {
        vanished = true;
        break;
      } else if (errno != EEXIST) {
        return fail_errno("create cgroup " + dir);
      }
    }
    if (!vanished) return {};
  }
}

Result<void> remove_tree(const std::string& dir, std::chrono::steady_clock::time_point deadline,
                         const std::function<void(const std::string&)>& before_rmdir) {
  if (!path_exists(dir)) return {};
  auto children = subdirs(dir);
  if (!children) return std::unexpected(children.error());
  for (const std::string& child : *children)
    if (auto r = remove_tree(child, deadline, before_rmdir); !r) return r;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    if (before_rmdir) before_rmdir(dir);
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    // EBUSY: tasks still in it (a killed process leaves its cgroup when it is done exiting).
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) return fail_errno("remove cgroup " + dir);
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
}

void remove_created_parents(const std::vector<std::string>& created_top_down,
                            const std::function<void(const std::string&)>& before_rmdir) {
  for (auto it = created_top_down.rbegin(); it != created_top_down.rend(); ++it) {
    if (!path_exists(*it)) continue;
    // Another container may live under the same parent; only an empty one goes.
    auto kids = subdirs(*it);
    if (!kids || !kids->empty()) return;
    if (before_rmdir) before_rmdir(*it);
    if (::rmdir(it->c_str()) != 0 && errno != ENOENT) return;
  }
}

Result<void> signal_pids(const std::vector<pid_t>& pids, int signal) {
  for (pid_t pid : pids)
    if (::kill(pid, signal) != 0 && errno != ESRCH)
      return fail_errno("send signal " + std::to_string(signal) + " to pid " + std::to_string(pid));
  return {};
}

}  // namespace cgroupfs
}  // namespace stack::runtime
