// Image references parsed as Docker parses them (distribution/reference):
//   [domain[:port]/]path[:tag][@algorithm:hex]
// `busybox` normalizes to `docker.io/library/busybox`; the familiar form strips that back.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace stack::image {

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty when none was given
  std::string digest;  // "sha256:<hex>", empty when none was given

  // Full repository name: "docker.io/library/busybox".
  std::string name() const;
  // Full reference: name[:tag][@digest].
  std::string string() const;
  // Short name as Docker displays it: "busybox", "user/app", "localhost:5000/app".
  std::string familiar_name() const;
  // familiar_name()[:tag][@digest].
  std::string familiar_string() const;

  bool operator==(const Reference&) const = default;
};

// Docker's ParseNormalizedNamed: the domain and "library/" are filled in; no default tag.
// Errors use Docker's words: "invalid reference format",
// "invalid reference format: repository name must be lowercase", ...
Result<Reference> parse_reference(std::string_view text);

// Docker's TagNameOnly: adds ":latest" when there is neither a tag nor a digest.
Reference with_default_tag(Reference ref);

// Parses then applies with_default_tag.
Result<Reference> parse_tagged(std::string_view text);

// "sha256:<64 lowercase hex>" (what Docker accepts as a canonical digest).
bool is_sha256_digest(std::string_view s);
// 64 hex characters, the form Docker rejects as a repository name.
bool is_full_hex_id(std::string_view s);

}  // namespace stack::image
