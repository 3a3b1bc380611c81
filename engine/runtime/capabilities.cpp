#include "engine/runtime/capabilities.h"

#include <spdlog/spdlog.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <utility>

namespace stack::runtime {
namespace {

// Index = capability number (linux/capability.h). Kept here rather than taken from
// libcap's cap_from_name so that the accepted spelling is exactly the OCI one.
constexpr std::array<std::string_view, 41> kNames = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapState = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

std::string join_names(uint64_t mask) {
  std::string out;
  for (const auto& name : capability_names_from_mask(mask)) {
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out;
}

// The highest capability the running kernel knows; caps above it are skipped (runc, crun).
int kernel_last_cap() {
  static const int last = [] {
    int value = static_cast<int>(kNames.size()) - 1;
    if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
      int v = 0;
      if (std::fscanf(f, "%d", &v) == 1 && v > 0) value = v;
      std::fclose(f);
    }
    return value;
  }();
  return last;
}

struct Masks {
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

// Names -> masks. Capabilities above `last` are left out and reported in *skipped.
Result<Masks> parse(const Capabilities& caps, int last, uint64_t* skipped) {
  Masks m;
  const std::pair<const char*, std::pair<const std::vector<std::string>*, uint64_t*>> sets[] = {
      {"bounding", {&caps.bounding, &m.bounding}},
      {"effective", {&caps.effective, &m.effective}},
      {"permitted", {&caps.permitted, &m.permitted}},
      {"inheritable", {&caps.inheritable, &m.inheritable}},
      {"ambient", {&caps.ambient, &m.ambient}}};
  for (const auto& [what, set] : sets) {
    for (const auto& name : *set.first) {
      auto cap = capability_from_name(name);
      if (!cap) return fail("unknown capability \"" + name + "\" (in " + what + ")", EINVAL);
      if (*cap > last) {
        *skipped |= uint64_t{1} << *cap;
        continue;
      }
      *set.second |= uint64_t{1} << *cap;
    }
  }
  return m;
}

Result<uint64_t> read_mask(cap_t state, cap_flag_t flag) {
  uint64_t mask = 0;
  for (int cap = 0; cap <= kernel_last_cap() && cap < 64; ++cap) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(state, static_cast<cap_value_t>(cap), flag, &value) != 0) {
      return fail_errno("cap_get_flag " + capability_name(cap));
    }
    if (value == CAP_SET) mask |= uint64_t{1} << cap;
  }
  return mask;
}

Result<uint64_t> read_bounding() {
  uint64_t mask = 0;
  for (int cap = 0; cap <= kernel_last_cap() && cap < 64; ++cap) {
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) return fail_errno("prctl(PR_CAPBSET_READ, " + capability_name(cap) + ")");
    if (r == 1) mask |= uint64_t{1} << cap;
  }
  return mask;
}

// capset(2) through libcap: exactly these three sets.
Result<void> set_process_caps(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  CapState state(cap_init());
  if (!state) return fail_errno("cap_init");
  for (int cap = 0; cap <= kernel_last_cap() && cap < 64; ++cap) {
    cap_value_t v[1] = {static_cast<cap_value_t>(cap)};
    const uint64_t bit = uint64_t{1} << cap;
    if ((effective & bit) && cap_set_flag(state.get(), CAP_EFFECTIVE, 1, v, CAP_SET) != 0)
      return fail_errno("cap_set_flag effective");
    if ((permitted & bit) && cap_set_flag(state.get(), CAP_PERMITTED, 1, v, CAP_SET) != 0)
      return fail_errno("cap_set_flag permitted");
    if ((inheritable & bit) && cap_set_flag(state.get(), CAP_INHERITABLE, 1, v, CAP_SET) != 0)
      return fail_errno("cap_set_flag inheritable");
  }
  if (cap_set_proc(state.get()) != 0) {
    return fail_errno("capset (effective [" + join_names(effective) + "], permitted [" + join_names(permitted) +
                      "], inheritable [" + join_names(inheritable) + "])");
  }
  return {};
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap < 0 || static_cast<size_t>(cap) >= kNames.size()) return {};
  return std::string(kNames[static_cast<size_t>(cap)]);
}

const std::vector<std::string>& known_capability_names() {
  static const std::vector<std::string> names(kNames.begin(), kNames.end());
  return names;
}

