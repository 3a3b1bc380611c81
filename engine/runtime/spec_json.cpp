#include "engine/runtime/spec_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "common/files.h"

namespace stack::runtime {
namespace {

using nlohmann::json;

// Walks the document keeping the JSON path, so every error can say where it is.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  std::unexpected<Error> error(const std::string& path, const std::string& what) const {
    return fail(std::string(source_) + ": " + path + ": " + what);
  }

  static std::string key(const std::string& parent, std::string_view k) {
    return parent.empty() ? std::string(k) : parent + "." + std::string(k);
  }
  static std::string index(const std::string& parent, size_t i) { return parent + "[" + std::to_string(i) + "]"; }

  // Looks up an optional member; null counts as absent.
  static const json* member(const json& obj, std::string_view k) {
    auto it = obj.find(k);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Result<const json*> object(const json& obj, std::string_view k, const std::string& path) const {
    const json* v = member(obj, k);
    if (v && !v->is_object()) return error(key(path, k), "must be an object");
    return v;
  }

  Result<void> string(const json& obj, std::string_view k, const std::string& path, std::string& out) const {
    const json* v = member(obj, k);
    if (!v) return {};
    if (!v->is_string()) return error(key(path, k), "must be a string");
    out = v->get<std::string>();
    return {};
  }

  Result<void> boolean(const json& obj, std::string_view k, const std::string& path, bool& out) const {
    const json* v = member(obj, k);
    if (!v) return {};
    if (!v->is_boolean()) return error(key(path, k), "must be a boolean");
    out = v->get<bool>();
    return {};
  }

  Result<void> strings(const json& obj, std::string_view k, const std::string& path, std::vector<std::string>& out) const {
    const json* v = member(obj, k);
    if (!v) return {};
    if (!v->is_array()) return error(key(path, k), "must be an array of strings");
    out.clear();
    for (const auto& item : *v) {
      if (!item.is_string()) return error(key(path, k), "must be an array of strings");
      out.push_back(item.get<std::string>());
    }
    return {};
  }

  Result<void> string_map(const json& obj, std::string_view k, const std::string& path,
                          std::map<std::string, std::string>& out) const {
    const json* v = member(obj, k);
    if (!v) return {};
    if (!v->is_object()) return error(key(path, k), "must be an object of strings");
    for (const auto& [name, value] : v->items()) {
      if (!value.is_string()) return error(key(key(path, k), name), "must be a string");
      out[name] = value.get<std::string>();
    }
    return {};
  }

  // Integers within [lo, hi]; JSON floats with a fraction are refused.
  template <class T>
  Result<T> integer_value(const json& v, const std::string& path) const {
    constexpr auto lo = std::numeric_limits<T>::min();
    constexpr auto hi = std::numeric_limits<T>::max();
    std::string range = std::is_signed_v<T> ? "an integer" : "a non-negative integer";
    if (v.is_number_unsigned()) {
      auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) return error(path, "must be " + range + " up to " + std::to_string(hi));
      return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
      auto s = v.get<int64_t>();
      if (s < 0 && !std::is_signed_v<T>) return error(path, "must be " + range);
      if (std::is_signed_v<T> && (s < static_cast<int64_t>(lo) || s > static_cast<int64_t>(hi)))
        return error(path, "must be " + range + " in range");
      return static_cast<T>(s);
    }
    return error(path, "must be " + range);
  }

  template <class T>
  Result<void> integer(const json& obj, std::string_view k, const std::string& path, T& out) const {
    const json* v = member(obj, k);
    if (!v) return {};
    auto n = integer_value<T>(*v, key(path, k));
    if (!n) return std::unexpected(n.error());
    out = *n;
    return {};
  }

  template <class T>
  Result<void> integer(const json& obj, std::string_view k, const std::string& path, std::optional<T>& out) const {
    const json* v = member(obj, k);
    if (!v) return {};
    auto n = integer_value<T>(*v, key(path, k));
    if (!n) return std::unexpected(n.error());
    out = *n;
    return {};
  }

