// A temp file path under the image store's tmp dir (the file system the store renames
// into), unlinked when dropped. The API's uploads, saves and commits go through one.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <string_view>

#include "engine/image/store.h"

namespace stack::daemon {

class StoreTempFile {
 public:
  StoreTempFile(const image::Store& store, std::string_view suffix) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char name[32];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(rng()));
    path_ = store.content().tmp_dir() + "/api-" + name + std::string(suffix);
  }
  ~StoreTempFile() { ::unlink(path_.c_str()); }
  StoreTempFile(const StoreTempFile&) = delete;
  StoreTempFile& operator=(const StoreTempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace stack::daemon
