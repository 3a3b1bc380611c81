#include "engine/runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "common/files.h"
#include "common/unique_fd.h"
#include "engine/runtime/spec_json.h"
#include "engine/runtime/syscalls.h"

namespace stack::runtime {
namespace {

using nlohmann::json;

// /proc/<pid>/stat: "pid (comm) S ppid ..."; comm may hold spaces and parentheses, so
// fields are counted after the last ')'.
bool read_stat(pid_t pid, char& state, uint64_t& start_time) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  std::string_view s(buf, static_cast<size_t>(n));
  auto close = s.rfind(')');
  if (close == std::string_view::npos || close + 2 >= s.size()) return false;
  s.remove_prefix(close + 2);
  state = s.front();
  // After ')' come fields 3 (state) .. ; start time is field 22, the 20th from here.
  for (int field = 3; field < 22; ++field) {
    auto sp = s.find(' ');
    if (sp == std::string_view::npos) return false;
    s.remove_prefix(sp + 1);
  }
  start_time = std::strtoull(s.data(), nullptr, 10);
  return true;
}

json hook_to_json(const Hook& h) {
  json j = {{"path", h.path}};
  if (!h.args.empty()) j["args"] = h.args;
  if (!h.env.empty()) j["env"] = h.env;
  if (h.timeout) j["timeout"] = *h.timeout;
  return j;
}

}  // namespace

std::string to_string(Status status) {
  switch (status) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Stopped: return "stopped";
    case Status::Paused: return "paused";
  }
  return "unknown";
}

Result<void> validate_id(const std::string& id) {
  if (id.empty()) return fail("container id cannot be empty");
  if (id == "." || id == ".." || id.size() > 1024 ||
      std::any_of(id.begin(), id.end(), [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.'); }))
    return fail("invalid container id format: " + id);
  return {};
}

std::string state_dir(const std::string& root, const std::string& id) { return root + "/" + id; }
std::string exec_fifo_path(const std::string& root, const std::string& id) { return root + "/" + id + "/exec.fifo"; }
std::string seccomp_program_path(const std::string& root, const std::string& id) { return root + "/" + id + "/seccomp.bpf"; }

Result<void> create_state_dir(const std::string& root, const std::string& id) {
  if (auto r = validate_id(id); !r) return r;
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    if (auto r = sys::mkdir_all(root, 0700); !r) return r;
  }
  std::string dir = state_dir(root, id);
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) return fail("container with id exists: " + id, EEXIST);
    return fail_errno("create state directory " + dir);
  }
  return {};
}

Result<void> remove_state_dir(const std::string& root, const std::string& id) {
  std::error_code ec;
  std::filesystem::remove_all(state_dir(root, id), ec);
  if (ec) return fail("remove state directory " + state_dir(root, id), ec.value());
  return {};
}

Result<void> write_state(const std::string& root, const State& s) {
  json j = {{"version", kStateFormatVersion},
            {"id", s.id},
            {"pid", s.pid},
            {"start_time", s.start_time},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"created", s.created},
            {"annotations", s.annotations},
            {"cgroups_path", s.cgroups_path},
            {"paused", s.paused},
            {"poststart", json::array()},
            {"poststop", json::array()}};
  for (const auto& h : s.poststart) j["poststart"].push_back(hook_to_json(h));
  for (const auto& h : s.poststop) j["poststop"].push_back(hook_to_json(h));
  if (s.process) j["process"] = process_to_json(*s.process);
  return write_file_replace(state_dir(root, s.id) + "/state.json", j.dump(), 0600);
}

Result<void> write_file_replace(const std::string& path, std::string_view text, unsigned mode) {
  std::string tmp = path + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) return fail_errno("create " + tmp);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      int saved = errno;
      ::unlink(tmp.c_str());
      return fail("write " + tmp, saved ? saved : EIO);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    return fail("rename " + tmp + " to " + path, saved);
  }
  return {};
}

Result<State> read_state(const std::string& root, const std::string& id) {
  if (auto r = validate_id(id); !r) return std::unexpected(r.error());
  std::string path = state_dir(root, id) + "/state.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().errno_value == ENOENT) return fail("container does not exist: " + id, ENOENT);
    return std::unexpected(text.error());
  }
  State s;
  try {
    json j = json::parse(*text);
    s.id = j.at("id").get<std::string>();
    s.pid = j.at("pid").get<pid_t>();
    s.start_time = j.value("start_time", uint64_t{0});
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.created = j.value("created", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.cgroups_path = j.value("cgroups_path", "");
    s.paused = j.value("paused", false);
    auto hooks = [&](const char* name, std::vector<Hook>& out) {
      for (const auto& h : j.value(name, json::array())) {
        Hook hook;
        hook.path = h.at("path").get<std::string>();
        hook.args = h.value("args", std::vector<std::string>{});
        hook.env = h.value("env", std::vector<std::string>{});
        if (h.contains("timeout")) hook.timeout = h.at("timeout").get<int>();
        out.push_back(std::move(hook));
      }
    };
    hooks("poststart", s.poststart);
    hooks("poststop", s.poststop);
    if (auto it = j.find("process"); it != j.end()) {
      auto p = parse_process(it->dump(), path + ": process");
      if (!p) return std::unexpected(p.error());
      s.process = std::move(*p);
    }
  } catch (const json::exception& e) {
    return fail("read " + path + ": " + e.what());
  }
  return s;
}

Result<std::vector<std::string>> list_ids(const std::string& root) {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    return fail_errno("open " + root);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (path_exists(root + "/" + name + "/state.json")) ids.push_back(name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

uint64_t process_start_time(pid_t pid) {
  char state = 0;
  uint64_t start = 0;
  return read_stat(pid, state, start) ? start : 0;
}

Status observe_status(const std::string& root, const State& s) {
  if (s.pid <= 0) return Status::Stopped;
  char state = 0;
  uint64_t start = 0;
  if (!read_stat(s.pid, state, start) || (s.start_time != 0 && start != s.start_time) || state == 'Z' || state == 'X')
    return Status::Stopped;
  if (path_exists(exec_fifo_path(root, s.id))) return Status::Created;
  return s.paused ? Status::Paused : Status::Running;
}

nlohmann::ordered_json oci_state_json(const State& s, Status status) {
  nlohmann::ordered_json j;
  j["ociVersion"] = "1.0.2";
  j["id"] = s.id;
  j["pid"] = status == Status::Stopped ? 0 : s.pid;
  j["status"] = to_string(status);
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  j["owner"] = "";
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

std::string rfc3339_nano_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec);
  return buf;
}

}  // namespace stack::runtime
