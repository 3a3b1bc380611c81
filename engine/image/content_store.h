// The content store: an OCI image layout under <state root>/image/.
//   oci-layout            {"imageLayoutVersion":"1.0.0"}
//   index.json            OCI image index: one manifest descriptor per image name (see store.h)
//   blobs/sha256/<hex>    configs, manifests and (uncompressed) layer tars, named by their digest
//   layers/<chain hex>/   unpacked layers (layer_unpack.h)
//   tmp/                  in-flight writes; renamed into place once verified
//   lock                  flock: writers exclusive, readers shared
// Every blob lands by rename from tmp/ after its digest was computed while writing,
// so a blob path always holds exactly the bytes its name promises.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "engine/image/digest.h"

namespace stack::image {

class ContentStore;

// Streams bytes into tmp/, hashing them; commit() verifies and renames into blobs/.
// Destroyed without commit(), it removes its temp file.
class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept = default;
  BlobWriter& operator=(BlobWriter&&) noexcept = default;
  ~BlobWriter();

  Result<void> write(const void* data, size_t size);
  Result<void> write(std::string_view data) { return write(data.data(), data.size()); }
  uint64_t size() const { return size_; }
  // Fsyncs and moves the blob into place. If `expected` is given and differs from what
  // was written, nothing is stored and the error names both digests.
  Result<std::string> commit(std::optional<std::string_view> expected = std::nullopt);

 private:
  friend class ContentStore;
  BlobWriter(const ContentStore* store, UniqueFd fd, std::string tmp_path)
      : store_(store), fd_(std::move(fd)), tmp_path_(std::move(tmp_path)) {}
  const ContentStore* store_;
  UniqueFd fd_;
  std::string tmp_path_;
  Sha256 hash_;
  uint64_t size_ = 0;
};

class ContentStore {
 public:
  // `dir` is <state root>/image.
  explicit ContentStore(std::string dir) : dir_(std::move(dir)) {}

  // Creates the layout (idempotent).
  Result<void> init() const;

  const std::string& dir() const { return dir_; }
  std::string tmp_dir() const { return dir_ + "/tmp"; }
  std::string layers_dir() const { return dir_ + "/layers"; }
  std::string index_path() const { return dir_ + "/index.json"; }
  std::string lock_path() const { return dir_ + "/lock"; }
  // blobs/sha256/<hex>; "" for a string that is not a sha256 digest.
  std::string blob_path(std::string_view digest) const;

  bool has(std::string_view digest) const;
  // Reads a whole (small) blob and checks it still matches its digest.
  Result<std::string> read(std::string_view digest) const;
  Result<uint64_t> blob_size(std::string_view digest) const;
  Result<std::string> put(std::string_view data, std::optional<std::string_view> expected = std::nullopt) const;
  Result<BlobWriter> writer() const;
  // Missing blobs are not an error.
  Result<void> remove(std::string_view digest) const;
  // A fresh empty directory under tmp/ (for unpacking, archive staging).
  Result<std::string> make_temp_dir(std::string_view prefix) const;

 private:
  std::string dir_;
};

// flock on <image dir>/lock for as long as the object lives.
class StoreLock {
 public:
  enum class Mode { shared, exclusive };
  static Result<StoreLock> acquire(const ContentStore& store, Mode mode);

 private:
  explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Removes a directory tree without following symlinks; a missing path is fine.
Result<void> remove_tree(const std::string& path);

}  // namespace stack::image