  // An array member whose items are objects, each handed to `each(item, item_path)`.
  template <class F>
  Result<void> objects(const json& obj, std::string_view k, const std::string& path, F&& each) const {
    const json* v = member(obj, k);
    if (!v) return {};
    if (!v->is_array()) return error(key(path, k), "must be an array of objects");
    for (size_t i = 0; i < v->size(); ++i) {
      std::string p = index(key(path, k), i);
      if (!(*v)[i].is_object()) return error(p, "must be an object");
      if (auto r = each((*v)[i], p); !r) return r;
    }
    return {};
  }

 private:
  std::string_view source_;
};

#define TRY(expr)                                        \
  do {                                                   \
    if (auto try_result_ = (expr); !try_result_)         \
      return std::unexpected(std::move(try_result_.error())); \
  } while (0)

Result<void> parse_process(const Reader& r, const json& j, const std::string& path, Process& p) {
  TRY(r.boolean(j, "terminal", path, p.terminal));
  if (auto cs = r.object(j, "consoleSize", path); !cs) {
    return std::unexpected(cs.error());
  } else if (*cs) {
    ConsoleSize size;
    TRY(r.integer(**cs, "height", Reader::key(path, "consoleSize"), size.height));
    TRY(r.integer(**cs, "width", Reader::key(path, "consoleSize"), size.width));
    p.console_size = size;
  }
  auto user = r.object(j, "user", path);
  if (!user) return std::unexpected(user.error());
  if (*user) {
    std::string up = Reader::key(path, "user");
    TRY(r.integer(**user, "uid", up, p.user.uid));
    TRY(r.integer(**user, "gid", up, p.user.gid));
    std::optional<uint32_t> umask;
    TRY(r.integer(**user, "umask", up, umask));
    if (umask) {
      if (*umask > 0777) return r.error(Reader::key(up, "umask"), "must be a mode up to 0777 (511)");
      p.user.umask = static_cast<mode_t>(*umask);
    }
    if (const json* gids = Reader::member(**user, "additionalGids")) {
      std::string gp = Reader::key(up, "additionalGids");
      if (!gids->is_array()) return r.error(gp, "must be an array of integers");
      for (size_t i = 0; i < gids->size(); ++i) {
        auto g = r.integer_value<gid_t>((*gids)[i], Reader::index(gp, i));
        if (!g) return std::unexpected(g.error());
        p.user.additional_gids.push_back(*g);
      }
    }
    std::string username;
    TRY(r.string(**user, "username", up, username));  // Windows only; ignored
  }
  TRY(r.strings(j, "args", path, p.args));
  TRY(r.strings(j, "env", path, p.env));
  for (size_t i = 0; i < p.env.size(); ++i)
    if (p.env[i].find('=') == std::string::npos || p.env[i].front() == '=')
      return r.error(Reader::index(Reader::key(path, "env"), i), "must be KEY=VALUE, got \"" + p.env[i] + "\"");
  const json* cwd = Reader::member(j, "cwd");
  if (!cwd) return r.error(Reader::key(path, "cwd"), "is required");
  TRY(r.string(j, "cwd", path, p.cwd));
  if (p.cwd.empty() || p.cwd.front() != '/') return r.error(Reader::key(path, "cwd"), "must be an absolute path");
  if (auto caps = r.object(j, "capabilities", path); !caps) {
    return std::unexpected(caps.error());
  } else if (*caps) {
    Capabilities c;
    std::string cp = Reader::key(path, "capabilities");
    TRY(r.strings(**caps, "bounding", cp, c.bounding));
    TRY(r.strings(**caps, "effective", cp, c.effective));
    TRY(r.strings(**caps, "permitted", cp, c.permitted));
    TRY(r.strings(**caps, "inheritable", cp, c.inheritable));
    TRY(r.strings(**caps, "ambient", cp, c.ambient));
    p.capabilities = std::move(c);
  }
  TRY(r.objects(j, "rlimits", path, [&](const json& item, const std::string& ip) -> Result<void> {
    Rlimit l;
    if (!Reader::member(item, "type")) return r.error(Reader::key(ip, "type"), "is required");
    TRY(r.string(item, "type", ip, l.type));
    TRY(r.integer(item, "soft", ip, l.soft));
    TRY(r.integer(item, "hard", ip, l.hard));
    p.rlimits.push_back(std::move(l));
    return {};
  }));
  TRY(r.boolean(j, "noNewPrivileges", path, p.no_new_privileges));
  TRY(r.string(j, "apparmorProfile", path, p.apparmor_profile));
  TRY(r.string(j, "selinuxLabel", path, p.selinux_label));
  TRY(r.integer(j, "oomScoreAdj", path, p.oom_score_adj));
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    return r.error(Reader::key(path, "oomScoreAdj"), "must be between -1000 and 1000");
  return {};
}

