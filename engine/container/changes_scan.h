// `docker diff`: what a container changed in its root filesystem, read from its overlay
// upper dir against the image's layer dirs, as moby's archive.OverlayChanges reports it:
// a whiteout (char device 0:0) is a deletion, a path no lower layer has is an addition,
// one a lower layer has is a modification (a directory only when its size, mode or mtime
// differ), and the parent of an addition or deletion is listed as modified.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace stack::container {

enum class ChangeKind { Modified = 0, Added = 1, Deleted = 2 };

struct Change {
  std::string path;  // absolute in the container: "/etc/passwd"
  ChangeKind kind = ChangeKind::Modified;
  friend bool operator==(const Change&, const Change&) = default;
};

// Paths the runtime itself makes in the upper dir (mount points for /etc/hosts and the
// like). Docker keeps them in a separate "init" layer below the container's, so they are
// never reported; stack skips them and does not count them as changing their parent.
const std::set<std::string>& runtime_made_paths();

// Walks `upper` in Docker's order (depth first, names sorted bytewise within a directory).
// `lower` are the image's layer dirs, topmost first. `skip` names paths to leave out.
Result<std::vector<Change>> scan_changes(const std::string& upper, const std::vector<std::string>& lower,
                                         const std::set<std::string>& skip = runtime_made_paths());

// "C", "A", "D" as `docker diff` prints them.
char change_letter(ChangeKind kind);

}  // namespace stack::container
