#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2001  # the single-quoted scripts are for the container's shell
# Side by side with runc: the same OCI bundles (made with `runc spec`, edited
# with jq, on a busybox rootfs) run under `runc run` and `stack runtime run`,
# and what the container sees is compared. One line per check:
#   same: <check>               both runtimes gave the same result
#   DIFF: <check>               they differ (both outputs follow); exit 1
#   known difference: <check>   a documented, expected difference (explained)
# Usage (root): tests/runc_compare.sh [STACK_BINARY]   (default $STACK or build/stack)
# Each runtime gets its own --root and rootfs copy in a temp dir, container ids
# and cgroup paths are unique (stack-test-<pid>-...), and everything is removed
# at the end; the script fails if a mount, cgroup or state dir is left behind.
set -uo pipefail
STACK=${1:-${STACK:-}}
[[ -n $STACK ]] && STACK=$(realpath "$STACK" 2>/dev/null || echo "$STACK")
cd "$(dirname "$0")/.." || exit 2
STACK=${STACK:-$PWD/build/stack}
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { echo "runc_compare: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root"
[[ -x $STACK ]] || die "stack binary not found: $STACK (pass it as \$1 or \$STACK)"
[[ -x $RUNC ]] || die "runc not found at $RUNC (apt-get install runc)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
[[ -x $BUSYBOX ]] || die "busybox not found at $BUSYBOX (apt-get install busybox-static)"

work=$(mktemp -d /tmp/stack-runc-compare.XXXXXX)
prefix="stack-test-$$"
runtimes=(runc stack)
declare -A root=([runc]="$work/root-runc" [stack]="$work/root-stack")
ids=()      # "runtime id" pairs, for cleanup
declare -A killed_rc
diffs=0
knowns=0
sames=0

rt() { # rt RUNTIME ARGS... : the runtime's CLI with its own state root
  if [[ $1 == runc ]]; then "$RUNC" --root "${root[runc]}" "${@:2}"
  else "$STACK" runtime --root "${root[stack]}" "${@:2}"; fi
}

cleanup() {
  local pair r id
  for pair in "${ids[@]}"; do
    read -r r id <<<"$pair"
    rt "$r" delete -f "$id" >/dev/null 2>&1 || true
  done
  # Anything still mounted under the temp dir would make rm -rf dangerous.
  if grep -q " $work" /proc/self/mounts; then
    echo "runc_compare: mounts left under $work:" >&2
    grep " $work" /proc/self/mounts >&2
    grep " $work" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  fi
  rm -rf "$work"
  local d
  for d in /sys/fs/cgroup/*/"$prefix"-* /sys/fs/cgroup/"$prefix"-*; do
    [[ -d $d ]] && rmdir "$d" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the busybox rootfs (as shared/conformance/images/busybox/make-rootfs.sh) ---
make_rootfs() {
  local stage=$1
  mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev}
  cp "$BUSYBOX" "$stage/bin/busybox"
  chmod 0755 "$stage" "$stage/bin/busybox"
  "$stage/bin/busybox" chroot "$stage" /bin/busybox --install -s 2>/dev/null || {
    local applet
    for applet in $("$BUSYBOX" --list-full); do
      [[ $applet == bin/busybox ]] && continue
      mkdir -p "$stage/$(dirname "$applet")"
      ln -sf /bin/busybox "$stage/$applet"
    done
  }
  [[ -L $stage/bin/sh ]] || die "no applet links in $stage"
  chmod 1777 "$stage/tmp"
  chmod 0700 "$stage/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$stage/etc/passwd"
  printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$stage/etc/group"
}
make_rootfs "$work/rootfs-base"
for r in "${runtimes[@]}"; do
  cp -a "$work/rootfs-base" "$work/rootfs-$r"
  mkdir -p "${root[$r]}"
done
(cd "$work" && "$RUNC" spec) || die "runc spec failed"
# runc spec's defaults, plus: no terminal (output is captured), a hostname of
# our own. Everything else (caps, masked paths, mounts, nofile 1024, read-only
# root, no_new_privileges) is runc's default spec, the same file for both.
jq '.process.terminal = false | .hostname = "cmp-host"' "$work/config.json" >"$work/base.json" ||
  die "jq failed on runc spec's config.json"

# --- running a bundle under both runtimes ---
n=0
# run_both NAME JQ_FILTER [JQ_ARGS...]: makes bundle NAME for each runtime
# (base spec | filter), runs it, keeps stdout+stderr in $work/out/NAME.RUNTIME.{out,err,rc}
run_both() {
  local name=$1 filter=$2 r id b
  shift 2
  mkdir -p "$work/out"
  for r in "${runtimes[@]}"; do
    n=$((n + 1))
    id="$prefix-$n-$r"
    b="$work/bundles/$name-$r"
    mkdir -p "$b"
    jq "$@" --arg rootfs "$work/rootfs-$r" --arg cg "/$id" \
      "$filter | .root.path = \$rootfs | .linux.cgroupsPath = \$cg" \
      "$work/base.json" >"$b/config.json" || die "jq filter for $name failed"
    ids+=("$r $id")
    local cmd=("$STACK" runtime --root "${root[stack]}")
    [[ $r == runc ]] && cmd=("$RUNC" --root "${root[runc]}")
    timeout 10 "${cmd[@]}" run -b "$b" "$id" </dev/null >"$work/out/$name.$r.out" 2>"$work/out/$name.$r.err"
    echo $? >"$work/out/$name.$r.rc"
    # `run` removes the container when it exits; a leftover is a failure below.
  done
}
out() { cat "$work/out/$1.$2.out"; }
rc() { cat "$work/out/$1.$2.rc"; }
errtxt() { cat "$work/out/$1.$2.err"; }

short() { # the value on one line, if it is short enough to show after "same:"
  local v
  v=$(tr '\n' ' ' <<<"$1" | sed 's/  */ /g; s/ $//')
  ((${#v} <= 90)) && printf '  [%s]' "$v"
}
indent() { sed 's/^/      /'; }
# report CHECK RUNC_RESULT STACK_RESULT
report() {
  if [[ $2 == "$3" ]]; then
    sames=$((sames + 1))
    echo "same: $1$(short "$2")"
  else
    diffs=$((diffs + 1))
    echo "DIFF: $1"
    echo "    runc:";  indent <<<"$2"
    echo "    stack:"; indent <<<"$3"
  fi
}
known() { # known CHECK WHY RUNC_RESULT STACK_RESULT
  knowns=$((knowns + 1))
  echo "known difference: $1 ($2)"
  echo "    runc:";  indent <<<"$3"
  echo "    stack:"; indent <<<"$4"
}
# compare NAME CHECK: stdout and exit code of bundle NAME
compare() {
  report "$2" "$(out "$1" runc; echo "exit $(rc "$1" runc)")" "$(out "$1" stack; echo "exit $(rc "$1" stack)")"
}
sh_args() { printf '.process.args = ["sh", "-c", %s]' "$(jq -Rs . <<<"$1")"; }

# ================================ the checks ================================
echo "runc_compare: $("$RUNC" --version | head -1) vs $STACK; work dir $work"

run_both id "$(sh_args 'id')"
compare id "id (uid/gid from the default spec)"

run_both hostname "$(sh_args 'hostname; cat /proc/sys/kernel/hostname')"
compare hostname "hostname from the spec"

run_both exit0 '.process.args = ["true"]'
compare exit0 "exit code 0"
run_both exit3 "$(sh_args 'exit 3')"
compare exit3 "exit code 3"
run_both exit127sh "$(sh_args 'no-such-command-here')"
compare exit127sh "exit code 127 (shell: command not found)"
run_both kill9 "$(sh_args 'kill -9 $$; echo still here')"
compare kill9 "pid 1 survives its own kill -9 (pid namespace init)"
# SIGKILL from outside: `run` exits 128+9. The container's pid is read from --pid-file.
for r in "${runtimes[@]}"; do
  n=$((n + 1)); id="$prefix-$n-$r"; b="$work/bundles/killed-$r"; mkdir -p "$b"
  jq --arg rootfs "$work/rootfs-$r" --arg cg "/$id" \
    '.process.args = ["sleep", "30"] | .root.path = $rootfs | .linux.cgroupsPath = $cg' \
    "$work/base.json" >"$b/config.json"
  ids+=("$r $id")
  rt "$r" run -b "$b" --pid-file "$work/killed-$r.pid" "$id" </dev/null >/dev/null 2>"$work/killed-$r.err" &
  bg=$!
  for _ in $(seq 100); do [[ -s $work/killed-$r.pid ]] && break; sleep 0.05; done
  if [[ -s $work/killed-$r.pid ]]; then
    kill -KILL "$(cat "$work/killed-$r.pid")"
    wait "$bg"; killed_rc[$r]="exit $?"
  else
    kill -KILL "$bg"; wait "$bg"; killed_rc[$r]="no pid file after 5 s: $(cat "$work/killed-$r.err")"
  fi
done
report "exit code 137 (pid 1 killed by SIGKILL from the host)" "${killed_rc[runc]}" "${killed_rc[stack]}"

run_both missing '.process.args = ["/no/such/binary"]'
r_res="exit $(rc missing runc): $(errtxt missing runc)"
s_res="exit $(rc missing stack): $(errtxt missing stack)"
if [[ $(rc missing runc) == 1 && $(rc missing stack) == 127 ]]; then
  known "exit code for a missing executable" \
    "runc exits 1 with its own message, stack exits 127 as Docker does" "$r_res" "$s_res"
else
  report "exit code for a missing executable (expected runc 1, stack 127)" "$r_res" "$s_res"
fi
run_both noexec '.process.args = ["/etc/passwd"]'
r_res="exit $(rc noexec runc): $(errtxt noexec runc)"
s_res="exit $(rc noexec stack): $(errtxt noexec stack)"
if [[ $(rc noexec runc) == 1 && $(rc noexec stack) == 126 ]]; then
  known "exit code for a file that is not executable" \
    "runc exits 1 with its own message, stack exits 126 as Docker does" "$r_res" "$s_res"
else
  report "exit code for a file that is not executable (expected runc 1, stack 126)" "$r_res" "$s_res"
fi

# Mounts. Sources and fs data (size=, mode=, gid=, ptmxmode=, atime flags) are
# taken from the spec by both; compared first: mount points and fs types in
# order, then the flags a container's safety depends on (ro/rw, nosuid, nodev,
# noexec) per mount point.
run_both mounts "$(sh_args 'cat /proc/self/mounts')"
shape() { awk '{print $2, $3}' <<<"$1" | sort; }
report "mount list shape (mount points and fs types, sorted)" \
  "$(shape "$(out mounts runc)")" "$(shape "$(out mounts stack)")"
report "mount list order (mount points in /proc/self/mounts order)" \
  "$(awk '{print $2}' <<<"$(out mounts runc)")" "$(awk '{print $2}' <<<"$(out mounts stack)")"
flags() {
  awk '{ n = split($4, o, ","); f = "";
         for (i = 1; i <= n; i++) if (o[i] ~ /^(ro|rw|nosuid|nodev|noexec)$/) f = f (f == "" ? "" : ",") o[i];
         print $2, $3, f }' <<<"$1" | sort
}
r_flags=$(flags "$(out mounts runc)")
s_flags=$(flags "$(out mounts stack)")
# runc 1.1 leaves the tmpfs under a read-only /sys/fs/cgroup writable (older
# runc remounted it ro); stack mounts it read-only as the spec's "ro" asks.
cg_known='/sys/fs/cgroup tmpfs'
r_rest=$(grep -v "^$cg_known " <<<"$r_flags")
s_rest=$(grep -v "^$cg_known " <<<"$s_flags")
report "mount flags ro/rw,nosuid,nodev,noexec per mount point (except /sys/fs/cgroup's tmpfs; ignored: sources, size=, mode=, gid=, ptmxmode=, atime flags)" \
  "$r_rest" "$s_rest"
r_cg=$(grep "^$cg_known " <<<"$r_flags")
s_cg=$(grep "^$cg_known " <<<"$s_flags")
if [[ $r_cg == "$s_cg" ]]; then
  report "mount flags of the /sys/fs/cgroup tmpfs" "$r_cg" "$s_cg"
elif [[ $r_cg == "$cg_known rw,nosuid,nodev,noexec" && $s_cg == "$cg_known ro,nosuid,nodev,noexec" ]]; then
  known "mount flags of the /sys/fs/cgroup tmpfs" \
    "runc 1.1 leaves it rw under a read-only cgroup mount; stack honours the spec's ro" "$r_cg" "$s_cg"
else
  report "mount flags of the /sys/fs/cgroup tmpfs" "$r_cg" "$s_cg"
fi

# cgroups as seen from inside: which cgroup the process is in (the bundle's
# cgroupsPath, unique per runtime, shown as CGPATH) and which directory each
# v1 hierarchy mount shows (mountinfo's root field).
run_both cgroups "$(sh_args 'cat /proc/self/cgroup; echo --; grep " /sys/fs/cgroup" /proc/self/mountinfo | cut -d" " -f4,5,9')"
norm_cg() { sed -E "s#/$prefix-[0-9]+-$1#CGPATH#g" <<<"$2"; }
# On a hybrid host the controller-less cgroup2 hierarchy ("0::") is compared apart:
# runc moves the process there too; stack does not (no controllers live there, and a
# cgroup2 move waits for an RCU grace period, 10-15 ms per start).
r_members=$(norm_cg runc "$(out cgroups runc | sed '/^--$/q')")
s_members=$(norm_cg stack "$(out cgroups stack | sed '/^--$/q')")
report "cgroup membership in the v1 hierarchies (/proc/self/cgroup, cgroupsPath shown as CGPATH)" \
  "$(grep -v '^0::' <<<"$r_members")" "$(grep -v '^0::' <<<"$s_members")"
r_unified=$(grep '^0::' <<<"$r_members" || true)
s_unified=$(grep '^0::' <<<"$s_members" || true)
if [[ $r_unified == "$s_unified" ]]; then
  report "cgroup membership in the unified hierarchy" "$r_unified" "$s_unified"
elif [[ $r_unified == "0::CGPATH" && $s_unified == "0::/" && -n $(grep -w cgroup /proc/self/mountinfo) ]]; then
  known "cgroup membership in the hybrid layout's controller-less cgroup2 hierarchy" \
    "stack leaves the process at the root there: nothing is controlled there and the move costs 10-15 ms" \
    "$r_unified" "$s_unified"
else
  report "cgroup membership in the unified hierarchy" "$r_unified" "$s_unified"
fi
report "cgroup mounts: directory each hierarchy shows (mountinfo root, mount point, type)" \
  "$(norm_cg runc "$(out cgroups runc | sed '1,/^--$/d')")" "$(norm_cg stack "$(out cgroups stack | sed '1,/^--$/d')")"

# Capabilities, no_new_privileges, seccomp: runc spec's defaults (3 caps,
# ambient too, noNewPrivileges), then Docker's 14 default caps without
# noNewPrivileges, then a seccomp filter.
status_sec='grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters):" /proc/self/status'
run_both caps "$(sh_args "$status_sec")"
compare caps "/proc/self/status Cap*, NoNewPrivs, Seccomp (runc spec's default caps)"
docker_caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
run_both caps_docker "$(sh_args "$status_sec") | .process.noNewPrivileges = false
  | .process.capabilities = {bounding: \$c, effective: \$c, permitted: \$c, inheritable: \$c}" \
  --argjson c "$docker_caps"
compare caps_docker "/proc/self/status Cap*, NoNewPrivs, Seccomp (Docker's default caps, no no_new_privileges)"
run_both seccomp "$(sh_args "$status_sec; mkdir /tmp/cmp-dir 2>&1; echo mkdir=\$?; ls -d /tmp/cmp-dir 2>&1") | .root.readonly = false
  | .linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", architectures: [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_AARCH64\"],
      syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 1}]}"