Result<void> validate_capabilities(const Capabilities& caps) {
  uint64_t skipped = 0;
  auto parsed = parse(caps, 63, &skipped);
  if (!parsed) return std::unexpected(parsed.error());
  const Masks& m = *parsed;
  // The kernel refuses these with a bare EPERM; say which capability and why up front.
  if (uint64_t bad = m.effective & ~m.permitted)
    return fail("effective capabilities not in the permitted set: " + join_names(bad), EINVAL);
  if (uint64_t bad = m.ambient & ~(m.permitted & m.inheritable))
    return fail("ambient capabilities must also be permitted and inheritable: " + join_names(bad), EINVAL);
  return {};
}

Result<uint64_t> capability_mask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& name : names) {
    auto cap = capability_from_name(name);
    if (!cap) return fail("unknown capability \"" + name + "\"", EINVAL);
    mask |= uint64_t{1} << *cap;
  }
  return mask;
}

std::vector<std::string> capability_names_from_mask(uint64_t mask) {
  std::vector<std::string> out;
  for (size_t cap = 0; cap < kNames.size(); ++cap) {
    if (mask & (uint64_t{1} << cap)) out.emplace_back(kNames[cap]);
  }
  return out;
}

Result<std::vector<std::string>> bounding_capabilities() {
  auto mask = read_bounding();
  if (!mask) return std::unexpected(mask.error());
  return capability_names_from_mask(*mask);
}

Result<void> keep_capabilities_across_setuid() {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail_errno("prctl(PR_SET_KEEPCAPS, 1)");
  return {};
}

Result<void> apply_capabilities(const Capabilities& caps) {
  if (auto ok = validate_capabilities(caps); !ok) return ok;
  uint64_t skipped = 0;
  auto want = parse(caps, kernel_last_cap(), &skipped);
  if (!want) return std::unexpected(want.error());
  if (skipped != 0)
    spdlog::warn("ignoring capabilities unknown to this kernel (cap_last_cap {}): {}", kernel_last_cap(),
                 join_names(skipped));

  CapState current(cap_get_proc());
  if (!current) return fail_errno("cap_get_proc");
  auto held = read_mask(current.get(), CAP_PERMITTED);
  if (!held) return std::unexpected(held.error());

  // capset can only shrink the permitted set: name what the runtime cannot give.
  if (uint64_t missing = want->permitted & ~*held) {
    std::string msg = "capabilities not held by the runtime, cannot grant: " + join_names(missing);
    if (*held == 0 && getuid() != 0) msg += " (permitted set empty after setuid: call keep_capabilities_across_setuid first)";
    return fail(std::move(msg), EPERM);
  }

  // After a uid change the effective set is empty; raise it to the permitted set so
  // CAP_SETPCAP is effective for the bounding-set drop.
  if (auto ok = set_process_caps(*held, *held, 0); !ok) return std::unexpected(ok.error().wrapped("raise effective"));

  // Bounding: drop everything not asked for. A cap asked for but already absent stays
  // absent (the set only shrinks), as with runc.
  auto bounding = read_bounding();
  if (!bounding) return std::unexpected(bounding.error());
  for (int cap = 0; cap <= kernel_last_cap() && cap < 64; ++cap) {
    const uint64_t bit = uint64_t{1} << cap;
    if ((*bounding & bit) && !(want->bounding & bit)) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
        return fail_errno("prctl(PR_CAPBSET_DROP, " + capability_name(cap) + ")");
    }
  }

  if (auto ok = set_process_caps(want->effective, want->permitted, want->inheritable); !ok) return ok;

  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail_errno("prctl(PR_SET_KEEPCAPS, 0)");

  // Ambient: EINVAL from the reset means a kernel without ambient support (< 4.3);
  // fine unless some were asked for.
  if (cap_reset_ambient() != 0 && (errno != EINVAL || want->ambient != 0)) return fail_errno("reset ambient capabilities");
  for (int cap = 0; cap <= kernel_last_cap() && cap < 64; ++cap) {
    if (!(want->ambient & (uint64_t{1} << cap))) continue;
    if (cap_set_ambient(static_cast<cap_value_t>(cap), CAP_SET) != 0)
      return fail_errno("raise ambient capability " + capability_name(cap));
  }
  return {};
}

}  // namespace stack::runtime
