// Device short syntax "SRC[:DST[:PERMS]]" (compose-go transformDeviceMapping).
#include "common/strings.h"
#include "compose/transform_internal.h"

namespace stack::compose {

using namespace transform_detail;

Result<Node> parse_device_spec(const Node& scalar, std::string_view path) {
  const std::string& raw = scalar.value();
  std::vector<std::string> parts = split(raw, ':');
  if (parts.size() > 3)
    return fail_at(scalar.mark(), path, "confusing device mapping, please use long syntax: " + raw);
  std::string source = parts[0];
  std::string target = parts.size() > 1 ? parts[1] : "";
  std::string permissions = parts.size() > 2 ? parts[2] : "rwm";
  if (target.empty()) target = source;

  Node device = mapping_from(scalar);
  device.set("source", string_from(source, scalar), scalar.mark());
  device.set("target", string_from(target, scalar), scalar.mark());
  device.set("permissions", string_from(permissions, scalar), scalar.mark());
  return device;
}

namespace transform_detail {

Result<void> canonicalize_devices(Node& devices, std::string_view path, const TransformOptions& options) {
  if (!devices.is_sequence()) return {};
  for (size_t i = 0; i < devices.items().size(); ++i) {
    Node& item = devices.items()[i];
    if (!item.is_scalar()) continue;
    auto parsed = parse_device_spec(item, path_index(path, i));
    if (!parsed) {
      if (options.keep_unparsable) continue;
      return std::unexpected(parsed.error());
    }
    replace_with(item, std::move(*parsed));
  }
  return {};
}

}  // namespace transform_detail
}  // namespace stack::compose
