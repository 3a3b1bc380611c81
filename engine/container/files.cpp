#include "engine/container/files.h"

#include <algorithm>

#include "common/files.h"
#include "common/strings.h"
#include "engine/runtime/state.h"

namespace stack::container {
namespace {

bool is_localhost_ip(std::string_view ip) { return ip.starts_with("127.") || ip == "::1"; }
bool is_ipv6(std::string_view ip) { return ip.find(':') != std::string_view::npos; }

// Splits "word rest" into the first word and the rest.
std::pair<std::string_view, std::string_view> first_word(std::string_view line) {
  line = trim(line);
  auto sp = line.find_first_of(" \t");
  if (sp == std::string_view::npos) return {line, {}};
  return {line.substr(0, sp), trim(line.substr(sp + 1))};
}

}  // namespace

std::string hostname_content(const Record& r) { return r.config.hostname + "\n"; }

std::string hosts_content(const Record& r) {
  std::string out;
  if (r.host_config.network_mode == "host") {
    // Docker gives a host-network container the host's own hosts file.
    auto host = read_file("/etc/hosts");
    if (host) out = *host;
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
  }
  // --add-host name:ip (Docker also accepts name=ip).
  for (const auto& eh : r.host_config.extra_hosts.value_or(std::vector<std::string>{})) {
    auto sep = eh.find_first_of("=:");
    if (sep == std::string::npos) continue;
    out += eh.substr(sep + 1) + "\t" + eh.substr(0, sep) + "\n";
  }
  return out;
}

std::string resolv_conf_content(const Record& r, std::string_view host) {
  const auto& h = r.host_config;
  bool host_net = h.network_mode == "host";
  std::vector<std::string> nameservers, search, options, other;
  for (const auto& raw : split(host, '\n')) {
    auto [key, rest] = first_word(raw);
    if (key == "nameserver") {
      auto [ip, _] = first_word(rest);
      // A container in its own network namespace cannot reach the host's
      // loopback resolver (systemd-resolved's 127.0.0.53), nor IPv6 servers
      // without IPv6; Docker drops both (libnetwork resolvconf).
      if (!host_net && (is_localhost_ip(ip) || is_ipv6(ip))) continue;
      nameservers.emplace_back(ip);
    } else if (key == "search" || key == "domain") {
      search.emplace_back(rest);
    } else if (key == "options") {
      options.emplace_back(rest);
    } else {
      other.emplace_back(raw);
    }
  }
  if (h.dns && !h.dns->empty()) nameservers = *h.dns;
  if (h.dns_search && !h.dns_search->empty()) search = {join(*h.dns_search, " ")};
  if (h.dns_options && !h.dns_options->empty()) options = {join(*h.dns_options, " ")};
  if (nameservers.empty() && !host_net) nameservers = {"8.8.8.8", "8.8.4.4"};

  std::string out;
  for (const auto& line : other)
    if (!trim(line).empty()) out += line + "\n";
  for (const auto& ns : nameservers) out += "nameserver " + ns + "\n";
  for (const auto& s : search)
    if (s != ".") out += "search " + s + "\n";
  for (const auto& o : options) out += "options " + o + "\n";
  return out;
}

Result<void> write_container_files(const Record& r, const std::string& host_resolv_conf_path) {
  std::string host_resolv;
  if (auto text = read_file(host_resolv_conf_path)) {
    host_resolv = std::move(*text);
  } else if (text.error().errno_value != ENOENT) {
    return std::unexpected(text.error());
  }
  // Regenerated at start when missing: no fsync needed.
  if (auto w = runtime::write_file_replace(r.hostname_path, hostname_content(r), 0644); !w) return w;
  if (auto w = runtime::write_file_replace(r.hosts_path, hosts_content(r), 0644); !w) return w;
  if (auto w = runtime::write_file_replace(r.resolv_conf_path, resolv_conf_content(r, host_resolv), 0644); !w) return w;
  return {};
}

}  // namespace stack::container
