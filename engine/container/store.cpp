#include "engine/container/store.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "common/files.h"
#include "engine/container/disk.h"

namespace stack::container {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRecordFile = "config.v2.json";

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("mkdir " + path);
  return {};
}

// The container's overlay is mounted at <dir>/rootfs/merged while it exists;
// a mount left there must go before the directory does, or removing it would
// write whiteouts through the overlay instead of deleting the upper dir.
Result<void> unmount_rootfs(const std::string& dir) {
  std::string merged = dir + "/rootfs/merged";
  if (::umount2(merged.c_str(), UMOUNT_NOFOLLOW) == 0) return {};
  if (errno == EINVAL || errno == ENOENT) return {};  // not a mount point / no such dir
  if (errno == EBUSY && ::umount2(merged.c_str(), UMOUNT_NOFOLLOW | MNT_DETACH) == 0) return {};
  return fail_errno("unmount " + merged);
}

Result<void> remove_dir(const std::string& dir) {
  if (auto r = unmount_rootfs(dir); !r) return r;
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return fail("remove " + dir + ": " + ec.message(), ec.value());
  return {};
}

bool is_container_id(const std::string& name) {
  if (name.size() != 64) return false;
  for (char c : name)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

Result<Store> Store::open(const std::string& state_root) {
  if (auto r = make_dir(state_root, 0711); !r) return std::unexpected(r.error());
  std::string dir = state_root + "/containers";
  if (auto r = make_dir(dir, 0710); !r) return std::unexpected(r.error());
  return Store(dir);
}

std::string Store::dir_of(const std::string& id) const { return containers_dir_ + "/" + id; }

Result<void> Store::save(const Record& r) {
  if (!is_container_id(r.id)) return fail("save container: bad id '" + r.id + "'", EINVAL);
  std::string dir = dir_of(r.id);
  if (auto m = make_dir(dir, 0710); !m) return m;
  auto w = write_file_atomic(dir + "/" + kRecordFile, to_disk_json(r).dump(), 0600);
  if (!w) return std::unexpected(w.error().wrapped("save container " + r.id));
  return {};
}

Result<Record> Store::load(const std::string& id) const {
  std::string path = dir_of(id) + "/" + kRecordFile;
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return fail("parse " + path + ": invalid JSON", EINVAL);
  auto r = from_disk_json(j);
  if (!r) return std::unexpected(r.error().wrapped("load " + path));
  if (r->id != id) return fail("load " + path + ": record id " + r->id + " does not match its directory", EINVAL);
  return r;
}

Result<std::vector<Record>> Store::load_all() {
  std::vector<Record> out;
  std::error_code ec;
  fs::directory_iterator it(containers_dir_, ec);
  if (ec) return fail("list " + containers_dir_ + ": " + ec.message(), ec.value());
  std::vector<std::string> ids;
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || !is_container_id(name)) continue;
    ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    std::string file = dir_of(id) + "/" + kRecordFile;
    if (!path_exists(file)) {
      // The record is the last thing a create writes and the first a remove
      // deletes (remove() takes the whole dir): without it the directory is a
      // create or remove that did not finish.
      spdlog::warn("container store: {} has no {}: removing the half-made container", id, kRecordFile);
      if (auto r = remove_dir(dir_of(id)); !r) spdlog::error("container store: {}", r.error().to_string());
      continue;
    }
    auto r = load(id);
    if (!r) {
      // A record that exists but does not parse is kept for a human to look at.
      spdlog::error("container store: skipping {}: {}", id, r.error().to_string());
      continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

Result<void> Store::remove(const std::string& id) {
  if (!is_container_id(id)) return fail("remove container: bad id '" + id + "'", EINVAL);
  std::string dir = dir_of(id);
  // The record goes first, so a crash halfway leaves a directory that
  // load_all() recognizes as half-made and finishes removing.
  std::string file = dir + "/" + kRecordFile;
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + file);
  return remove_dir(dir);
}

}  // namespace stack::container
