#include "cli/container_output.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/image_format.h"

namespace stack::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

double dnum(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return 0;
    auto it = cur->find(k);
    if (it == cur->end()) return 0;
    cur = &*it;
  }
  return cur->is_number() ? cur->get<double>() : 0;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> cells;
  size_t s = 0;
  for (size_t t; (t = line.find('\t', s)) != std::string::npos; s = t + 1) cells.push_back(line.substr(s, t - s));
  cells.push_back(line.substr(s));
  return cells;
}

// Renders rows through a "table ..." template with a header row from `headers`, or
// through a plain template / json one per line.
std::string render_rows(const std::vector<ordered_json>& rows, const std::string& format, const std::string& default_table,
                        const std::map<std::string, std::string>& headers) {
  std::string out;
  if (format == "json" || format == "{{json .}}") {
    for (const auto& r : rows) out += r.dump() + "\n";
    return out;
  }
  if (!format.empty() && !format.starts_with("table")) {
    for (const auto& r : rows) out += render_template(format, r) + "\n";
    return out;
  }
  std::string tmpl = format.size() > 5 ? format.substr(5) : default_table;
  while (!tmpl.empty() && tmpl.front() == ' ') tmpl.erase(tmpl.begin());
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  for (const auto& f : template_fields(tmpl)) {
    auto it = headers.find(f);
    header.push_back(it != headers.end() ? it->second : f);
  }
  table.push_back(header);
  for (const auto& r : rows) table.push_back(split_tabs(render_template(tmpl, r)));
  return tab_table(table, 10);
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

}  // namespace

std::string ellipsis(std::string_view s, size_t width) {
  if (width == 0) return "";
  if (display_width(s) <= width) return std::string(s);
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (n == width - 1) break;
      ++n;
    }
    out += s[i];
  }
  return out + "…";
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);  // printable ASCII and UTF-8 sequences as they are
        }
    }
  }
  return out + "\"";
}

std::string bytes_size(double size) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  int i = 0;
  while (size >= 1024.0 && i < 8) {
    size /= 1024.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", size, kUnits[i]);
  return buf;
}

std::string tab_table(const std::vector<std::vector<std::string>>& rows, size_t min_width) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, min_width);
      widths[i] = std::max(widths[i], display_width(r[i]) + 3);
    }
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out.append(widths[i] - display_width(r[i]), ' ');
    }
    out += "\n";
  }
  return out;
}

std::string display_ports(const json& ports) {
  if (!ports.is_array() || ports.empty()) return "";
  struct Port {
    std::string ip, type;
    int priv = 0, pub = 0;
  };
  std::vector<Port> list;
  for (const auto& p : ports)
    list.push_back({str(p, "IP"), str(p, "Type"), static_cast<int>(num(p, "PrivatePort")), static_cast<int>(num(p, "PublicPort"))});
  std::stable_sort(list.begin(), list.end(), [](const Port& a, const Port& b) {
    if (a.priv != b.priv) return a.priv < b.priv;
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.pub != b.pub) return a.pub < b.pub;
    return a.type < b.type;
  });
  struct Group {
    int first, last;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> keys, result, host_mappings;
  auto form = [](const std::string& key, const Group& g) {
    auto slash = key.rfind('/');
    std::string ip = slash == std::string::npos ? "" : key.substr(0, slash);
    std::string type = slash == std::string::npos ? key : key.substr(slash + 1);
    std::string range = std::to_string(g.first);
    if (g.first != g.last) range += "-" + std::to_string(g.last);
    if (!ip.empty()) range = ip + ":" + range + "->" + range;
    return range + "/" + type;
  };
  for (const auto& p : list) {
    std::string key = p.type;
    if (!p.ip.empty()) {
      if (p.pub != p.priv) {
        std::string host = p.ip.find(':') != std::string::npos ? "[" + p.ip + "]" : p.ip;
        host_mappings.push_back(host + ":" + std::to_string(p.pub) + "->" + std::to_string(p.priv) + "/" + p.type);
        continue;
      }
      key = p.ip + "/" + p.type;
    }
    auto it = groups.find(key);
    if (it == groups.end()) {
      groups[key] = {p.priv, p.priv};
      keys.push_back(key);
    } else if (p.priv == it->second.last + 1) {
      it->second.last = p.priv;
    } else {
      result.push_back(form(key, it->second));
      it->second = {p.priv, p.priv};
    }
  }
  for (const auto& k : keys) result.push_back(form(k, groups[k]));
  result.insert(result.end(), host_mappings.begin(), host_mappings.end());
  std::string out;
  for (size_t i = 0; i < result.size(); ++i) out += (i ? ", " : "") + result[i];
  return out;
}

