// Port short syntax, parsed as Docker Compose does (compose-go's
// ParsePortConfig over docker/go-connections v0.7.0 nat.ParsePortSpec):
// "[IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO]". Error wording follows
// go-connections.
#include <arpa/inet.h>

#include <algorithm>
#include <optional>

#include "common/strings.h"
#include "compose/transform_internal.h"

namespace stack::compose {
namespace {

using namespace transform_detail;

struct PortRange {
  int start = 0;
  int end = 0;
  int size() const { return end - start; }
};

// Go's strconv.ParseInt(s, 10, 0) then 0..65535.
std::optional<int> parse_port_number(std::string_view s) {
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  if (i == s.size()) return std::nullopt;
  long long value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
    if (value > 65535) return std::nullopt;
  }
  if (s[0] == '-' && value != 0) return std::nullopt;
  return static_cast<int>(value);
}

// "8000" or "8000-8010"; the text is cut at the first '-'.
std::optional<PortRange> parse_port_range(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t dash = s.find('-');
  std::string_view first = s.substr(0, dash);
  auto start = parse_port_number(first);
  if (!start) return std::nullopt;
  if (dash == std::string_view::npos) return PortRange{*start, *start};
  std::string_view last = s.substr(dash + 1);
  if (first == last) return PortRange{*start, *start};
  auto end = parse_port_number(last);
  if (!end || *end < *start) return std::nullopt;
  return PortRange{*start, *end};
}

bool is_ip_address(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

// Go's net.SplitHostPort(ip + ":") for a bracketed IP: the host inside the
// brackets, or Go's error text.
Result<std::string> strip_brackets(const std::string& ip) {
  std::string hostport = ip + ":";
  auto addr_error = [&](std::string_view why) { return fail("address " + hostport + ": " + std::string(why)); };
  size_t colon = hostport.rfind(':');
  size_t close = hostport.find(']');
  if (close == std::string::npos) return addr_error("missing ']' in address");
  if (close + 1 != colon) {
    if (hostport[close + 1] == ':') return addr_error("too many colons in address");
    return addr_error("missing port in address");
  }
  if (hostport.find('[', 1) != std::string::npos) return addr_error("unexpected '[' in address");
  if (hostport.find(']', close + 1) != std::string::npos) return addr_error("unexpected ']' in address");
  return hostport.substr(1, close - 1);
}

struct PortSpecParts {
  std::string ip;
  std::string host_port;
  std::string container_port;
};

// The last two ':'-separated parts are the ports; anything before is the IP
// (so "::1:6000:6000" gives IP "::1").
PortSpecParts split_port_spec(std::string_view raw) {
  std::vector<std::string> parts = split(raw, ':');
  size_t n = parts.size();
  if (n == 1) return {"", "", parts[0]};
  if (n == 2) return {"", parts[0], parts[1]};
  std::vector<std::string> ip_parts(parts.begin(), parts.end() - 2);
  return {join(ip_parts, ":"), parts[n - 2], parts[n - 1]};
}

}  // namespace

Result<std::vector<Node>> parse_port_spec(const Node& scalar, std::string_view path) {
  const std::string& raw = scalar.value();
  auto error = [&](const std::string& msg) { return fail_at(scalar.mark(), path, msg); };

  PortSpecParts parts = split_port_spec(raw);
  std::string container_port = parts.container_port;
  std::string proto = "tcp";
  if (size_t slash = container_port.find('/'); slash != std::string::npos) {
    if (slash + 1 < container_port.size()) proto = container_port.substr(slash + 1);
    container_port.resize(slash);
  }
  if (container_port.empty()) return error("no port specified: " + raw + "<empty>");
  proto = to_lower(proto);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") return error("invalid proto: " + proto);

  std::string ip = parts.ip;
  if (!ip.empty() && ip[0] == '[') {
    auto stripped = strip_brackets(ip);
    if (!stripped) return error("invalid IP address " + ip + ": " + stripped.error().message);
    ip = *stripped;
  }
  if (!ip.empty() && !is_ip_address(ip)) return error("invalid IP address: " + ip);

  auto container = parse_port_range(container_port);
  if (!container) return error("invalid containerPort: " + container_port);
  PortRange host;
  const std::string& host_port = parts.host_port;
  if (!host_port.empty()) {
    auto parsed = parse_port_range(host_port);
    if (!parsed) return error("invalid hostPort: " + host_port);
    host = *parsed;
    // A host range with one container port is a pool to pick one host port from.
    if (container->size() != host.size() && container->size() != 0)
      return error("invalid ranges specified for container and host Ports: " + container_port + " and " + host_port);
  }

  std::vector<std::pair<std::string, Node>> keyed;
  for (int i = 0; i <= container->size(); ++i) {
    Node port = mapping_from(scalar);
    port.set("mode", string_from("ingress", scalar), scalar.mark());
    if (!ip.empty()) port.set("host_ip", string_from(ip, scalar), scalar.mark());
    std::string target = std::to_string(container->start + i);
    port.set("target", plain_from(target, scalar), scalar.mark());
    if (!host_port.empty()) {
      std::string published = std::to_string(host.start + i);
      if (container->size() == 0 && host.size() != 0) published += "-" + std::to_string(host.end);
      port.set("published", string_from(published, scalar), scalar.mark());
    }
    port.set("protocol", string_from(proto, scalar), scalar.mark());
    keyed.emplace_back(target + "/" + proto, std::move(port));
  }
  // compose-go orders a range by the text of "port/proto" ("10000/tcp" before "9999/tcp").
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Node> out;
  out.reserve(keyed.size());
  for (auto& [key, port] : keyed) out.push_back(std::move(port));
  return out;
}

namespace transform_detail {

Result<void> canonicalize_ports(Node& ports, std::string_view path, const TransformOptions& options) {
  if (!ports.is_sequence()) return {};
  std::vector<Node> out;
  for (size_t i = 0; i < ports.items().size(); ++i) {
    Node& item = ports.items()[i];
    if (item.is_scalar()) {
      auto parsed = parse_port_spec(item, path_index(path, i));
      if (!parsed) {
        if (!options.keep_unparsable) return std::unexpected(parsed.error());
        out.push_back(std::move(item));
        continue;
      }
      for (Node& port : *parsed) {
        port.set_tag(item.tag());
        out.push_back(std::move(port));
      }
      continue;
    }
    if (item.is_mapping()) {
      set_default(item, "mode", string_from("ingress", item));
      set_default(item, "protocol", string_from("tcp", item));
    }
    out.push_back(std::move(item));
  }
  ports.items() = std::move(out);
  return {};
}

}  // namespace transform_detail
}  // namespace stack::compose
