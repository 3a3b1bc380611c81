#include "engine/image/overlay_rootfs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace stack::image {
namespace {

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return fail_errno("mkdir " + path);
  return {};
}

// overlayfs separates lowerdirs with ':' and options with ','; such paths cannot be expressed.
bool has_separator(const std::string& path) { return path.find_first_of(":,") != std::string::npos; }

}  // namespace

Result<std::string> overlay_mount_data(const std::vector<std::string>& lower_dirs, const std::string& upper,
                                       const std::string& work) {
  std::string data = "lowerdir=";
  for (size_t i = 0; i < lower_dirs.size(); ++i) {
    if (has_separator(lower_dirs[i])) return fail("overlay lower dir " + lower_dirs[i] + " contains ':' or ','", EINVAL);
    if (i) data += ':';
    data += lower_dirs[i];
  }
  if (has_separator(upper) || has_separator(work)) return fail("overlay upper or work dir contains ':' or ','", EINVAL);
  data += ",upperdir=" + upper + ",workdir=" + work;
  // The kernel copies mount data from one page; longer data would be cut.
  if (data.size() >= static_cast<size_t>(::getpagesize())) {
    return fail("overlay mount data for " + std::to_string(lower_dirs.size()) + " layers is " +
                    std::to_string(data.size()) + " bytes, more than one page",
                E2BIG);
  }
  return data;
}

Result<OverlayRootfs> OverlayRootfs::mount(const std::vector<std::string>& lower_dirs, const std::string& container_dir) {
  std::string upper = container_dir + "/upper";
  std::string work = container_dir + "/work";
  std::string merged = container_dir + "/merged";
  for (const auto& dir : {container_dir, upper, work, merged}) {
    if (auto r = make_dir(dir, 0755); !r) return std::unexpected(r.error());
  }
  std::vector<std::string> lowers = lower_dirs;
  if (lowers.empty()) {
    // An image with no layers (FROM scratch, nothing added) still needs one lower dir.
    std::string empty = container_dir + "/empty";
    if (auto r = make_dir(empty, 0755); !r) return std::unexpected(r.error());
    lowers.push_back(empty);
  }
  auto data = overlay_mount_data(lowers, upper, work);
  if (!data) return std::unexpected(data.error());
  if (::mount("overlay", merged.c_str(), "overlay", 0, data->c_str()) != 0) {
    return fail_errno("mount overlay on " + merged);
  }
  return OverlayRootfs(std::move(merged), std::move(upper));
}

OverlayRootfs::OverlayRootfs(OverlayRootfs&& other) noexcept
    : merged_(std::exchange(other.merged_, {})), upper_(std::move(other.upper_)) {}

OverlayRootfs& OverlayRootfs::operator=(OverlayRootfs&& other) noexcept {
  if (this != &other) {
    (void)unmount();
    merged_ = std::exchange(other.merged_, {});
    upper_ = std::move(other.upper_);
  }
  return *this;
}

OverlayRootfs::~OverlayRootfs() { (void)unmount(); }

Result<void> OverlayRootfs::unmount() {
  if (merged_.empty()) return {};
  if (::umount2(merged_.c_str(), UMOUNT_NOFOLLOW) != 0 && errno != EINVAL) {
    return fail_errno("unmount " + merged_);
  }
  merged_.clear();
  return {};
}

}  // namespace stack::image
