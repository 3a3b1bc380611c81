#include "engine/container/spec_builder.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "common/strings.h"
#include "engine/container/decode.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/docker_defaults.h"
#include "engine/runtime/init.h"

namespace stack::container {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// --- users and groups (moby/sys/user) ---

struct PasswdEntry {
  std::string name;
  int64_t uid = 0, gid = 0;
};
struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;
};

bool parse_id(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

std::vector<std::vector<std::string>> colon_lines(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  for (const auto& raw : split(text, '\n')) {
    auto line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    out.push_back(split(line, ':'));
  }
  return out;
}

std::vector<PasswdEntry> parse_passwd(const std::string& text) {
  std::vector<PasswdEntry> out;
  for (auto& f : colon_lines(text)) {
    PasswdEntry e;
    e.name = f.size() > 0 ? f[0] : "";
    if (f.size() > 2) parse_id(f[2], e.uid);
    if (f.size() > 3) parse_id(f[3], e.gid);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> parse_group(const std::string& text) {
  std::vector<GroupEntry> out;
  for (auto& f : colon_lines(text)) {
    GroupEntry e;
    e.name = f.size() > 0 ? f[0] : "";
    if (f.size() > 2) parse_id(f[2], e.gid);
    if (f.size() > 3 && !f[3].empty()) e.members = split(f[3], ',');
    out.push_back(std::move(e));
  }
  return out;
}

constexpr int64_t kMaxId = INT32_MAX;

std::string to_upper(std::string_view s) { return detail::to_upper_ascii(s); }

// --- tmpfs options (moby pkg/mount MergeTmpfsOptions) ---

bool is_flag_option(std::string_view o) {
  static constexpr std::string_view kFlags[] = {
      "defaults", "ro",       "rw",         "suid",        "nosuid",    "dev",      "nodev",   "exec",
      "noexec",   "sync",     "async",      "dirsync",     "remount",   "mand",     "nomand",  "atime",
      "noatime",  "diratime", "nodiratime", "bind",        "rbind",     "unbindable", "runbindable",
      "private",  "rprivate", "shared",     "rshared",     "slave",     "rslave",   "relatime", "norelatime",
      "strictatime", "nostrictatime"};
  return std::find(std::begin(kFlags), std::end(kFlags), o) != std::end(kFlags);
}

std::string flag_key(std::string_view o) {
  if (o == "ro" || o == "rw") return "rw";
  if (o.starts_with("no") && o != "nodev" && o != "noexec" && o != "nosuid" && o != "noatime" && o != "nodiratime" &&
      o != "nomand" && o != "norelatime" && o != "nostrictatime")
    return std::string(o);
  return std::string(o.starts_with("no") ? o.substr(2) : o);
}

// Host /dev devices for --privileged (moby oci.HostDevices, runc's walk).
void host_devices(const std::string& dir, std::vector<runtime::Device>& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& p = it->path();
    std::string name = p.filename().string();
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" ||
          name == ".lxd-mounts" || name == ".udev")
        continue;
      host_devices(p.string(), out);
      continue;
    }
    if (name == "console") continue;
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    runtime::Device d;
    d.path = p.string();
    d.type = S_ISCHR(st.st_mode) ? "c" : "b";
    d.major = major(st.st_rdev);
    d.minor = minor(st.st_rdev);
    d.file_mode = st.st_mode & 07777;
    d.uid = st.st_uid;
    d.gid = st.st_gid;
    out.push_back(std::move(d));
  }
}

bool sysctl_exists(const std::string& name) {
  std::string path = "/proc/sys/" + name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  return path_exists(path);
}

}  // namespace

