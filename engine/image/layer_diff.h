// A container's changes as an image layer (docker commit): its overlay upper dir written
// as a tar, with overlayfs whiteouts turned into the OCI/Docker form a layer carries:
//   - a whiteout (char device 0:0) NAME   -> an empty regular file `.wh.NAME`, mode 0;
//   - an opaque directory (xattr trusted.overlay.opaque=y) -> the directory, then an empty
//     `.wh..wh..opq` file inside it.
// Nothing is followed: symlinks are stored as links, files are opened with O_NOFOLLOW from
// their directory's fd. Hard links inside the tree become tar hard links. Sockets are left
// out (a tar cannot hold them), as Go's archive/tar does.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/error.h"

namespace stack::image {

struct LayerDiffStats {
  uint64_t entries = 0;  // tar entries written; 0 means the container changed nothing
  uint64_t size = 0;     // bytes of regular-file content
};

// Writes the tar to `out_path` (created or truncated). Entries are named without a leading
// slash ("etc/passwd", "tmp/"), in walk order (depth first, names sorted bytewise).
// `skip` names container paths ("/etc/hosts") left out with everything below them; a
// directory holding one of them is written only when something else inside it is (the
// runtime's mount points are not the container's changes, as in Docker's init layer).
Result<LayerDiffStats> write_layer_diff(const std::string& upper, const std::string& out_path,
                                        const std::set<std::string>& skip = {});

}  // namespace stack::image
