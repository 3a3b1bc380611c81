// cgroup v2: one directory in the unified hierarchy; device rules as an eBPF program.
#pragma once

#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "engine/runtime/cgroups.h"

namespace stack::runtime {

class CgroupV2 final : public Cgroup {
 public:
  static Result<std::unique_ptr<Cgroup>> create(const std::string& cgroups_path,
                                                const std::optional<Resources>& resources,
                                                const CgroupOptions& options);
  static Result<std::unique_ptr<Cgroup>> open(const std::string& cgroups_path, const CgroupOptions& options);
  ~CgroupV2() override;

  std::vector<std::string> dirs() const override { return {dir_}; }
  Result<void> add_process(pid_t pid) override;
  Result<void> update(const Resources& resources) override;
  Result<void> freeze() override;
  Result<void> thaw() override;
  Result<std::vector<pid_t>> pids() const override;
  Result<void> kill_all(int signal) override;
  Result<void> destroy() override;
  Result<CgroupStats> stats() const override;

 private:
  CgroupV2(std::string path, bool owned, CgroupOptions options)
      : Cgroup(CgroupMode::V2, std::move(path), owned), options_(std::move(options)), dir_(options_.root + path_) {}

  // Enables `wanted` controllers in each ancestor's cgroup.subtree_control, top-down, and makes
  // missing directories on the way; a controller in `needed` that cannot be enabled is an error.
  Result<void> prepare_path(const std::vector<std::string>& needed, bool make);
  Result<void> apply(const Resources& resources);
  // Waits until cgroup.events shows `key value` (frozen 1, populated 0), up to `timeout`.
  Result<bool> wait_event(std::string_view key, std::string_view value, std::chrono::milliseconds timeout) const;

  CgroupOptions options_;
  std::string dir_;
  std::vector<std::string> created_;  // directories create() made, top-down
};

// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program for `rules` and attaches it to the cgroup
// directory `dir`, replacing the programs stack attached before (BPF_F_ALLOW_MULTI).
Result<void> attach_device_filter(const std::string& dir, const std::vector<DeviceCgroupRule>& rules);

}  // namespace stack::runtime