std::string path_in_rootfs(const std::string& rootfs, const std::string& path) {
  // Walk the components; a symlink restarts from the rootfs for an absolute
  // target or from the current directory for a relative one. ".." stops at /.
  std::vector<std::string> done;
  std::vector<std::string> todo;
  for (auto& c : split(path, '/'))
    if (!c.empty() && c != ".") todo.push_back(c);
  std::reverse(todo.begin(), todo.end());
  int hops = 0;
  while (!todo.empty()) {
    std::string c = todo.back();
    todo.pop_back();
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string current = rootfs;
    for (const auto& d : done) current += "/" + d;
    current += "/" + c;
    char buf[PATH_MAX];
    ssize_t n = ::readlink(current.c_str(), buf, sizeof buf - 1);
    if (n < 0 || ++hops > 255) {
      done.push_back(c);
      continue;
    }
    std::string target(buf, static_cast<size_t>(n));
    if (!target.empty() && target.front() == '/') done.clear();
    auto parts = split(target, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
      if (!it->empty() && *it != ".") todo.push_back(*it);
  }
  std::string out = rootfs;
  for (const auto& d : done) out += "/" + d;
  return out;
}

Result<runtime::User> resolve_user(const std::string& rootfs, const std::string& user_spec,
                                   const std::vector<std::string>& group_add) {
  auto passwd_text = read_file(path_in_rootfs(rootfs, "/etc/passwd"));
  auto group_text = read_file(path_in_rootfs(rootfs, "/etc/group"));
  // A missing file is no entries (moby ignores an absent passwd/group file).
  std::vector<PasswdEntry> users = passwd_text ? parse_passwd(*passwd_text) : std::vector<PasswdEntry>{};
  std::vector<GroupEntry> groups = group_text ? parse_group(*group_text) : std::vector<GroupEntry>{};

  std::string user_arg = user_spec, group_arg;
  if (auto colon = user_spec.find(':'); colon != std::string::npos) {
    user_arg = user_spec.substr(0, colon);
    group_arg = user_spec.substr(colon + 1);
  }
  int64_t uid_num = 0, gid_num = 0;
  bool uid_numeric = parse_id(user_arg, uid_num);
  bool gid_numeric = parse_id(group_arg, gid_num);

  int64_t uid = 0, gid = 0;
  std::string matched_name;
  const PasswdEntry* found = nullptr;
  for (const auto& u : users) {
    bool hit = user_arg.empty() ? u.uid == 0 : (uid_numeric ? u.uid == uid_num : u.name == user_arg);
    if (hit) {
      found = &u;
      break;
    }
  }
  if (found) {
    matched_name = found->name;
    uid = found->uid;
    gid = found->gid;
  } else if (!user_arg.empty()) {
    if (!uid_numeric)
      return fail("unable to find user " + user_arg + ": no matching entries in passwd file", EINVAL);
    if (uid_num > kMaxId) return fail("uids and gids must be in range 0-" + std::to_string(kMaxId), EINVAL);
    uid = uid_num;
  }

  std::vector<gid_t> sgids;
  if (!group_arg.empty()) {
    const GroupEntry* g = nullptr;
    for (const auto& e : groups)
      if (gid_numeric ? e.gid == gid_num : e.name == group_arg) {
        g = &e;
        break;
      }
    if (g) {
      gid = g->gid;
    } else {
      if (!gid_numeric) return fail("unable to find group " + group_arg + ": no matching entries in group file", EINVAL);
      if (gid_num > kMaxId) return fail("uids and gids must be in range 0-" + std::to_string(kMaxId), EINVAL);
      gid = gid_num;
    }
  } else if (!matched_name.empty()) {
    // Supplementary groups only in the implicit form: groups listing the user.
    for (const auto& e : groups)
      if (std::find(e.members.begin(), e.members.end(), matched_name) != e.members.end())
        sgids.push_back(static_cast<gid_t>(e.gid));
  }

  runtime::User u;
  u.uid = static_cast<uid_t>(uid);
  u.gid = static_cast<gid_t>(gid);
  // moby getUser: the primary gid first, then the supplementary ones, then --group-add.
  u.additional_gids.push_back(u.gid);
  for (gid_t g : sgids) u.additional_gids.push_back(g);
  std::vector<gid_t> added;
  for (const auto& ag : group_add) {
    bool hit = false;
    for (const auto& e : groups) {
      if (e.name == ag || std::to_string(e.gid) == ag) {
        if (std::find(added.begin(), added.end(), static_cast<gid_t>(e.gid)) == added.end())
          added.push_back(static_cast<gid_t>(e.gid));
        hit = true;
        break;
      }
    }
    if (hit) continue;
    int64_t n = 0;
    if (!parse_id(ag, n)) return fail("Unable to find group " + ag + ": no matching entries in group file", EINVAL);
    if (n > kMaxId) return fail("uids and gids must be in range 0-" + std::to_string(kMaxId), EINVAL);
    if (std::find(added.begin(), added.end(), static_cast<gid_t>(n)) == added.end()) added.push_back(static_cast<gid_t>(n));
  }
  u.additional_gids.insert(u.additional_gids.end(), added.begin(), added.end());
  return u;
}

Result<std::vector<std::string>> tweak_capabilities(const std::vector<std::string>& add,
                                                    const std::vector<std::string>& drop, bool privileged) {
  const auto& known = runtime::known_capability_names();
  auto all = [&]() -> std::vector<std::string> {
    // "All" is what this host can grant: the runtime's bounding set.
    auto b = runtime::bounding_capabilities();
    return b ? *b : known;
  };
  if (privileged) return all();
  auto basics = runtime::docker_default_capabilities().bounding;
  if (add.empty() && drop.empty()) return basics;
  auto normalize = [&](const std::vector<std::string>& in, std::string_view field) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    for (const auto& c : in) {
      std::string up = to_upper(c);
      if (up != "ALL") {
        if (!up.starts_with("CAP_")) up = "CAP_" + up;
        if (std::find(known.begin(), known.end(), up) == known.end())
          return fail("invalid " + std::string(field) + ": unknown capability: \"" + up + "\"", EINVAL);
      }
      out.push_back(up);
    }
    return out;
  };
  auto cap_drop = normalize(drop, "CapDrop");
  if (!cap_drop) return std::unexpected(cap_drop.error());
  auto cap_add = normalize(add, "CapAdd");
  if (!cap_add) return std::unexpected(cap_add.error());
  auto has = [](const std::vector<std::string>& v, const std::string& c) {
    return std::find(v.begin(), v.end(), c) != v.end();
  };
  std::vector<std::string> caps;
  if (has(*cap_add, "ALL")) {
    for (const auto& c : all())
      if (!has(*cap_drop, c)) caps.push_back(c);
  } else if (has(*cap_drop, "ALL")) {
    caps = *cap_add;
  } else {
    for (const auto& c : basics)
      if (!has(*cap_drop, c)) caps.push_back(c);
    for (const auto& c : *cap_add)
      if (!has(caps, c)) caps.push_back(c);
  }
  return caps;
}

