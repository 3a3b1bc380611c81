// The image store: images named in index.json (an OCI image index, one manifest
// descriptor per name; an untagged image keeps one descriptor without a name), their
// configs, manifests and layer tars as blobs, their layers unpacked once per chain ID
// under layers/<chain hex>/diff and shared by every image that has them.
// Writers hold the store lock exclusively, readers shared (content_store.h).
// Semantics follow Docker's image service: IDs are config digests, `rm` untags before
// it deletes, and deleting frees only layers no other image uses.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "engine/image/content_store.h"
#include "engine/image/image_config.h"

namespace stack::image {

struct ImageSummary {
  std::string id;                      // sha256:<hex>
  std::vector<std::string> repo_tags;  // familiar: "busybox:latest"
  std::vector<std::string> repo_digests;
  int64_t created = 0;  // seconds since the epoch
  std::string created_text;
  uint64_t size = 0;
  std::map<std::string, std::string> labels;
};

struct ImportOptions {
  std::string source;     // a path, or "-" for standard input
  std::string reference;  // "" for an untagged image
  std::vector<std::string> changes;
  std::string message;
  std::string platform;  // "os/arch", default the host's
};

struct RemoveItem {
  std::string untagged;  // familiar name, or empty
  std::string deleted;   // image ID or layer chain ID, or empty
};

struct PruneOptions {
  bool all = false;  // every image without containers, not only dangling ones
  std::vector<std::pair<std::string, std::string>> filters;  // ("label", "k=v"), ("label!", "k"), ("dangling", "true")
};

struct PruneReport {
  std::vector<RemoveItem> items;
  uint64_t reclaimed = 0;
};

struct HistoryRow {
  std::string id;  // image ID on the top row, "<missing>" below
  int64_t created = 0;
  std::string created_by;
  uint64_t size = 0;
  std::string comment;
};

// docker commit: a new image made of `parent`'s layers plus the container's changes.
struct CommitRequest {
  std::string parent;     // the container's image ID
  std::string layer_tar;  // the changes as a plain tar; "" when the container changed nothing
  RunConfig config;       // the new image's config, merged as Docker's daemon/commit.go does
  nlohmann::json container_config = nlohmann::json::object();  // "container_config": the container's Config
  std::string container_id;
  std::string author, comment;
  std::string created_by;  // the history entry's: the container's Cmd joined with spaces
  std::string reference;   // "" or "repo[:tag]" (tag "latest" when left out)
};

struct LoadReport {
  std::vector<std::string> lines;  // "Loaded image: busybox:latest", as docker load prints
};

class Store {
 public:
  // <state root>/image, created if missing.
  static Result<Store> open(const std::string& state_root);

  // Returns the new image ID.
  Result<std::string> import_rootfs(const ImportOptions& options);
  // Docker-save archives (manifest.json) and OCI image archives (index.json), plain or compressed.
  Result<LoadReport> load(const std::string& archive_path);
  // Returns the new image ID; tags it when the request names a reference.
  Result<std::string> commit(const CommitRequest& request);
  // Writes a docker-save archive that is also an OCI image layout; "-" for standard output.
  Result<void> save(const std::vector<std::string>& references, const std::string& output);
  Result<std::vector<ImageSummary>> list() const;
  // Docker's image-inspect object.
  Result<nlohmann::ordered_json> inspect(const std::string& reference) const;
  Result<void> tag(const std::string& source, const std::string& target);
  Result<std::vector<RemoveItem>> remove(const std::string& reference, bool force);
  Result<PruneReport> prune(const PruneOptions& options);
  Result<std::vector<HistoryRow>> history(const std::string& reference) const;
  Result<ImageConfig> config(const std::string& reference) const;
  // The image's unpacked layer directories in overlayfs lowerdir order (topmost first).
  Result<std::vector<std::string>> layer_dirs(const std::string& reference) const;

  const ContentStore& content() const { return content_; }

  // Index records; public for the tests and the CLI's filters.
  struct Record {
    std::string id;
    std::string manifest_digest;
    uint64_t manifest_size = 0;
    std::vector<std::string> names;  // full references: "docker.io/library/busybox:latest"
    std::string last_tag_time;
  };

 private:
  explicit Store(ContentStore content) : content_(std::move(content)) {}

  struct Index {
    std::vector<Record> records;
  };
  Result<Index> read_index() const;
  Result<void> write_index(const Index& index) const;
  // Finds the image a user's reference or (short) ID names; "No such image: x" if none.
  Result<size_t> resolve(const Index& index, const std::string& reference) const;
  Result<ImageConfig> read_config(const std::string& id) const;
  // Under a shared lock: the record a reference names and its config.
  struct Resolved {
    Record record;
    ImageConfig config;
  };
  Result<Resolved> resolve_shared(const std::string& reference) const;
  // Unpacked layer directories of `config`, topmost first (overlayfs lowerdir order).
  std::vector<std::string> lower_dirs(const ImageConfig& config) const;
  uint64_t layer_size(const std::string& chain_id) const;
  uint64_t image_size(const ImageConfig& config) const;

  // Turns a layer file (any compression) into a stored plain-tar blob; returns its diff ID.
  Result<std::string> ingest_layer(const std::string& path);
  // Unpacks the blob of `diff_id` as layers/<chain hex> unless it is there already.
  Result<void> ensure_layer(const std::string& chain_id, const std::string& diff_id);
  // Stores config + manifest for `config_text`, unpacks its layers (which must be blobs
  // already), adds the record; returns the ID.
  Result<std::string> commit_image(Index& index, const std::string& config_text);
  // Points `name` (a full reference) at `id`; returns the ID it was taken from, if any.
  std::string set_name(Index& index, const std::string& id, const std::string& name) const;
  // Deletes the record at `pos` and every blob and layer nothing else uses.
  Result<std::vector<RemoveItem>> delete_image(Index& index, size_t pos, uint64_t* reclaimed);
  Result<std::vector<RemoveItem>> remove_locked(Index& index, const std::string& reference, bool force,
                                                uint64_t* reclaimed);

  ContentStore content_;
};

}  // namespace stack::image