Result<void> parse_hooks(const Reader& r, const json& j, const std::string& path, Hooks& hooks) {
  auto list = [&](std::string_view name, std::vector<Hook>& out) {
    return r.objects(j, name, path, [&](const json& item, const std::string& ip) -> Result<void> {
      Hook h;
      if (!Reader::member(item, "path")) return r.error(Reader::key(ip, "path"), "is required");
      TRY(r.string(item, "path", ip, h.path));
      if (h.path.empty() || h.path.front() != '/') return r.error(Reader::key(ip, "path"), "must be an absolute path");
      TRY(r.strings(item, "args", ip, h.args));
      TRY(r.strings(item, "env", ip, h.env));
      TRY(r.integer(item, "timeout", ip, h.timeout));
      if (h.timeout && *h.timeout <= 0) return r.error(Reader::key(ip, "timeout"), "must be greater than zero");
      out.push_back(std::move(h));
      return {};
    });
  };
  TRY(list("prestart", hooks.prestart));
  TRY(list("createRuntime", hooks.create_runtime));
  TRY(list("createContainer", hooks.create_container));
  TRY(list("startContainer", hooks.start_container));
  TRY(list("poststart", hooks.poststart));
  TRY(list("poststop", hooks.poststop));
  return {};
}

Result<void> parse_resources(const Reader& r, const json& j, const std::string& path, Resources& res) {
  TRY(r.objects(j, "devices", path, [&](const json& item, const std::string& ip) -> Result<void> {
    DeviceCgroupRule d;
    if (!Reader::member(item, "allow")) return r.error(Reader::key(ip, "allow"), "is required");
    TRY(r.boolean(item, "allow", ip, d.allow));
    TRY(r.string(item, "type", ip, d.type));
    if (!d.type.empty() && d.type != "a" && d.type != "b" && d.type != "c")
      return r.error(Reader::key(ip, "type"), "must be one of a, b, c");
    TRY(r.integer(item, "major", ip, d.major));
    TRY(r.integer(item, "minor", ip, d.minor));
    TRY(r.string(item, "access", ip, d.access));
    if (d.access.find_first_not_of("rwm") != std::string::npos)
      return r.error(Reader::key(ip, "access"), "must be made of r, w, m");
    res.devices.push_back(std::move(d));
    return {};
  }));
  if (auto m = r.object(j, "memory", path); !m) {
    return std::unexpected(m.error());
  } else if (*m) {
    MemoryResources mem;
    std::string mp = Reader::key(path, "memory");
    TRY(r.integer(**m, "limit", mp, mem.limit));
    TRY(r.integer(**m, "reservation", mp, mem.reservation));
    TRY(r.integer(**m, "swap", mp, mem.swap));
    TRY(r.integer(**m, "kernel", mp, mem.kernel));
    TRY(r.integer(**m, "swappiness", mp, mem.swappiness));
    if (const json* d = Reader::member(**m, "disableOOMKiller")) {
      if (!d->is_boolean()) return r.error(Reader::key(mp, "disableOOMKiller"), "must be a boolean");
      mem.disable_oom_killer = d->get<bool>();
    }
    res.memory = mem;
  }
  if (auto c = r.object(j, "cpu", path); !c) {
    return std::unexpected(c.error());
  } else if (*c) {
    CpuResources cpu;
    std::string cp = Reader::key(path, "cpu");
    TRY(r.integer(**c, "shares", cp, cpu.shares));
    TRY(r.integer(**c, "quota", cp, cpu.quota));
    TRY(r.integer(**c, "period", cp, cpu.period));
    TRY(r.integer(**c, "realtimeRuntime", cp, cpu.realtime_runtime));
    TRY(r.integer(**c, "realtimePeriod", cp, cpu.realtime_period));
    TRY(r.string(**c, "cpus", cp, cpu.cpus));
    TRY(r.string(**c, "mems", cp, cpu.mems));
    res.cpu = cpu;
  }
  if (auto p = r.object(j, "pids", path); !p) {
    return std::unexpected(p.error());
  } else if (*p) {
    PidsResources pids;
    TRY(r.integer(**p, "limit", Reader::key(path, "pids"), pids.limit));
    res.pids = pids;
  }
  if (auto b = r.object(j, "blockIO", path); !b) {
    return std::unexpected(b.error());
  } else if (*b) {
    BlockIoResources bio;
    TRY(r.integer(**b, "weight", Reader::key(path, "blockIO"), bio.weight));
    res.block_io = bio;
  }
  TRY(r.string_map(j, "unified", path, res.unified));
  return {};
}

