// The container store: <root>/containers/<id>/config.v2.json, written
// atomically (temp, fsync, rename, fsync dir).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "engine/container/record.h"

namespace stack::container {

class Store {
 public:
  // Creates <state_root>/containers if missing.
  static Result<Store> open(const std::string& state_root);

  const std::string& root() const { return containers_dir_; }
  std::string dir_of(const std::string& id) const;
  // Creates the directory if needed and replaces config.v2.json.
  Result<void> save(const Record& r);
  Result<Record> load(const std::string& id) const;
  // Every record. A directory without a readable config.v2.json is a
  // half-made create: it is removed (its rootfs/merged unmounted) and logged.
  Result<std::vector<Record>> load_all();
  // The whole directory (rootfs/merged unmounted first if mounted).
  Result<void> remove(const std::string& id);

 private:
  explicit Store(std::string containers_dir) : containers_dir_(std::move(containers_dir)) {}
  std::string containers_dir_;
};

}  // namespace stack::container