compare seccomp "seccomp filter from the spec (mkdir -> EPERM) and Seccomp status"

# Namespaces.
run_both netdev "$(sh_args 'cat /proc/net/dev')"
ifnames() { sed -n '3,$p' <<<"$1" | cut -d: -f1 | tr -d ' ' | sort; }
report "net namespace: interfaces in /proc/net/dev" \
  "$(ifnames "$(out netdev runc)"; echo "exit $(rc netdev runc)")" "$(ifnames "$(out netdev stack)"; echo "exit $(rc netdev stack)")"
run_both pid1 "$(sh_args 'echo $$; echo /proc/[0-9]*; cat /proc/1/cmdline | tr "\\0" " "')"
compare pid1 "pid namespace: echo \$\$, the processes in /proc (shell glob, no fork), /proc/1/cmdline"

# Process: user (uid, gid, additional gids), args, env, cwd (made if missing), umask.
run_both process "$(sh_args 'printf "%s|" "$0" "$@"; echo; pwd; id; umask; env | sort') |
  .process.args += [\"zero\", \"a b\", \"\", \"c\"] | .root.readonly = false
  | .process.user = {uid: 65534, gid: 65534, additionalGids: [5, 1000]}
  | .process.cwd = \"/tmp/cmp/cwd\"
  | .process.env = [\"PATH=/usr/bin:/bin\", \"CMP_A=one two\", \"CMP_EMPTY=\", \"HOME=/home\"]"
compare process "process: args, env, cwd (created), user uid/gid/additionalGids, umask"
run_both umask "$(sh_args 'umask; touch /tmp/cmp-umask; stat -c %a /tmp/cmp-umask') | .root.readonly = false
  | .process.user.umask = 23"
compare umask "process.user.umask 027"

# rlimits: lowering is always allowed (no CAP_SYS_RESOURCE here; hard nofile 20000).
run_both rlimits "$(sh_args 'ulimit -n; ulimit -Hn; grep -E "^Max (open files|core file size|processes)" /proc/self/limits') |
  .process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: 4000, hard: 8000}, {type: \"RLIMIT_CORE\", soft: 0, hard: 0},
                      {type: \"RLIMIT_NPROC\", soft: 500, hard: 1000}]"
compare rlimits "rlimits from the spec (nofile 4000/8000, core 0, nproc 500/1000)"

# cgroup limits, read back inside: first at the path a container reads
# (/sys/fs/cgroup/memory/memory.limit_in_bytes, or the v2 file), then in the
# container's own cgroup directory when it is visible under the mount.
limits='
  m=/sys/fs/cgroup/memory/memory.limit_in_bytes; [ -e $m ] || m=/sys/fs/cgroup/memory.max
  p=/sys/fs/cgroup/pids/pids.max; [ -e $p ] || p=/sys/fs/cgroup/pids.max
  echo "memory: $(cat $m 2>&1)"; echo "pids: $(cat $p 2>&1)"
  cm=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup); cp=$(sed -n "s/^[0-9]*:pids://p" /proc/self/cgroup)
  m2=/sys/fs/cgroup/memory$cm/memory.limit_in_bytes; [ -e $m2 ] || m2=$m
  p2=/sys/fs/cgroup/pids$cp/pids.max; [ -e $p2 ] || p2=$p
  echo "applied memory: $(cat $m2 2>&1)"; echo "applied pids: $(cat $p2 2>&1)"'
run_both limits "$(sh_args "$limits") | .linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 42}"
lim() { grep "^$3" <<<"$(out "$1" "$2")"; echo "exit $(rc "$1" "$2")"; }
report "memory limit 64 MiB, read at /sys/fs/cgroup/memory/memory.limit_in_bytes (or memory.max)" \
  "$(lim limits runc 'memory:')" "$(lim limits stack 'memory:')"
report "pids limit 42, read at /sys/fs/cgroup/pids/pids.max" \
  "$(lim limits runc 'pids:')" "$(lim limits stack 'pids:')"
report "memory and pids limits as applied (in the container's own cgroup dir)" \
  "$(lim limits runc 'applied')" "$(lim limits stack 'applied')"

# Read-only root, masked and read-only paths, /dev.
run_both readonly "$(sh_args 'touch /cmp-ro 2>&1; echo touch=$?; mkdir /tmp/x 2>&1; echo mkdir=$?')"
compare readonly "read-only root: touch / and mkdir /tmp fail the same way"
run_both masked "$(sh_args 'cat /proc/kcore 2>&1 | head -c 200; echo kcore=$?; echo keys: $(wc -c </proc/keys); echo acpi: $(ls /proc/acpi | wc -l); echo firmware: $(ls /sys/firmware | wc -l); echo x > /proc/sys/kernel/hostname; echo write-proc-sys=$?') "
compare masked "masked paths (/proc/kcore, /proc/keys, /proc/acpi, /sys/firmware) and read-only /proc/sys"
run_both dev "$(sh_args 'ls -la /dev /dev/pts /dev/shm /dev/mqueue | sed -E "s/ +/ /g" | cut -d" " -f1,5,6,10- | grep -v -e "^total" -e "^$"')"
compare dev "/dev: entries, types, modes, device numbers"

# After all runs: `run` removed every container and its state.
declare -A left
for r in "${runtimes[@]}"; do
  left[$r]=$(ls -A "${root[$r]}" 2>&1; rt "$r" list 2>&1 | sed -n '2,$p')
done
report "state root empty and list empty after run" "${left[runc]}" "${left[stack]}"

# ============================== nothing left ===============================
leftover=0
for pair in "${ids[@]}"; do
  read -r r id <<<"$pair"
  for d in /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/unified/"$id"; do
    if [[ -d $d ]]; then echo "LEFT BEHIND by $r: cgroup $d"; leftover=1; fi
  done
done
if grep -q " $work" /proc/self/mounts; then
  echo "LEFT BEHIND: mounts under $work"; grep " $work" /proc/self/mounts | indent; leftover=1
fi
for p in /proc/[0-9]*; do
  if [[ $(readlink "$p/root" 2>/dev/null) == "$work"/* ]]; then
    echo "LEFT BEHIND: process ${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline"))"; leftover=1
  fi
done
((leftover)) || echo "ok: nothing left behind (cgroups, mounts, processes)"

echo "runc_compare: $sames same, $knowns known differences, $diffs DIFF"
((diffs == 0 && leftover == 0))
