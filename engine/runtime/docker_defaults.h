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

// Docker's default seccomp profile for the default capability set on the native arch.
Seccomp docker_default_seccomp();

// The profile Docker computes for a given effective capability set: rules whose
// includes.caps are all held are added, rules whose excludes.caps are held are dropped
// (e.g. with CAP_SYS_ADMIN: unshare, mount, setns, clone without flag masks...).
// Filtering by arch uses the native arch (x86_64 -> SCMP_ARCH_X86_64, X86, X32).
Seccomp docker_default_seccomp_for(const Capabilities& caps);

// /proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list
// /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap
std::vector<std::string> docker_default_masked_paths();

// /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger
std::vector<std::string> docker_default_readonly_paths();

// /dev/null zero full random urandom tty (char devices, mode 0666, uid/gid 0).
// /dev/ptmx is not a device node: the core makes it a symlink to pts/ptmx, with
// /dev/pts mounted newinstance,ptmxmode=0666 (see docker_default_mounts).
std::vector<Device> docker_default_devices();

// The device cgroup as Docker writes it into the spec: deny all ("a" rwm), then allow
// mknod of any char/block device, the default devices, /dev/pts/* (136:*), /dev/ptmx
// (5:2) and /dev/tty (5:0) etc. (moby oci/defaults.go).
std::vector<DeviceCgroupRule> docker_default_device_rules();

// /proc, /dev (tmpfs), /dev/pts, /sys (ro), /sys/fs/cgroup (ro), /dev/mqueue, /dev/shm (64m)
// with Docker's options.
std::vector<Mount> docker_default_mounts();

}  // namespace stack::runtime
