#!/usr/bin/env bash
# Start-to-exit latency of `stack runtime run` against `runc run` (and crun
# when it is installed and can run here) on the very same busybox OCI bundle
# running `true`, in one hyperfine run (-N: no shell in between).
# Usage (root): bench/runtime.sh [STACK_BINARY] [RUNS]   (default $STACK or build/stack, 100 runs)
# The hyperfine JSON goes to $BENCH_JSON (default build/bench-runtime.json).
set -euo pipefail
STACK=${1:-${STACK:-}}
[[ -n $STACK ]] && STACK=$(realpath "$STACK")
cd "$(dirname "$0")/.."
STACK=${STACK:-$PWD/build/stack}
RUNS=${2:-${RUNS:-100}}
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}
die() { echo "bench/runtime.sh: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root"
[[ -x $STACK ]] || die "stack binary not found: $STACK"
[[ -x $RUNC ]] || die "runc not found at $RUNC (apt-get install runc)"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
((RUNS >= 50)) || die "use at least 50 runs"

work=$(mktemp -d /tmp/stack-bench-runtime.XXXXXX)
id="stack-bench-$$"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  "$RUNC" --root "$work/root-runc" delete -f "$id" >/dev/null 2>&1 || true
  "$STACK" runtime --root "$work/root-stack" delete -f "$id" >/dev/null 2>&1 || true
  if command -v crun >/dev/null; then crun --root "$work/root-crun" delete -f "$id" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  local d
  for d in /sys/fs/cgroup/*/"$id"; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
  return 0
}
trap cleanup EXIT

# The busybox rootfs, as shared/conformance/images/busybox/make-rootfs.sh makes it.
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev} "$work"/root-{runc,stack,crun}
cp "$BUSYBOX" "$rootfs/bin/busybox"
"$rootfs/bin/busybox" chroot "$rootfs" /bin/busybox --install -s
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

# runc spec's defaults (read-only root, 3 caps, no_new_privileges, masked
# paths, pid/net/ipc/uts/mount namespaces, cgroups), no terminal, `true`.
# The runtimes run one after another, so they share the bundle and cgroup path.
(cd "$work/bundle" && "$RUNC" spec)
jq --arg cg "/$id" '.process.terminal = false | .process.args = ["true"] | .linux.cgroupsPath = $cg' \
  "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

names=(stack runc)
cmds=("$STACK runtime --root $work/root-stack run -b $work/bundle $id"
      "$RUNC --root $work/root-runc run -b $work/bundle $id")
if command -v crun >/dev/null; then
  if err=$(crun --root "$work/root-crun" run -b "$work/bundle" "$id" </dev/null 2>&1); then
    names+=(crun)
    cmds+=("crun --root $work/root-crun run -b $work/bundle $id")
  else
    crun --root "$work/root-crun" delete -f "$id" >/dev/null 2>&1 || true
    echo "crun $(crun --version | sed -n 's/^crun version //p') skipped: it cannot run here: $err"
  fi
else
  echo "crun not installed: skipped"
fi
for i in "${!names[@]}"; do  # each must work before it is timed
  # shellcheck disable=SC2086
  ${cmds[$i]} </dev/null >/dev/null 2>"$work/check.err" || die "${names[$i]} cannot run the bundle: $(cat "$work/check.err")"
done

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
json=$(realpath -m "${BENCH_JSON:-build/bench-runtime.json}")
mkdir -p "$(dirname "$json")"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$json" "${cmds[@]}" >/dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "start to exit of a busybox bundle running \`true\`, $RUNS runs each (median; mean ± stddev; min, max):"
jq -r '.results[] | [.median, .mean, .stddev, .min, .max] | map(. * 1000) | @tsv' "$json" |
  paste <(printf '%s\n' "${names[@]}") - |
  awk -F'\t' 'NR == 1 { base = $2 }
    { printf "%-6s median %6.2f ms   mean %6.2f ± %5.2f ms   min %6.2f   max %6.2f ms   %5.2fx stack\n", $1, $2, $3, $4, $5, $6, $2 / base
      if (NR > 1) ratio = ratio sprintf("; %s/stack = %.2f", $1, $2 / base) }
    END { print "ratio of medians" substr(ratio, 2) }'
echo "hyperfine JSON: $json"

# Nothing left: each `run` removed its container and cgroup.
for d in /sys/fs/cgroup/*/"$id"; do [[ -d $d ]] && die "cgroup left behind: $d"; done
if grep -q " $work" /proc/self/mounts; then die "mounts left under $work"; fi
exit 0
