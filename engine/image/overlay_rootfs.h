// A container's root filesystem: an overlay mount of the image's layers (shared,
// never written) plus a per-container upper and work dir. RAII: the destructor
// unmounts unless release() handed the mount over (the engine keeps it across restarts).
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace stack::image {

class OverlayRootfs {
 public:
  // `lower_dirs` topmost first (Store::layer_dirs order); `container_dir` gets upper/, work/, merged/.
  static Result<OverlayRootfs> mount(const std::vector<std::string>& lower_dirs, const std::string& container_dir);

  OverlayRootfs(OverlayRootfs&& other) noexcept;
  OverlayRootfs& operator=(OverlayRootfs&& other) noexcept;
  OverlayRootfs(const OverlayRootfs&) = delete;
  OverlayRootfs& operator=(const OverlayRootfs&) = delete;
  ~OverlayRootfs();

  const std::string& merged() const { return merged_; }
  const std::string& upper() const { return upper_; }
  Result<void> unmount();
  void release() { merged_.clear(); }

 private:
  OverlayRootfs(std::string merged, std::string upper) : merged_(std::move(merged)), upper_(std::move(upper)) {}
  std::string merged_;  // empty once unmounted or released
  std::string upper_;
};

// The mount data string, or an error when it does not fit in the one page the kernel reads.
Result<std::string> overlay_mount_data(const std::vector<std::string>& lower_dirs, const std::string& upper,
                                       const std::string& work);

}  // namespace stack::image
