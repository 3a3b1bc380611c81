#include "engine/runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>

#include "common/files.h"
#include "common/strings.h"
#include "common/unique_fd.h"
#include "engine/runtime/docker_defaults.h"
#include "engine/runtime/syscalls.h"

namespace stack::runtime {
namespace {

// linux/mount.h clashes with glibc's sys/mount.h, so the mount_setattr ABI is spelled here.
struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
constexpr uint64_t kAttrRdonly = 0x1, kAttrNosuid = 0x2, kAttrNodev = 0x4, kAttrNoexec = 0x8, kAttrAtimeMask = 0x70,
                   kAttrNoatime = 0x10, kAttrStrictatime = 0x20, kAttrNodiratime = 0x80;
constexpr unsigned kAtRecursive = 0x8000;
constexpr long kCgroup2Magic = 0x63677270;

struct Flag {
  bool clear;
  unsigned long flag;
};

const std::map<std::string, Flag, std::less<>>& flag_table() {
  static const std::map<std::string, Flag, std::less<>> table = {
      {"async", {true, MS_SYNCHRONOUS}},     {"atime", {true, MS_NOATIME}},        {"bind", {false, MS_BIND}},
      {"defaults", {false, 0}},              {"dev", {true, MS_NODEV}},            {"diratime", {true, MS_NODIRATIME}},
      {"dirsync", {false, MS_DIRSYNC}},      {"exec", {true, MS_NOEXEC}},          {"iversion", {false, MS_I_VERSION}},
      {"lazytime", {false, MS_LAZYTIME}},    {"loud", {true, MS_SILENT}},          {"mand", {false, MS_MANDLOCK}},
      {"noatime", {false, MS_NOATIME}},      {"nodev", {false, MS_NODEV}},         {"nodiratime", {false, MS_NODIRATIME}},
      {"noexec", {false, MS_NOEXEC}},        {"noiversion", {true, MS_I_VERSION}}, {"nolazytime", {true, MS_LAZYTIME}},
      {"nomand", {true, MS_MANDLOCK}},       {"norelatime", {true, MS_RELATIME}},  {"nostrictatime", {true, MS_STRICTATIME}},
      {"nosuid", {false, MS_NOSUID}},        {"rbind", {false, MS_BIND | MS_REC}}, {"relatime", {false, MS_RELATIME}},
      {"remount", {false, MS_REMOUNT}},      {"ro", {false, MS_RDONLY}},           {"rw", {true, MS_RDONLY}},
      {"silent", {false, MS_SILENT}},        {"strictatime", {false, MS_STRICTATIME}}, {"suid", {true, MS_NOSUID}},
      {"sync", {false, MS_SYNCHRONOUS}},
  };
  return table;
}

struct RecursiveAttr {
  bool clear;
  uint64_t attr;
};

const std::map<std::string, RecursiveAttr, std::less<>>& recursive_table() {
  static const std::map<std::string, RecursiveAttr, std::less<>> table = {
      {"rro", {false, kAttrRdonly}},        {"rrw", {true, kAttrRdonly}},
      {"rnosuid", {false, kAttrNosuid}},    {"rsuid", {true, kAttrNosuid}},
      {"rnodev", {false, kAttrNodev}},      {"rdev", {true, kAttrNodev}},
      {"rnoexec", {false, kAttrNoexec}},    {"rexec", {true, kAttrNoexec}},
      {"rnodiratime", {false, kAttrNodiratime}}, {"rdiratime", {true, kAttrNodiratime}},
      {"rnoatime", {false, kAttrNoatime}},  {"rstrictatime", {false, kAttrStrictatime}},
      {"rrelatime", {false, 0}},
  };
  return table;
}

// Flags a remount must keep: in a user namespace the kernel locks them (EPERM otherwise).
unsigned long locked_flags(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long out = 0;
  if (st.f_flag & ST_NOSUID) out |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) out |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) out |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) out |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) out |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) out |= MS_RELATIME;
  return out;
}

Result<void> remount_bind(const std::string& path, unsigned long flags) {
  auto r = sys::mount("", path, "", flags | MS_BIND | MS_REMOUNT, "");
  if (!r && r.error().errno_value == EPERM) r = sys::mount("", path, "", flags | MS_BIND | MS_REMOUNT | locked_flags(path), "");
  return r;
}

Result<void> apply_propagation_and_attrs(const std::string& dest, const MountOptions& o) {
  for (unsigned long p : o.propagation)
    if (auto r = sys::mount("", dest, "", p, ""); !r) return r;
  if (o.recursive_set || o.recursive_clear) {
    MountAttr attr{o.recursive_set, o.recursive_clear, 0, 0};
    if (o.recursive_set & (kAttrNoatime | kAttrStrictatime)) attr.attr_clr |= kAttrAtimeMask;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, dest.c_str(), kAtRecursive, &attr, sizeof attr) != 0)
      return fail_errno("mount_setattr (recursive options) on " + dest);
  }
  return {};
}

