// Service volume short syntax "[SRC:]DST[:OPTIONS]", parsed as compose-go's
// format.ParseVolume does on Linux (Windows drive letters like "C:\data" are
// still recognised as bind sources, as there), plus the defaults compose-go
// gives long-form volumes. Named pipes cannot work on Linux, so they are
// rejected here rather than failing later at container creation.
#include <cctype>

#include "common/strings.h"
#include "compose/transform_internal.h"

namespace stack::compose {
namespace {

using namespace transform_detail;

constexpr std::string_view kNpipeUnsupported = "npipe volumes are not supported on Linux";

// Go's path.Clean: lexical clean-up of a slash-separated path.
std::string clean_path(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string> out;
  for (const std::string& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..")
        out.pop_back();
      else if (!rooted)
        out.push_back(part);
      continue;
    }
    out.push_back(part);
  }
  std::string joined = join(out, "/");
  if (rooted) return "/" + joined;
  return joined.empty() ? "." : joined;
}

// A single letter followed by ':' starts a Windows drive ("C:"), not a separator.
bool is_windows_drive(std::string_view buffer, char next) {
  return next == ':' && buffer.size() == 1 && std::isalpha(static_cast<unsigned char>(buffer[0]));
}

bool is_file_path(std::string_view source) {
  if (source.empty()) return false;
  if (source[0] == '.' || source[0] == '/' || source[0] == '~') return true;
  if (source.starts_with("\\\\")) return true;
  return source.size() > 1 && is_windows_drive(source.substr(0, 1), source[1]);
}

bool is_named_pipe(std::string_view source) {
  return source.size() >= 9 && source.starts_with("\\\\.\\") && to_lower(source.substr(4, 5)) == "pipe\\";
}

bool is_propagation(std::string_view option) {
  return option == "shared" || option == "rshared" || option == "slave" || option == "rslave" ||
         option == "private" || option == "rprivate";
}

struct VolumeSpec {
  std::string source;
  std::string target;
  bool read_only = false;
  bool nocopy = false;
  std::string propagation;
  std::string selinux;
  bool has_bind_options = false;
};

// Assigns one ':'-separated section; returns an error text or "".
std::string take_section(std::string_view section, bool at_end, VolumeSpec& spec) {
  if (section.empty()) return "empty section between colons";
  if (spec.source.empty() && at_end) {
    spec.target = section;
    return "";
  }
  if (spec.source.empty()) {
    spec.source = section;
    return "";
  }
  if (spec.target.empty()) {
    spec.target = section;
    return "";
  }
  if (!at_end) return "too many colons";
  // Unknown options are ignored, as compose-go does.
  for (const std::string& option : split(section, ',')) {
    if (option == "ro") {
      spec.read_only = true;
    } else if (option == "rw") {
      spec.read_only = false;
    } else if (option == "nocopy") {
      spec.nocopy = true;
    } else if (is_propagation(option)) {
      spec.propagation = option;
      spec.has_bind_options = true;
    } else if (option == "z" || option == "Z") {
      spec.selinux = option;
      spec.has_bind_options = true;
    }
  }
  return "";
}

Node build_volume(const VolumeSpec& spec, const Node& origin) {
  bool bind = is_file_path(spec.source);
  Node volume = mapping_from(origin);
  const Mark& at = origin.mark();
  volume.set("type", string_from(bind ? "bind" : "volume", origin), at);
  if (!spec.source.empty()) volume.set("source", string_from(spec.source, origin), at);
  volume.set("target", string_from(clean_path(spec.target), origin), at);
  if (spec.read_only) volume.set("read_only", true_from(origin), at);
  if (bind || spec.has_bind_options) {
    Node options = mapping_from(origin);
    if (!spec.selinux.empty()) options.set("selinux", string_from(spec.selinux, origin), at);
    if (!spec.propagation.empty()) options.set("propagation", string_from(spec.propagation, origin), at);
    // Short syntax binds create a missing host path, for docker-compose v1 compatibility.
    if (bind) options.set("create_host_path", true_from(origin), at);
    volume.set("bind", std::move(options), at);
  }
  if (!bind || spec.nocopy) {
    Node options = mapping_from(origin);
    if (spec.nocopy) options.set("nocopy", true_from(origin), at);
    volume.set("volume", std::move(options), at);
  }
  return volume;
}

}  // namespace

Result<Node> parse_volume_spec(const Node& scalar, std::string_view path) {
  const std::string& raw = scalar.value();
  if (raw.empty()) return fail_at(scalar.mark(), path, "invalid empty volume spec");
  if (raw.size() <= 2) {
    // Too short to hold a separator: an anonymous volume at that target.
    Node volume = mapping_from(scalar);
    volume.set("type", string_from("volume", scalar), scalar.mark());
    volume.set("target", string_from(clean_path(raw), scalar), scalar.mark());
    return volume;
  }

  VolumeSpec spec;
  std::string buffer;
  int substitution_depth = 0;  // a ':' inside a left-over ${...} does not separate
  for (size_t i = 0; i <= raw.size(); ++i) {
    bool at_end = i == raw.size();
    char c = at_end ? '\0' : raw[i];
    if (!at_end && c == '$' && i + 1 < raw.size() && raw[i + 1] == '{') {
      ++substitution_depth;
      buffer += c;
      continue;
    }
    if (!at_end && c == '}' && substitution_depth > 0) {
      --substitution_depth;
      buffer += c;
      continue;
    }
    if (!at_end && is_windows_drive(buffer, c)) {
      buffer += c;
    } else if (at_end || (c == ':' && substitution_depth == 0)) {
      std::string why = take_section(buffer, at_end, spec);
      if (!why.empty()) return fail_at(scalar.mark(), path, "invalid spec: " + raw + ": " + why);
      buffer.clear();
    } else {
      buffer += c;
    }
  }
  if (is_named_pipe(spec.source)) return fail_at(scalar.mark(), path, kNpipeUnsupported);
  return build_volume(spec, scalar);
}

namespace transform_detail {

Result<void> canonicalize_service_volumes(Node& volumes, std::string_view path, const TransformOptions& options) {
  if (!volumes.is_sequence()) return {};
  for (size_t i = 0; i < volumes.items().size(); ++i) {
    Node& item = volumes.items()[i];
    std::string item_path = path_index(path, i);
    if (item.is_scalar()) {
      auto parsed = parse_volume_spec(item, item_path);
      if (!parsed) {
        if (options.keep_unparsable && parsed.error().message.find(kNpipeUnsupported) == std::string::npos) continue;
        return std::unexpected(parsed.error());
      }
      replace_with(item, std::move(*parsed));
      continue;
    }
    if (!item.is_mapping()) continue;
    if (const Node* type = item.find("type"); type && type->is_scalar() && type->value() == "npipe")
      return fail_at(type->mark(), item_path, kNpipeUnsupported);
    // compose-go defaults a long-form bind's create_host_path to true.
    if (Node* bind = item.find("bind"); bind && bind->is_mapping()) set_default(*bind, "create_host_path", true_from(*bind));
  }
  return {};
}

}  // namespace transform_detail
}  // namespace stack::compose
