// Unpacking one layer tarball (plain, gzip or zstd: detected from the bytes) into a
// directory, confined to it:
//   - paths are cleaned lexically; one that climbs out ("../x") fails the layer, as Docker
//     does ("breakout"); absolute paths are taken relative to the layer root;
//   - no symlink is ever followed: every component is opened with O_NOFOLLOW from a
//     directory fd, so a symlink planted by an earlier entry cannot redirect a later one;
//   - symlinks and hard links whose target leaves the layer fail the layer (absolute
//     symlink targets are fine: they resolve inside the container's root);
//   - device nodes are skipped with a warning; FIFOs, setuid/setgid bits, xattrs kept;
//   - OCI whiteouts become overlayfs ones: `.wh.NAME` -> char device 0/0 named NAME,
//     `.wh..wh..opq` -> xattr trusted.overlay.opaque=y on its directory (both need root).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace stack::image {

struct UnpackStats {
  uint64_t size = 0;  // bytes of regular-file content written
  uint64_t entries = 0;
  std::vector<std::string> warnings;  // skipped entries, one line each
};

// `dest` must be an existing directory; the caller unpacks into a temp dir and renames
// it into place, so a failure part-way leaves nothing it has to clean beyond that dir.
Result<UnpackStats> unpack_layer(const std::string& tar_path, const std::string& dest);

// OCI chain IDs: chain(0) = diff_id(0); chain(n) = sha256(chain(n-1) + " " + diff_id(n)).
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

// Streams a possibly compressed file through libarchive's decompressors into `sink`
// (used to turn a layer blob into the plain tar whose digest is its diff ID).
Result<void> decompress_file(const std::string& path, const std::function<Result<void>(const void*, size_t)>& sink);

}  // namespace stack::image