Result<void> parse_seccomp(const Reader& r, const json& j, const std::string& path, Seccomp& s) {
  if (!Reader::member(j, "defaultAction")) return r.error(Reader::key(path, "defaultAction"), "is required");
  TRY(r.string(j, "defaultAction", path, s.default_action));
  TRY(r.integer(j, "defaultErrnoRet", path, s.default_errno_ret));
  TRY(r.strings(j, "architectures", path, s.architectures));
  TRY(r.strings(j, "flags", path, s.flags));
  TRY(r.objects(j, "syscalls", path, [&](const json& item, const std::string& ip) -> Result<void> {
    SeccompSyscall sc;
    TRY(r.strings(item, "names", ip, sc.names));
    if (sc.names.empty()) return r.error(Reader::key(ip, "names"), "must be a non-empty array of strings");
    if (!Reader::member(item, "action")) return r.error(Reader::key(ip, "action"), "is required");
    TRY(r.string(item, "action", ip, sc.action));
    TRY(r.integer(item, "errnoRet", ip, sc.errno_ret));
    TRY(r.objects(item, "args", ip, [&](const json& a, const std::string& ap) -> Result<void> {
      SeccompArg arg;
      TRY(r.integer(a, "index", ap, arg.index));
      TRY(r.integer(a, "value", ap, arg.value));
      TRY(r.integer(a, "valueTwo", ap, arg.value_two));
      if (!Reader::member(a, "op")) return r.error(Reader::key(ap, "op"), "is required");
      TRY(r.string(a, "op", ap, arg.op));
      sc.args.push_back(std::move(arg));
      return {};
    }));
    s.syscalls.push_back(std::move(sc));
    return {};
  }));
  return {};
}

Result<void> parse_id_mappings(const Reader& r, const json& j, std::string_view k, const std::string& path,
                               std::vector<IdMapping>& out) {
  return r.objects(j, k, path, [&](const json& item, const std::string& ip) -> Result<void> {
    IdMapping m;
    for (auto name : {"containerID", "hostID", "size"})
      if (!Reader::member(item, name)) return r.error(Reader::key(ip, name), "is required");
    TRY(r.integer(item, "containerID", ip, m.container_id));
    TRY(r.integer(item, "hostID", ip, m.host_id));
    TRY(r.integer(item, "size", ip, m.size));
    out.push_back(m);
    return {};
  });
}

