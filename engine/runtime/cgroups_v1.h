// cgroup v1 (and the hybrid layout): one directory per controller hierarchy.
#pragma once

#include <string>
#include <vector>

#include "engine/runtime/cgroups.h"

namespace stack::runtime {

class CgroupV1 final : public Cgroup {
 public:
  static Result<std::unique_ptr<Cgroup>> create(const std::string& cgroups_path,
                                                const std::optional<Resources>& resources,
                                                const CgroupOptions& options, CgroupMode mode);
  static Result<std::unique_ptr<Cgroup>> open(const std::string& cgroups_path, const CgroupOptions& options,
                                              CgroupMode mode);
  ~CgroupV1() override;

  std::vector<std::string> dirs() const override;
  Result<void> add_process(pid_t pid) override;
  Result<void> update(const Resources& resources) override;
  Result<void> freeze() override;
  Result<void> thaw() override;
  Result<std::vector<pid_t>> pids() const override;
  Result<void> kill_all(int signal) override;
  Result<void> destroy() override;
  Result<CgroupStats> stats() const override;

 private:
  // A mounted hierarchy: one or more controllers (cpu and cpuacct are often mounted together).
  struct Hierarchy {
    std::vector<std::string> controllers;
    std::string mount;                 // <root>/<controller>, symlinks resolved
    std::string dir;                   // mount + path
    std::vector<std::string> created;  // directories create() made, top-down
  };

  CgroupV1(CgroupMode mode, std::string path, bool owned, CgroupOptions options)
      : Cgroup(mode, std::move(path), owned), options_(std::move(options)) {}

  Result<void> discover();
  const Hierarchy* hierarchy(std::string_view controller) const;
  Result<void> apply(const Resources& resources);
  Result<void> copy_cpuset_from_parent(const std::string& dir);

  CgroupOptions options_;
  std::vector<Hierarchy> hierarchies_;
};

}  // namespace stack::runtime