Result<void> create_target(const std::string& dest, bool as_file) {
  if (!as_file) return sys::mkdir_all(dest, 0755);
  auto slash = dest.find_last_of('/');
  if (slash != std::string::npos && slash > 0)
    if (auto r = sys::mkdir_all(dest.substr(0, slash), 0755); !r) return r;
  return sys::touch(dest, 0644);
}

// cgroup v2: one cgroup2 mount. cgroup v1: a tmpfs with one mount per host v1 hierarchy,
// each showing the container's own cgroup as its root (a fresh mount inside the container's
// cgroup namespace, or a bind of its directory without one). The hybrid layout's controller-less cgroup2 "unified" mount is left out,
// as runc leaves it out: nothing in a v1 container uses it, and a fresh cgroup2 mount
// costs 10-15 ms here.
Result<void> mount_cgroup(const std::string& dest, const MountOptions& o, const std::vector<std::string>& cgroup_dirs,
                          bool own_cgroup_ns) {
  unsigned long flags = o.flags & ~(MS_BIND | MS_REC);
  struct statfs sfs {};
  if (::statfs("/sys/fs/cgroup", &sfs) == 0 && static_cast<long>(sfs.f_type) == kCgroup2Magic)
    return sys::mount("cgroup2", dest, "cgroup2", flags, "");
  if (auto r = sys::mount("tmpfs", dest, "tmpfs", flags & ~MS_RDONLY, "mode=755"); !r) return r;
  auto info = read_file("/proc/self/mountinfo");
  if (!info) return std::unexpected(info.error());
  for (const auto& line : split(*info, '\n')) {
    // "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu"
    auto fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || std::distance(dash, fields.end()) < 4) continue;
    const std::string& mountpoint = fields[4];
    const std::string& fstype = *(dash + 1);
    if (!mountpoint.starts_with("/sys/fs/cgroup/")) continue;
    std::string name = mountpoint.substr(std::strlen("/sys/fs/cgroup/"));
    if (name.empty() || name.find('/') != std::string::npos) continue;
    std::string target = dest + "/" + name;
    if (fstype == "cgroup") {
      if (auto r = sys::mkdir_all(target, 0755); !r) return r;
      std::vector<std::string> opts;
      for (const auto& opt : split(*(dash + 3), ','))
        if (opt != "rw" && opt != "ro") opts.push_back(opt);
      // Without a cgroup namespace a fresh cgroup v1 mount would show the host's whole tree:
      // bind the container's own directory of that hierarchy instead, as runc does. The same
      // serves a user namespace, which may not mount cgroup v1 at all.
      Result<void> r = fail("cgroup v1 mount not tried", EPERM);
      if (own_cgroup_ns) r = sys::mount("cgroup", target, "cgroup", flags, join(opts, ","));
      if (!r && r.error().errno_value == EPERM) {
        std::string source = mountpoint;
        for (const auto& d : cgroup_dirs)
          if (d.starts_with(mountpoint + "/")) source = d;
        r = sys::mount(source, target, "", MS_BIND | MS_REC, "");
        if (r && (flags & ~MS_REC)) r = remount_bind(target, flags);
      }
      if (!r) return r;
    }
  }
  if (flags & MS_RDONLY)
    if (auto r = sys::mount("", dest, "", flags | MS_REMOUNT, "mode=755"); !r) return r;
  return {};
}

Result<void> mount_one(const std::string& rootfs, const Mount& m, const std::vector<std::string>& cgroup_dirs,
                       bool own_cgroup_ns) {
  MountOptions o = parse_mount_options(m.options);
  auto dest = secure_join(rootfs, m.destination);
  if (!dest) return std::unexpected(dest.error());
  bool bind = o.bind() || m.type == "bind";
  if (bind) {
    struct stat st {};
    if (::stat(m.source.c_str(), &st) != 0) return fail_errno("bind mount source " + m.source);
    if (auto r = create_target(*dest, !S_ISDIR(st.st_mode)); !r) return r;
    if (auto r = sys::mount(m.source, *dest, "", MS_BIND | (o.flags & MS_REC), ""); !r) return r;
    // Flags other than bind/rec only take effect on a remount.
    if (o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT))
      if (auto r = remount_bind(*dest, o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT)); !r) return r;
    return apply_propagation_and_attrs(*dest, o);
  }
  if (auto r = create_target(*dest, false); !r) return r;
  if (m.type == "cgroup") {
    if (auto r = mount_cgroup(*dest, o, cgroup_dirs, own_cgroup_ns); !r) return r;
    return apply_propagation_and_attrs(*dest, o);
  }
  auto r = sys::mount(m.source.empty() ? m.type : m.source, *dest, m.type, o.flags, o.data);
  if (!r && r.error().errno_value == EPERM && (m.type == "sysfs" || m.type == "mqueue")) {
    // Without a new network (sysfs) or ipc (mqueue) namespace, or in a user namespace, the
    // kernel refuses a fresh instance: bind the host's, as runc does.
    std::string host = m.type == "sysfs" ? "/sys" : "/dev/mqueue";
    r = sys::mount(host, *dest, "", MS_BIND | MS_REC, "");
    if (r && (o.flags & MS_RDONLY)) r = remount_bind(*dest, o.flags & ~MS_REC);
  }
  if (!r) return r;
  return apply_propagation_and_attrs(*dest, o);
}