Result<void> parse_linux(const Reader& r, const json& j, const std::string& path, Linux& l) {
  static const std::vector<std::string> kNamespaceTypes = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
  TRY(r.objects(j, "namespaces", path, [&](const json& item, const std::string& ip) -> Result<void> {
    Namespace ns;
    if (!Reader::member(item, "type")) return r.error(Reader::key(ip, "type"), "is required");
    TRY(r.string(item, "type", ip, ns.type));
    if (std::find(kNamespaceTypes.begin(), kNamespaceTypes.end(), ns.type) == kNamespaceTypes.end())
      return r.error(Reader::key(ip, "type"), "unknown namespace type \"" + ns.type + "\"");
    for (const auto& seen : l.namespaces)
      if (seen.type == ns.type) return r.error(Reader::key(ip, "type"), "duplicate namespace \"" + ns.type + "\"");
    TRY(r.string(item, "path", ip, ns.path));
    if (!ns.path.empty() && ns.path.front() != '/') return r.error(Reader::key(ip, "path"), "must be an absolute path");
    l.namespaces.push_back(std::move(ns));
    return {};
  }));
  TRY(parse_id_mappings(r, j, "uidMappings", path, l.uid_mappings));
  TRY(parse_id_mappings(r, j, "gidMappings", path, l.gid_mappings));
  TRY(r.objects(j, "devices", path, [&](const json& item, const std::string& ip) -> Result<void> {
    Device d;
    for (auto name : {"path", "type"})
      if (!Reader::member(item, name)) return r.error(Reader::key(ip, name), "is required");
    TRY(r.string(item, "path", ip, d.path));
    if (d.path.empty() || d.path.front() != '/') return r.error(Reader::key(ip, "path"), "must be an absolute path");
    TRY(r.string(item, "type", ip, d.type));
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
      return r.error(Reader::key(ip, "type"), "must be one of c, b, u, p");
    TRY(r.integer(item, "major", ip, d.major));
    TRY(r.integer(item, "minor", ip, d.minor));
    if (d.type != "p" && (!Reader::member(item, "major") || !Reader::member(item, "minor")))
      return r.error(ip, "major and minor are required for a " + d.type + " device");
    std::optional<uint32_t> mode;
    TRY(r.integer(item, "fileMode", ip, mode));
    if (mode) {
      if (*mode > 07777) return r.error(Reader::key(ip, "fileMode"), "must be a permission mode up to 07777");
      d.file_mode = static_cast<mode_t>(*mode);
    }
    TRY(r.integer(item, "uid", ip, d.uid));
    TRY(r.integer(item, "gid", ip, d.gid));
    l.devices.push_back(std::move(d));
    return {};
  }));
  TRY(r.string(j, "cgroupsPath", path, l.cgroups_path));
  if (auto res = r.object(j, "resources", path); !res) {
    return std::unexpected(res.error());
  } else if (*res) {
    Resources resources;
    TRY(parse_resources(r, **res, Reader::key(path, "resources"), resources));
    l.resources = std::move(resources);
  }
  TRY(r.string_map(j, "sysctl", path, l.sysctl));
  if (auto sc = r.object(j, "seccomp", path); !sc) {
    return std::unexpected(sc.error());
  } else if (*sc) {
    Seccomp seccomp;
    TRY(parse_seccomp(r, **sc, Reader::key(path, "seccomp"), seccomp));
    l.seccomp = std::move(seccomp);
  }
  TRY(r.string(j, "rootfsPropagation", path, l.rootfs_propagation));
  static const std::vector<std::string> kPropagations = {"",       "shared", "slave",  "private", "unbindable",
                                                         "rshared", "rslave", "rprivate", "runbindable"};
  if (std::find(kPropagations.begin(), kPropagations.end(), l.rootfs_propagation) == kPropagations.end())
    return r.error(Reader::key(path, "rootfsPropagation"), "unknown propagation \"" + l.rootfs_propagation + "\"");
  TRY(r.strings(j, "maskedPaths", path, l.masked_paths));
  TRY(r.strings(j, "readonlyPaths", path, l.readonly_paths));
  TRY(r.string(j, "mountLabel", path, l.mount_label));
  return {};
}

}  // namespace

namespace {

// A JSON document whose root must be an object; nlohmann's message names the byte offset.
Result<json> parse_object(std::string_view json_text, std::string_view source) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return fail(std::string(source) + ": invalid JSON: " + e.what());
  }
  if (!doc.is_object()) return Reader(source).error("(root)", "must be an object");
  return doc;
}

}  // namespace