json filters_json(const std::vector<std::string>& filters) {
  json out = json::object();
  for (const auto& f : filters) {
    auto eq = f.find('=');
    std::string key = f.substr(0, eq), value = eq == std::string::npos ? "" : f.substr(eq + 1);
    out[key][value] = true;
  }
  return out;
}

ordered_json ps_fields(const json& c, bool trunc, int64_t now) {
  ordered_json j;
  std::string command = str(c, "Command");
  std::string id = str(c, "Id");
  std::string image = str(c, "Image");
  if (trunc) {
    if (image.starts_with("sha256:")) image = image.substr(7, 12);
    if (auto at = image.find('@'); at != std::string::npos) image.resize(at);
  }
  std::vector<std::string> names;
  if (auto it = c.find("Names"); it != c.end() && it->is_array())
    for (const auto& n : *it) {
      std::string name = n.is_string() ? n.get<std::string>() : "";
      if (name.starts_with("/")) name.erase(0, 1);
      // Docker shows only a container's own names, not the link aliases ("/a/b").
      if (trunc && name.find('/') != std::string::npos) continue;
      names.push_back(name);
    }
  std::vector<std::string> labels;
  if (auto it = c.find("Labels"); it != c.end() && it->is_object())
    for (const auto& [k, v] : it->items()) labels.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  std::vector<std::string> networks;
  if (auto ns = c.find("NetworkSettings"); ns != c.end() && ns->is_object())
    if (auto it = ns->find("Networks"); it != ns->end() && it->is_object())
      for (const auto& [k, v] : it->items()) networks.push_back(k);
  std::vector<std::string> mounts;
  int local_volumes = 0;
  if (auto it = c.find("Mounts"); it != c.end() && it->is_array())
    for (const auto& m : *it) {
      std::string name = str(m, "Name");
      if (name.empty()) name = str(m, "Source");
      if (trunc) name = ellipsis(name, 15);
      mounts.push_back(name);
      if (str(m, "Driver") == "local") ++local_volumes;
    }
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
    return out;
  };
  int64_t created = num(c, "Created");
  std::string size = "0B";
  if (c.contains("SizeRw") || c.contains("SizeRootFs")) {
    size = human_size(static_cast<double>(num(c, "SizeRw")), 3);
    if (num(c, "SizeRootFs") > 0) size += " (virtual " + human_size(static_cast<double>(num(c, "SizeRootFs")), 3) + ")";
  }
  j["Command"] = go_quote(trunc ? ellipsis(command, 20) : command);
  j["CreatedAt"] = go_time_string(created);
  j["ID"] = trunc ? id.substr(0, 12) : id;
  j["Image"] = image;
  j["Labels"] = join(labels);
  j["LocalVolumes"] = std::to_string(local_volumes);
  j["Mounts"] = join(mounts);
  j["Names"] = join(names);
  j["Networks"] = join(networks);
  j["Ports"] = display_ports(c.value("Ports", json::array()));
  j["RunningFor"] = human_duration(now - created) + " ago";
  j["Size"] = size;
  j["State"] = str(c, "State");
  j["Status"] = str(c, "Status");
  return j;
}

std::string format_ps(const json& summaries, const PsOptions& o, int64_t now) {
  bool trunc = !o.no_trunc;
  std::vector<ordered_json> rows;
  if (summaries.is_array())
    for (const auto& c : summaries) rows.push_back(ps_fields(c, trunc, now));
  if (o.quiet && (o.format.empty() || o.format == "table")) {
    std::string out;
    for (const auto& r : rows) out += r["ID"].get<std::string>() + "\n";
    return out;
  }
  static const std::map<std::string, std::string> kHeaders = {
      {"ID", "CONTAINER ID"}, {"Image", "IMAGE"},     {"Command", "COMMAND"},       {"CreatedAt", "CREATED AT"},
      {"RunningFor", "CREATED"}, {"Ports", "PORTS"},   {"State", "STATE"},           {"Status", "STATUS"},
      {"Size", "SIZE"},       {"Names", "NAMES"},     {"Labels", "LABELS"},         {"Mounts", "MOUNTS"},
      {"Networks", "NETWORKS"}, {"LocalVolumes", "LOCAL VOLUMES"}};
  std::string table = "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  if (o.size) table += "\t{{.Size}}";
  return render_rows(rows, o.format, table, kHeaders);
}

