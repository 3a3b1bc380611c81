#include "compose/config_hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "compose/json_emit.h"

namespace stack::compose {
namespace {

// Service fields (at any depth) whose Go type is a map keyed by user names:
// their keys are data, so an "x-" key there is an entry, not an extension.
bool is_user_keyed_map(std::string_view key) {
  static constexpr std::array<std::string_view, 16> keys = {
      "additional_contexts", "annotations", "args",    "aux_addresses", "depends_on",  "driver_opts",
      "environment",         "extra_hosts", "labels",  "log_opt",       "models",      "networks",
      "options",             "storage_opt", "sysctls", "ulimits",
  };
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Node strip(const Node& n, bool user_keys) {
  if (n.is_sequence()) {
    Node out = Node::sequence(n.mark());
    for (const Node& item : n.items()) out.push_back(strip(item, false));
    return out;
  }
  if (!n.is_mapping()) return n;
  Node out = Node::mapping(n.mark());
  for (const Entry& e : n.entries()) {
    if (!user_keys && e.key.starts_with("x-")) continue;
    bool child_user_keys = !user_keys && is_user_keyed_map(e.key);
    out.entries().push_back(Entry{e.key, e.key_mark, strip(e.value, child_user_keys)});
  }
  return out;
}

// Go's JSON has struct fields in a fixed order and map keys sorted, so no
// reordering in the file can change compose's hash; sorting makes ours agree.
void sort_keys(Node& n) {
  if (n.is_sequence()) {
    for (Node& item : n.items()) sort_keys(item);
  } else if (n.is_mapping()) {
    for (Entry& e : n.entries()) sort_keys(e.value);
    std::stable_sort(n.entries().begin(), n.entries().end(),
                     [](const Entry& a, const Entry& b) { return a.key < b.key; });
  }
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

Node without_extensions(const Node& node) { return strip(node, false); }

std::string service_hash_document(const Node& encoded_service) {
  Node service = without_extensions(encoded_service);
  // What ServiceHash resets: none of these alone warrants recreating containers
  // (image builds and pulls are checked separately, scale is handled by adding
  // or removing containers, dependencies only order startup). `name` is
  // json:"-" in compose-go.
  for (std::string_view key : {"build", "pull_policy", "scale", "depends_on", "profiles", "name"}) service.erase(key);
  // Only replicas is reset: a deploy section left empty still differs from none.
  if (Node* deploy = service.find("deploy"); deploy && deploy->is_mapping()) deploy->erase("replicas");
  sort_keys(service);
  return emit_json_compact(service);
}

std::string service_config_hash(const Node& encoded_service) {
  return sha256_hex(service_hash_document(encoded_service));
}

}  // namespace stack::compose
