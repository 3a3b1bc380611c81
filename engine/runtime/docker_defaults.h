// Docker Engine's defaults for a container (moby oci/defaults.go, oci/caps/defaults.go,
// profiles/seccomp/default.json), written here from reading them, so a compose service
// gets the same confinement under stack as under Docker.
#pragma once

#include <string>
#include <vector>

#include "engine/runtime/spec.h"

namespace stack::runtime {

// CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP
// NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE in bounding, effective, permitted;
// inheritable and ambient empty (Docker 20.10+: runc-spec defaults, no inheritable).
Capabilities docker_default_capabilities();

// Docker's default seccomp profile for the default capability set on the native arch:
// defaultAction SCMP_ACT_ERRNO (EPERM), ~370 allowed names, clone without namespace
// flags, clone3 -> ENOSYS, personality and socket by argument (moby profiles v0.2.3:
// AF_ALG and AF_VSOCK refused, newer than Docker 20.10's profile).
Seccomp docker_default_seccomp();

// The profile Docker computes for a given effective capability set: rules whose
// includes.caps are all held are added, rules whose excludes.caps are held are dropped
// (e.g. with CAP_SYS_ADMIN: unshare, mount, setns, clone without flag masks...).
// Filtering by arch uses the native arch (x86_64 -> SCMP_ARCH_X86_64, X86, X32).
Seccomp docker_default_seccomp_for(const Capabilities& caps);

// /proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats
// /proc/sched_debug /proc/scsi /proc/timer_list /proc/timer_stats /sys/devices/virtual/powercap
// /sys/firmware, and /sys/devices/system/cpu/cpuN/thermal_throttle where they exist
// (current moby; /proc/interrupts and thermal_throttle came with GHSA-6fw5-f8r9-fgfm).
std::vector<std::string> docker_default_masked_paths();

// /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger
std::vector<std::string> docker_default_readonly_paths();

// /dev/null zero full random urandom tty (char devices, mode 0666, uid/gid 0).
// /dev/ptmx is not a device node: the core makes it a symlink to pts/ptmx, with
// /dev/pts mounted newinstance,ptmxmode=0666 (see docker_default_mounts).
std::vector<Device> docker_default_devices();

// The device cgroup a Docker container ends up with, in order: Docker's spec rules
// (deny all; allow 1:5 1:3 1:9 1:8 5:0 5:1; deny 10:229 /dev/fuse) then what runc
// appends for every container (mknod of any c/b, the default devices, /dev/pts/* 136:*,
// /dev/ptmx 5:2, /dev/net/tun 10:200). Later rules win, as in the device cgroup.
std::vector<DeviceCgroupRule> docker_default_device_rules();

// /proc, /dev (tmpfs), /dev/pts, /sys (ro), /sys/fs/cgroup (ro), /dev/mqueue, /dev/shm (64m)
// with Docker's options.
std::vector<Mount> docker_default_mounts();

}  // namespace stack::runtime
