// The files Docker writes per container: hostname, hosts, resolv.conf.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "engine/container/record.h"

namespace stack::container {

// "<hostname>\n"
std::string hostname_content(const Record& r);
// Docker's default /etc/hosts (localhost and the IPv6 names); a container's
// own address lines come with the netplane issue.
std::string hosts_content(const Record& r);
// The host's resolv.conf with localhost nameservers removed (a container
// cannot reach them); when none is left, Docker's defaults (8.8.8.8, 8.8.4.4
// and the IPv6 ones). HostConfig.Dns/DnsSearch/DnsOptions replace the lines.
std::string resolv_conf_content(const Record& r, std::string_view host_resolv_conf);

// Writes the three files at r's hostname_path, hosts_path, resolv_conf_path.
Result<void> write_container_files(const Record& r, const std::string& host_resolv_conf_path);

}  // namespace stack::container