std::vector<std::string> container_env(const Config& c) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath, "HOSTNAME=" + c.hostname};
  if (c.tty) env.push_back("TERM=xterm");
  // moby ReplaceOrAppendEnvValues: replace in place, append new, "KEY" alone unsets.
  for (const auto& e : c.env) {
    auto eq = e.find('=');
    std::string key = e.substr(0, eq);
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& d) { return d.substr(0, d.find('=')) == key; });
    if (eq == std::string::npos) {
      if (it != env.end()) env.erase(it);
      continue;
    }
    if (it != env.end()) {
      *it = e;
    } else {
      env.push_back(e);
    }
  }
  return env;
}

Result<std::vector<std::string>> tmpfs_options(const std::string& user_options) {
  std::vector<std::string> options = {"noexec", "nosuid", "nodev", "rprivate"};
  if (!user_options.empty())
    for (auto& o : split(user_options, ',')) options.push_back(o);
  // The last of each flag (with or without "no") and of each key=value wins.
  std::vector<std::string> out, seen;
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    const std::string& o = *it;
    if (o == "defaults") continue;
    std::string key;
    if (is_flag_option(o)) {
      key = "flag:" + flag_key(o);
    } else {
      auto eq = o.find('=');
      std::string k = o.substr(0, eq);
      static constexpr std::string_view kData[] = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"};
      if (eq == std::string::npos || std::find(std::begin(kData), std::end(kData), k) == std::end(kData))
        return fail("invalid tmpfs option [\"" + o + "\"]", EINVAL);
      key = "data:" + k;
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.insert(out.begin(), o);
  }
  return out;
}

