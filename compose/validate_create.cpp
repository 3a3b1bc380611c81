// validate_for_create: settings `docker compose config` accepts but that fail
// when containers are created, worded as Docker words them, so `up` fails
// before touching anything instead of halfway through.
#include <cctype>
#include <charconv>
#include <optional>

#include "compose/validate.h"
#include "compose/validate_internal.h"

namespace stack::compose {

using namespace validate_detail;

namespace {

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// docker compose maps deploy.restart_policy conditions onto engine policies
// (pkg/compose/create.go mapRestartPolicyCondition); anything else reaches the
// engine unchanged and is refused there.
std::optional<std::string_view> engine_policy(std::string_view condition) {
  if (condition == "none" || condition == "no" || condition.empty()) return "no";
  if (condition == "any" || condition == "always") return "always";
  if (condition == "on-failure") return "on-failure";
  if (condition == "unless-stopped") return "unless-stopped";
  return std::nullopt;
}

// The engine's container.ValidateRestartPolicy.
std::optional<std::string> restart_policy_error(std::string_view condition, int64_t attempts) {
  auto policy = engine_policy(condition);
  if (!policy) {
    return "invalid restart policy: unknown policy '" + std::string(condition) +
           "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'";
  }
  if (*policy == "on-failure") {
    if (attempts < 0) return "invalid restart policy: maximum retry count cannot be negative";
    return std::nullopt;
  }
  if (attempts != 0) {
    return std::string("invalid restart policy: maximum retry count can only be used with 'on-failure'") +
           (attempts < 0 ? " and cannot be negative" : "");
  }
  return std::nullopt;
}

Result<void> check_restart(const Project& project, const ServiceConfig& s, const std::string& base) {
  if (!s.restart.empty()) {
    const std::string path = path_key(base, "restart");
    std::string_view text = s.restart;
    size_t colon = text.find(':');
    std::string_view condition = text.substr(0, colon);
    int64_t attempts = 0;
    if (colon != std::string_view::npos) {
      // docker compose ignores a count that is not a number (Atoi error dropped),
      // which would silently mean "retry forever"; we refuse it as `docker run` does.
      if (condition.empty()) {
        return fail_at_key(project, path, "invalid restart policy format: no policy provided before colon");
      }
      auto count = parse_int(text.substr(colon + 1));
      if (!count) {
        return fail_at_key(project, path, "invalid restart policy format: maximum retry count must be an integer");
      }
      attempts = *count;
    }
    if (auto error = restart_policy_error(condition, attempts)) return fail_at_key(project, path, *error);
  }
  if (s.deploy && s.deploy->restart_policy) {
    const RestartPolicy& policy = *s.deploy->restart_policy;
    int64_t attempts = policy.max_attempts ? static_cast<int64_t>(*policy.max_attempts) : 0;
    if (auto error = restart_policy_error(policy.condition, attempts)) {
      std::string path = path_key(base, "deploy.restart_policy");
      return fail_at_key(project, path_key(path, engine_policy(policy.condition) ? "max_attempts" : "condition"),
                         *error);
    }
  }
  return {};
}

// A host port or range "8000-8010" (nat.ParsePortRange): numbers up to 65535, start <= end.
bool is_port_range(std::string_view text) {
  size_t dash = text.find('-');
  auto start = parse_int(text.substr(0, dash));
  auto end = dash == std::string_view::npos ? start : parse_int(text.substr(dash + 1));
  bool digits_only = text.find_first_not_of("0123456789-") == std::string_view::npos;
  return digits_only && start && end && *start >= 0 && *end <= 65535 && *start <= *end;
}

Result<void> check_ports(const Project& project, const ServiceConfig& s, const std::string& base) {
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const ServicePortConfig& port = s.ports[i];
    const std::string path = path_index(path_key(base, "ports"), i);
    if (port.target > 65535) return fail_at_key(project, path, "invalid containerPort: " + std::to_string(port.target));
    if (!port.published.empty() && !is_port_range(port.published)) {
      return fail_at_key(project, path, "invalid hostPort: " + port.published);
    }
    std::string protocol = port.protocol;
    for (char& c : protocol) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!protocol.empty() && protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
      return fail_at_key(project, path, "invalid proto: " + port.protocol);
    }
  }
  return {};
}

Result<void> check_healthcheck(const Project& project, const ServiceConfig& s, const std::string& base) {
  // docker compose refuses it: the engine would ignore start_interval (moby#48874).
  if (s.healthcheck && s.healthcheck->start_interval && !s.healthcheck->start_period) {
    return fail_at_key(project, path_key(base, "healthcheck.start_interval"),
                       "healthcheck.start_interval requires healthcheck.start_period to be set");
  }
  return {};
}

// The engine only assigns a static address on a network whose subnet the user configured.
Result<void> check_static_addresses(const Project& project, const ServiceConfig& s, const std::string& base) {
  for (const auto& [name, attachment] : s.networks) {
    if (!attachment || (attachment->ipv4_address.empty() && attachment->ipv6_address.empty())) continue;
    auto network = project.networks.find(name);
    if (network == project.networks.end() || network->second.external) continue;
    bool has_subnet = false;
    for (const IPAMPool& pool : network->second.ipam.config) has_subnet = has_subnet || !pool.subnet.empty();
    if (has_subnet) continue;
    const std::string path = path_key(path_key(base, "networks"), name);
    return fail_at_key(project, path_key(path, attachment->ipv4_address.empty() ? "ipv6_address" : "ipv4_address"),
                       "user specified IP address is supported only when connecting to networks with user "
                       "configured subnets");
  }
  return {};
}

}  // namespace

Result<void> validate_for_create(const Project& project) {
  for (const auto& [name, service] : project.services) {
    const std::string base = path_key("services", name);
    if (auto r = check_restart(project, service, base); !r) return r;
    if (auto r = check_ports(project, service, base); !r) return r;
    if (auto r = check_healthcheck(project, service, base); !r) return r;
    if (auto r = check_static_addresses(project, service, base); !r) return r;
  }
  return {};
}

}  // namespace stack::compose