StatsRow stats_row(const json& s) {
  StatsRow r;
  r.id = str(s, "id");
  r.name = str(s, "name");
  if (r.name.starts_with("/")) r.name.erase(0, 1);
  double cpu_delta = dnum(s, {"cpu_stats", "cpu_usage", "total_usage"}) - dnum(s, {"precpu_stats", "cpu_usage", "total_usage"});
  double system_delta = dnum(s, {"cpu_stats", "system_cpu_usage"}) - dnum(s, {"precpu_stats", "system_cpu_usage"});
  double cpus = dnum(s, {"cpu_stats", "online_cpus"});
  if (cpus == 0) {
    const json* per = nullptr;
    if (s.contains("cpu_stats") && s["cpu_stats"].contains("cpu_usage")) {
      auto& usage = s["cpu_stats"]["cpu_usage"];
      if (usage.contains("percpu_usage") && usage["percpu_usage"].is_array()) per = &usage["percpu_usage"];
    }
    cpus = per ? static_cast<double>(per->size()) : 0;
  }
  if (system_delta > 0 && cpu_delta > 0) r.cpu_percent = cpu_delta / system_delta * cpus * 100.0;
  // Memory without the page cache: cgroup v1 total_inactive_file, v2 inactive_file.
  double usage = dnum(s, {"memory_stats", "usage"});
  double inactive = dnum(s, {"memory_stats", "stats", "total_inactive_file"});
  if (inactive == 0) inactive = dnum(s, {"memory_stats", "stats", "inactive_file"});
  r.mem_usage = inactive > 0 && inactive < usage ? usage - inactive : usage;
  r.mem_limit = dnum(s, {"memory_stats", "limit"});
  if (r.mem_limit != 0) r.mem_percent = r.mem_usage / r.mem_limit * 100.0;
  if (auto nets = s.find("networks"); nets != s.end() && nets->is_object())
    for (const auto& [name, n] : nets->items()) {
      r.net_rx += dnum(n, {"rx_bytes"});
      r.net_tx += dnum(n, {"tx_bytes"});
    }
  if (auto blk = s.find("blkio_stats"); blk != s.end() && blk->is_object())
    if (auto io = blk->find("io_service_bytes_recursive"); io != blk->end() && io->is_array())
      for (const auto& e : *io) {
        std::string op = str(e, "op");
        for (auto& ch : op) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (op == "read") r.block_read += dnum(e, {"value"});
        if (op == "write") r.block_write += dnum(e, {"value"});
      }
  r.pids = static_cast<uint64_t>(dnum(s, {"pids_stats", "current"}));
  return r;
}

std::string format_stats(const std::vector<StatsRow>& rows, const std::string& format, bool no_trunc) {
  std::vector<ordered_json> objects;
  for (const auto& r : rows) {
    ordered_json j;
    j["BlockIO"] = human_size(r.block_read, 3) + " / " + human_size(r.block_write, 3);
    j["CPUPerc"] = percent(r.cpu_percent);
    j["Container"] = no_trunc ? r.id : r.id.substr(0, 12);
    j["ID"] = no_trunc ? r.id : r.id.substr(0, 12);
    j["MemPerc"] = percent(r.mem_percent);
    j["MemUsage"] = bytes_size(r.mem_usage) + " / " + bytes_size(r.mem_limit);
    j["Name"] = r.name;
    j["NetIO"] = human_size(r.net_rx, 3) + " / " + human_size(r.net_tx, 3);
    j["PIDs"] = std::to_string(r.pids);
    objects.push_back(std::move(j));
  }
  static const std::map<std::string, std::string> kHeaders = {
      {"ID", "CONTAINER ID"}, {"Container", "CONTAINER"}, {"Name", "NAME"},       {"CPUPerc", "CPU %"},
      {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"}, {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"},
      {"PIDs", "PIDS"}};
  return render_rows(objects, format,
                     "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
                     kHeaders);
}

std::string format_top(const json& top) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> titles;
  if (auto it = top.find("Titles"); it != top.end() && it->is_array())
    for (const auto& t : *it) titles.push_back(t.is_string() ? t.get<std::string>() : t.dump());
  rows.push_back(titles);
  if (auto it = top.find("Processes"); it != top.end() && it->is_array())
    for (const auto& p : *it) {
      std::vector<std::string> row;
      for (const auto& cell : p) row.push_back(cell.is_string() ? cell.get<std::string>() : cell.dump());
      rows.push_back(row);
    }
  return tab_table(rows, 20);
}

std::string format_inspect(const std::vector<ordered_json>& objects, const std::string& format) {
  if (format.empty()) {
    ordered_json all = ordered_json::array();
    for (const auto& o : objects) all.push_back(o);
    return all.dump(4) + "\n";
  }
  std::string out;
  for (const auto& o : objects) out += render_template(format, o) + "\n";
  return out;
}

}  // namespace stack::cli