Result<runtime::Spec> build_spec(const Record& r, const SpecPaths& paths) {
  const Config& c = r.config;
  const HostConfig& h = r.host_config;
  runtime::Spec s;
  s.oci_version = "1.0.2-dev";
  s.root.path = paths.rootfs;
  s.root.readonly = h.readonly_rootfs;

  // Process.
  auto& p = s.process;
  p.terminal = c.tty;
  if (c.tty && (h.console_size[0] || h.console_size[1]))
    p.console_size = runtime::ConsoleSize{h.console_size[0], h.console_size[1]};
  p.args.push_back(r.path);
  p.args.insert(p.args.end(), r.args.begin(), r.args.end());
  p.env = container_env(c);
  p.cwd = c.working_dir.empty() ? "/" : c.working_dir;
  auto user = resolve_user(paths.rootfs, c.user, h.group_add.value_or(std::vector<std::string>{}));
  if (!user) return std::unexpected(user.error());
  p.user = *user;
  auto caps = tweak_capabilities(h.cap_add.value_or(std::vector<std::string>{}),
                                 h.cap_drop.value_or(std::vector<std::string>{}), h.privileged);
  if (!caps) return std::unexpected(caps.error());
  runtime::Capabilities cs;
  cs.bounding = cs.effective = cs.permitted = *caps;
  p.capabilities = cs;
  p.oom_score_adj = h.oom_score_adj;
  for (const auto& u : h.ulimits)
    p.rlimits.push_back(runtime::Rlimit{"RLIMIT_" + to_upper(u.name), static_cast<uint64_t>(u.soft),
                                        static_cast<uint64_t>(u.hard)});

  // Security options.
  bool seccomp_unconfined = h.privileged;
  std::string seccomp_profile;
  for (const auto& opt : h.security_opt.value_or(std::vector<std::string>{})) {
    if (opt == "no-new-privileges") {
      p.no_new_privileges = true;
      continue;
    }
    auto sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');
    if (sep == std::string::npos) continue;
    std::string k = opt.substr(0, sep), v = opt.substr(sep + 1);
    if (k == "no-new-privileges") {
      p.no_new_privileges = v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
    } else if (k == "seccomp") {
      if (v == "unconfined") {
        seccomp_unconfined = true;
      } else if (v != "builtin" && !v.empty()) {
        seccomp_profile = v;
      }
    } else if (k == "apparmor") {
      // This host has no AppArmor; the profile is recorded (AppArmorProfile) and not applied.
      p.apparmor_profile = v;
    }
    // label=...: no SELinux here; ignored as Docker does with SELinux disabled.
  }
  if (!seccomp_profile.empty())
    return fail("--security-opt seccomp=<profile>: custom seccomp profiles are not supported yet by stack", EINVAL);

  // Hostname.
  if (h.uts_mode != "host") {
    s.hostname = c.hostname;
    s.domainname = c.domainname;
  }

  // Mounts: Docker's defaults, then tmpfs, then the per-container files.
  std::map<std::string, bool> user_dest;
  for (const auto& [dest, _] : h.tmpfs) user_dest[dest] = true;
  bool no_ipc = h.ipc_mode == "none";
  for (auto m : runtime::docker_default_mounts()) {
    if (user_dest.contains(m.destination)) continue;
    if (no_ipc && (m.destination == "/dev/shm" || m.destination == "/dev/mqueue")) continue;
    if (h.privileged && (m.destination == "/sys" || m.type == "cgroup"))
      std::erase(m.options, std::string("ro"));
    if (m.destination == "/dev/shm") {
      if (h.ipc_mode == "host") {
        m = runtime::Mount{"/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}};
      } else {
        std::erase_if(m.options, [](const std::string& o) { return o.starts_with("size="); });
        m.options.push_back("size=" + std::to_string(h.shm_size > 0 ? h.shm_size : 64 * 1024 * 1024));
      }
    }
    if (m.destination == "/dev/mqueue" && h.ipc_mode == "host")
      m = runtime::Mount{"/dev/mqueue", "bind", "/dev/mqueue", {"rbind", "rprivate"}};
    s.mounts.push_back(std::move(m));
  }
  for (const auto& [dest, data] : h.tmpfs) {
    auto opts = tmpfs_options(data);
    if (!opts) return std::unexpected(opts.error());
    s.mounts.push_back(runtime::Mount{dest, "tmpfs", "tmpfs", *opts});
  }
  auto file_mount = [&](const std::string& dest, const std::string& src) {
    if (src.empty() || user_dest.contains(dest)) return;
    std::vector<std::string> opts = {"rbind", "rprivate"};
    if (h.readonly_rootfs) opts.insert(opts.begin() + 1, "ro");
    s.mounts.push_back(runtime::Mount{dest, "bind", src, opts});
  };
  file_mount("/etc/resolv.conf", paths.resolv_conf_file);
  file_mount("/etc/hostname", paths.hostname_file);
  file_mount("/etc/hosts", paths.hosts_file);

  // Linux.
  auto& l = s.linux;
  l.namespaces.push_back({"mount", ""});
  if (h.network_mode != "host") {
    if (!paths.network_namespace_path.empty()) {
      l.namespaces.push_back({"network", paths.network_namespace_path});
    } else if (h.network_mode.starts_with("container:")) {
      return fail("network mode " + h.network_mode + ": the other container's network namespace was not given",
                  EINVAL);
    } else {
      // "none", and for now "default"/"bridge" until the netplane: a new
      // namespace with only lo.
      l.namespaces.push_back({"network", ""});
    }
  }
  if (h.uts_mode != "host") l.namespaces.push_back({"uts", ""});
  if (h.ipc_mode != "host") l.namespaces.push_back({"ipc", ""});
  if (h.pid_mode != "host") l.namespaces.push_back({"pid", ""});
  if (h.cgroupns_mode == "private") l.namespaces.push_back({"cgroup", ""});

  bool private_net = h.network_mode != "host" && !h.network_mode.starts_with("container:");
  if (private_net) {
    if (sysctl_exists("net.ipv4.ping_group_range")) l.sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
    if (sysctl_exists("net.ipv4.ip_unprivileged_port_start")) l.sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
  }
  for (const auto& [k, v] : h.sysctls) l.sysctl[k] = v;

  l.devices = runtime::docker_default_devices();
  runtime::Resources res;
  if (h.privileged) {
    std::vector<runtime::Device> hostdevs;
    host_devices("/dev", hostdevs);
    for (auto& d : hostdevs) {
      bool dup = std::any_of(l.devices.begin(), l.devices.end(), [&](const auto& x) { return x.path == d.path; });
      if (!dup) l.devices.push_back(std::move(d));
    }
    res.devices.push_back(runtime::DeviceCgroupRule{true, "a", std::nullopt, std::nullopt, "rwm"});
  } else {
    res.devices = runtime::docker_default_device_rules();
    l.masked_paths = runtime::docker_default_masked_paths();
    l.readonly_paths = runtime::docker_default_readonly_paths();
    if (!seccomp_unconfined) l.seccomp = runtime::docker_default_seccomp_for(cs);
  }

  // Resources (moby getMemoryResources / getCPUResources / getPidsLimit).
  runtime::MemoryResources mem;
  bool any_mem = false;
  if (h.memory != 0) mem.limit = h.memory, any_mem = true;
  if (h.memory_reservation != 0) mem.reservation = h.memory_reservation, any_mem = true;
  if (h.memory_swap != 0) mem.swap = h.memory_swap, any_mem = true;
  if (h.memory_swappiness && *h.memory_swappiness >= 0)
    mem.swappiness = static_cast<uint64_t>(*h.memory_swappiness), any_mem = true;
  if (h.oom_kill_disable && *h.oom_kill_disable) mem.disable_oom_killer = true, any_mem = true;
  if (any_mem) res.memory = mem;
  runtime::CpuResources cpu;
  bool any_cpu = false;
  if (h.cpu_shares != 0) cpu.shares = static_cast<uint64_t>(h.cpu_shares), any_cpu = true;
  if (h.nano_cpus > 0) {
    constexpr int64_t kPeriod = 100000;
    cpu.period = kPeriod;
    cpu.quota = h.nano_cpus * kPeriod / 1'000'000'000;
    any_cpu = true;
  }
  if (h.cpu_period != 0) cpu.period = static_cast<uint64_t>(h.cpu_period), any_cpu = true;
  if (h.cpu_quota != 0) cpu.quota = h.cpu_quota, any_cpu = true;
  if (!h.cpuset_cpus.empty()) cpu.cpus = h.cpuset_cpus, any_cpu = true;
  if (!h.cpuset_mems.empty()) cpu.mems = h.cpuset_mems, any_cpu = true;
  if (any_cpu) res.cpu = cpu;
  if (h.pids_limit && *h.pids_limit > 0) res.pids = runtime::PidsResources{*h.pids_limit};
  if (h.blkio_weight > 0) res.block_io = runtime::BlockIoResources{h.blkio_weight};
  l.resources = std::move(res);
  std::string parent = h.cgroup_parent.empty() ? "/stack" : h.cgroup_parent;
  l.cgroups_path = (parent.back() == '/' ? parent : parent + "/") + r.id;

  // Annotations.
  for (const auto& [k, v] : h.annotations) s.annotations[k] = v;
  if (h.init.value_or(false) && h.pid_mode != "host") s.annotations[runtime::kInitAnnotation] = "true";
  return s;
}

}  // namespace stack::container
