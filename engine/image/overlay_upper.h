// Reading an overlay upper dir (a container's rw layer) as the kernel writes it:
// whiteouts (0:0 character devices) for deleted paths, `trusted.overlay.opaque=y` on
// directories that hide the lower ones, entries in the order Go's filepath.Walk visits.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace stack::image {

// The entries of the open directory `dirfd` (without . and ..), sorted bytewise;
// `what` names it in errors.
Result<std::vector<std::string>> sorted_names(int dirfd, const std::string& what);

bool is_whiteout(const struct stat& st);

// Whether `name` in `dirfd` is an opaque directory (its xattr read without following a symlink).
bool is_opaque(int dirfd, const std::string& name);

// moby's directory.Size: the bytes of every non-directory entry below `dir`, hard links
// counted once (a container's SizeRw when `dir` is its upper dir); 0 for a missing dir.
uint64_t tree_size(const std::string& dir);

}  // namespace stack::image