Result<void> create_device(const std::string& rootfs, const Device& d) {
  auto dest = secure_join(rootfs, d.path);
  if (!dest) return std::unexpected(dest.error());
  if (auto r = create_target(dest->substr(0, dest->find_last_of('/')), false); !r) return r;
  mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
  mode_t perm = d.file_mode.value_or(0666) & 07777;
  ::unlink(dest->c_str());
  auto made = sys::mknod(*dest, type | perm,
                         makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor)));
  if (!made) {
    if (made.error().errno_value != EPERM) return made;
    // In a user namespace mknod is refused: bind the host's node instead.
    if (auto r = sys::touch(*dest, 0644); !r) return r;
    return sys::mount(d.path, *dest, "", MS_BIND, "");
  }
  // mknod applies the umask; the spec's mode is meant as given.
  if (::chmod(dest->c_str(), perm) != 0) return fail_errno("chmod " + *dest);
  if (::chown(dest->c_str(), d.uid.value_or(0), d.gid.value_or(0)) != 0) return fail_errno("chown " + *dest);
  return {};
}

Result<void> populate_dev(const std::string& rootfs, const Spec& spec) {
  bool dev_is_bind = false, has_devpts = false;
  for (const auto& m : spec.mounts) {
    auto o = parse_mount_options(m.options);
    if (m.destination == "/dev" && (o.bind() || m.type == "bind")) dev_is_bind = true;
    if (m.destination == "/dev/pts" && m.type == "devpts") has_devpts = true;
  }
  if (dev_is_bind) return {};  // the host's /dev as it is
  std::vector<Device> devices = docker_default_devices();
  for (const auto& d : spec.linux.devices) {
    auto same = std::find_if(devices.begin(), devices.end(), [&](const Device& x) { return x.path == d.path; });
    if (same != devices.end()) *same = d;
    else devices.push_back(d);
  }
  for (const auto& d : devices)
    if (auto r = create_device(rootfs, d); !r) return r;
  std::string dev = rootfs + "/dev";
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (const auto& [target, name] : links) {
    auto r = sys::symlink(target, dev + "/" + name);
    if (!r && r.error().errno_value != EEXIST) return r;
  }
  if (path_exists("/proc/kcore")) {
    auto r = sys::symlink("/proc/kcore", dev + "/core");
    if (!r && r.error().errno_value != EEXIST) return r;
  }
  if (has_devpts) {
    std::string ptmx = dev + "/ptmx";
    if (::unlink(ptmx.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + ptmx);
    if (auto r = sys::symlink("pts/ptmx", ptmx); !r) return r;
  }
  return {};
}

Result<void> pivot_into(const std::string& rootfs) {
  UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root) return fail_errno("open /");
  UniqueFd new_root(::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!new_root) return fail_errno("open rootfs " + rootfs);
  if (::fchdir(new_root.get()) != 0) return fail_errno("chdir " + rootfs);
  // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "." then
  // drops it, with no directory for it needed inside the rootfs.
  if (auto r = sys::pivot_root(".", "."); !r) return std::unexpected(r.error().wrapped("pivot_root into " + rootfs));
  if (::fchdir(old_root.get()) != 0) return fail_errno("chdir to the old root");
  // The old root's mounts must not propagate their unmount back to the host.
  if (auto r = sys::mount("", ".", "", MS_SLAVE | MS_REC, ""); !r) return r;
  if (auto r = sys::umount(".", MNT_DETACH); !r) return std::unexpected(r.error().wrapped("detach the old root"));
  if (::chdir("/") != 0) return fail_errno("chdir /");
  return {};
}

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