Result<Spec> parse_spec(std::string_view json_text, std::string_view source) {
  auto parsed = parse_object(json_text, source);
  if (!parsed) return std::unexpected(parsed.error());
  const json& doc = *parsed;
  Reader r(source);
  Spec spec;
  if (!Reader::member(doc, "ociVersion")) return r.error("ociVersion", "is required");
  TRY(r.string(doc, "ociVersion", "", spec.oci_version));
  if (auto p = r.object(doc, "process", ""); !p) {
    return std::unexpected(p.error());
  } else if (*p) {
    TRY(parse_process(r, **p, "process", spec.process));
  } else {
    return r.error("process", "is required");
  }
  auto root = r.object(doc, "root", "");
  if (!root) return std::unexpected(root.error());
  if (!*root) return r.error("root", "is required");
  if (!Reader::member(**root, "path")) return r.error("root.path", "is required");
  TRY(r.string(**root, "path", "root", spec.root.path));
  if (spec.root.path.empty()) return r.error("root.path", "must not be empty");
  TRY(r.boolean(**root, "readonly", "root", spec.root.readonly));
  TRY(r.string(doc, "hostname", "", spec.hostname));
  TRY(r.string(doc, "domainname", "", spec.domainname));
  TRY(r.objects(doc, "mounts", "", [&](const json& item, const std::string& ip) -> Result<void> {
    Mount m;
    if (!Reader::member(item, "destination")) return r.error(Reader::key(ip, "destination"), "is required");
    TRY(r.string(item, "destination", ip, m.destination));
    if (m.destination.empty() || m.destination.front() != '/')
      return r.error(Reader::key(ip, "destination"), "must be an absolute path, got \"" + m.destination + "\"");
    TRY(r.string(item, "type", ip, m.type));
    TRY(r.string(item, "source", ip, m.source));
    TRY(r.strings(item, "options", ip, m.options));
    spec.mounts.push_back(std::move(m));
    return {};
  }));
  if (auto h = r.object(doc, "hooks", ""); !h) {
    return std::unexpected(h.error());
  } else if (*h) {
    TRY(parse_hooks(r, **h, "hooks", spec.hooks));
  }
  TRY(r.string_map(doc, "annotations", "", spec.annotations));
  if (auto l = r.object(doc, "linux", ""); !l) {
    return std::unexpected(l.error());
  } else if (*l) {
    TRY(parse_linux(r, **l, "linux", spec.linux));
  }
  return spec;
}

Result<Process> parse_process(std::string_view json_text, std::string_view source) {
  auto parsed = parse_object(json_text, source);
  if (!parsed) return std::unexpected(parsed.error());
  Reader r(source);
  Process p;
  TRY(parse_process(r, *parsed, "", p));
  return p;
}

json process_to_json(const Process& p) {
  json j = {{"terminal", p.terminal},
            {"user", {{"uid", p.user.uid}, {"gid", p.user.gid}}},
            {"args", p.args},
            {"env", p.env},
            {"cwd", p.cwd},
            {"noNewPrivileges", p.no_new_privileges}};
  if (p.console_size) j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  if (p.user.umask) j["user"]["umask"] = *p.user.umask;
  if (!p.user.additional_gids.empty()) j["user"]["additionalGids"] = p.user.additional_gids;
  if (p.capabilities)
    j["capabilities"] = {{"bounding", p.capabilities->bounding},
                         {"effective", p.capabilities->effective},
                         {"permitted", p.capabilities->permitted},
                         {"inheritable", p.capabilities->inheritable},
                         {"ambient", p.capabilities->ambient}};
  if (!p.rlimits.empty()) {
    j["rlimits"] = json::array();
    for (const auto& l : p.rlimits) j["rlimits"].push_back({{"type", l.type}, {"soft", l.soft}, {"hard", l.hard}});
  }
  if (!p.apparmor_profile.empty()) j["apparmorProfile"] = p.apparmor_profile;
  if (!p.selinux_label.empty()) j["selinuxLabel"] = p.selinux_label;
  if (p.oom_score_adj) j["oomScoreAdj"] = *p.oom_score_adj;
  return j;
}

Result<Spec> load_spec(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_spec(*text, "config.json");
}

std::string default_spec_json() {
  using ojson = nlohmann::ordered_json;
  ojson caps = ojson::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  ojson spec = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runc"},
      {"mounts",
       {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"}, {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}}},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"namespaces",
         {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}},
          {{"type", "cgroup"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
  return spec.dump(1, '\t') + "\n";
}

}  // namespace stack::runtime
