// Tar archives of paths inside a container root, and extraction of a tar into a
// directory inside it, as Docker's archive endpoints and export do (libarchive for the
// tar format). Every lookup is made relative to a root directory fd with openat2
// RESOLVE_IN_ROOT, and walks/creates below it with *at calls that never follow a
// symlink: a symlink in the container (absolute or "../..") cannot lead out of it.
// Everything here blocks: run it on the thread pool.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/unique_fd.h"
#include "engine/container/archive_path.h"

namespace stack::daemon {

// The root of lookups (O_PATH directory).
Result<UniqueFd> open_root(const std::string& root);

// openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); with
// follow_last false, a final symlink is not followed (O_NOFOLLOW).
Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, bool follow_last);

// Docker's stat of a requested path (HEAD /archive): the last element is not followed
// unless the path ends in "/" or "/."; a symlink's linkTarget is its fully resolved
// path in the container. ENOENT when it does not exist.
Result<container::PathStat> stat_in_root(int root_fd, const container::ArchivePath& p);

// GET /archive: a tar of the resource at `p` (a file, a symlink, or a directory with
// everything below it), entries named after `p.name` (or `top_name` when given),
// written to `out_fd` (uncompressed). When out_fd is a socket with a send timeout, a
// stalled write asks `cancelled` each time it times out and gives up (ECANCELED) on true.
Result<void> write_path_tar(int root_fd, const container::ArchivePath& p, int out_fd,
                            std::optional<std::string> top_name = std::nullopt, std::function<bool()> cancelled = {});

// GET /export: everything below the root, entries relative ("bin/", "bin/busybox").
Result<void> write_tree_tar(int root_fd, int out_fd, std::function<bool()> cancelled = {});

// PUT /archive's extraction point: `path` resolved in the root with every symlink
// followed, which must be a directory: ENOENT when missing, ENOTDIR ("extraction point
// is not a directory") otherwise.
Result<UniqueFd> open_extract_dir(int root_fd, std::string_view path);

// A small file's contents, looked up in the root (the container's /etc/passwd).
Result<std::string> read_file_in_root(int root_fd, std::string_view path, size_t max_size = 1 << 20);

struct ExtractOptions {
  bool no_overwrite_dir_non_dir = false;
  // Owner of every entry; nullopt: the tar header's uid/gid (Docker's default).
  std::optional<std::pair<uid_t, gid_t>> chown;
  bool keep_owner = true;  // false: files stay owned by the extracting user (docker cp to the host)
  // Renames the tar's first path element ("src" -> the destination's name).
  std::optional<container::Rebase> rebase;
  std::string display_dir = "/";  // the extraction dir, as errors name it
};

// Extracts the tar (possibly compressed) read from `in_fd` into `dir_fd`; entries
// resolve inside dir_fd (as Docker's chroot into the extraction dir): links that climb
// out are refused.
Result<void> extract_tar(int dir_fd, int in_fd, const ExtractOptions& o);
Result<void> extract_tar(int dir_fd, std::string_view tar, const ExtractOptions& o);

}  // namespace stack::daemon