unsigned long propagation_flags(const std::string& name) {
  static const std::map<std::string, unsigned long, std::less<>> table = {
      {"private", MS_PRIVATE},         {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
      {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE},   {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  auto it = table.find(name);
  return it == table.end() ? 0 : it->second;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions o;
  std::vector<std::string> data;
  for (const auto& opt : options) {
    if (auto it = flag_table().find(opt); it != flag_table().end()) {
      if (it->second.clear) {
        o.flags &= ~it->second.flag;
      } else {
        o.flags |= it->second.flag;
      }
    } else if (unsigned long p = propagation_flags(opt); p != 0) {
      o.propagation.push_back(p);
    } else if (auto rec = recursive_table().find(opt); rec != recursive_table().end()) {
      if (rec->second.clear) {
        o.recursive_clear |= rec->second.attr;
        o.recursive_set &= ~rec->second.attr;
      } else {
        o.recursive_set |= rec->second.attr;
        o.recursive_clear &= ~rec->second.attr;
      }
    } else if (opt == "tmpcopyup" || opt == "idmap" || opt == "ridmap") {
      // runc extensions that need no flag here (copy-up and id-mapped mounts are not supported).
    } else if (!opt.empty()) {
      data.push_back(opt);
    }
  }
  o.data = join(data, ",");
  return o;
}

Result<std::string> secure_join(const std::string& root, const std::string& unsafe_path) {
  std::deque<std::string> pending;
  for (auto& c : split(unsafe_path, '/')) pending.push_back(std::move(c));
  std::vector<std::string> done;
  int links = 0;
  auto current = [&] {
    std::string p = root;
    for (const auto& c : done) p += "/" + c;
    return p;
  };
  while (!pending.empty()) {
    std::string c = std::move(pending.front());
    pending.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string candidate = current() + "/" + c;
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      done.push_back(std::move(c));
      continue;
    }
    if (++links > 255) return fail("resolve " + unsafe_path + " in " + root, ELOOP);
    char buf[4096];
    ssize_t n = ::readlink(candidate.c_str(), buf, sizeof buf - 1);
    if (n < 0) return fail_errno("readlink " + candidate);
    std::string target(buf, static_cast<size_t>(n));
    if (!target.empty() && target.front() == '/') done.clear();
    auto parts = split(target, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_front(*it);
  }
  return current();
}

Result<void> prepare_rootfs(const Spec& spec, const std::string& rootfs, const std::vector<std::string>& cgroup_dirs,
                            const std::function<Result<void>()>& before_pivot) {
  // Nothing mounted from here on may propagate to the host. A shared root propagation is
  // applied after pivot_root: pivot_root refuses shared mounts.
  unsigned long root_prop = propagation_flags(spec.linux.rootfs_propagation);
  unsigned long first = (root_prop == 0 || (root_prop & MS_SHARED)) ? (MS_SLAVE | MS_REC) : root_prop;
  if (auto r = sys::mount("", "/", "", first, ""); !r) return std::unexpected(r.error().wrapped("prepare rootfs"));
  // pivot_root needs the new root to be a mount point.
  if (auto r = sys::mount(rootfs, rootfs, "", MS_BIND | MS_REC, ""); !r) return std::unexpected(r.error().wrapped("prepare rootfs"));
  bool own_cgroup_ns = std::any_of(spec.linux.namespaces.begin(), spec.linux.namespaces.end(),
                                   [](const Namespace& ns) { return ns.type == "cgroup" && ns.path.empty(); });
  for (size_t i = 0; i < spec.mounts.size(); ++i)
    if (auto r = mount_one(rootfs, spec.mounts[i], cgroup_dirs, own_cgroup_ns); !r)
      return std::unexpected(r.error().wrapped("mounts[" + std::to_string(i) + "] " + spec.mounts[i].destination));
  if (auto r = populate_dev(rootfs, spec); !r) return std::unexpected(r.error().wrapped("populate /dev"));
  if (before_pivot)
    if (auto r = before_pivot(); !r) return r;
  if (auto r = pivot_into(rootfs); !r) return r;
  if (root_prop & MS_SHARED)
    if (auto r = sys::mount("", "/", "", root_prop, ""); !r) return r;
  return {};
}

Result<void> finalize_rootfs(const Spec& spec) {
  for (const auto& path : spec.linux.readonly_paths) {
    auto r = sys::mount(path, path, "", MS_BIND | MS_REC, "");
    if (!r) {
      if (r.error().errno_value == ENOENT) continue;
      return std::unexpected(r.error().wrapped("readonly path"));
    }
    if (auto rr = sys::mount("", path, "", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_flags(path), ""); !rr)
      return std::unexpected(rr.error().wrapped("readonly path"));
  }
  for (const auto& path : spec.linux.masked_paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return fail_errno("masked path " + path);
    }
    auto r = S_ISDIR(st.st_mode) ? sys::mount("tmpfs", path, "tmpfs", MS_RDONLY, "")
                                 : sys::mount("/dev/null", path, "", MS_BIND, "");
    if (!r) return std::unexpected(r.error().wrapped("masked path"));
  }
  if (spec.root.readonly)
    if (auto r = sys::mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), ""); !r)
      return std::unexpected(r.error().wrapped("read-only root"));
  return {};
}

}  // namespace stack::runtime
