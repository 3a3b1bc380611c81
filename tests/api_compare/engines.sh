# shellcheck shell=bash
# Private engines for tests/api_compare/run.sh and bench/daemon.sh (sourced).
# Every engine runs on its own temp dirs under a work dir, on a unix socket,
# without networking (Docker: --bridge=none --iptables=false; containers use
# NetworkMode none), and is taken down with everything it left: processes
# (by pid, only those whose command line, cwd or open files point into the
# work dir), mounts under the work dir, the work dir itself. No registry and
# no pulls: the image is a busybox rootfs tarball made here and imported.

AC_DOCKERD=${AC_DOCKERD:-/usr/sbin/dockerd}
AC_DOCKER=${AC_DOCKER:-docker}
AC_PODMAN=${AC_PODMAN:-podman}
AC_BUSYBOX=${AC_BUSYBOX:-/bin/busybox}
AC_IMAGE_REPO=apicompare/busybox
AC_IMAGE=$AC_IMAGE_REPO:latest

ac_log() { echo "[$(date +%T)] $*" >&2; }

# ac_make_rootfs OUT.tar: the busybox rootfs (as shared/conformance's
# make-rootfs.sh: busybox-static, an applet symlink each, passwd/group, /tmp 1777),
# reproducible (numeric owners, sorted, fixed mtime).
ac_make_rootfs() {
  local out=$1 stage
  stage=$(mktemp -d "${out%/*}/rootfs-stage.XXXXXX")
  mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev}
  cp "$AC_BUSYBOX" "$stage/bin/busybox"
  chmod 0755 "$stage/bin/busybox" "$stage"
  "$stage/bin/busybox" chroot "$stage" /bin/busybox --install -s
  chmod 1777 "$stage/tmp"
  chmod 0700 "$stage/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$stage/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@946684800 -C "$stage" -cf "$out" .
  rm -rf "$stage"
}

# ac_pids_under DIR: pids of processes whose cmdline, cwd, root or open fds point into DIR.
ac_pids_under() {
  local dir=${1%/}/ p f
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    if { tr "\0" " " <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$dir"; then echo "$p"; continue; fi
    f=$(readlink "/proc/$p/cwd" 2>/dev/null || true)
    if [[ $f == "$dir"* ]]; then echo "$p"; continue; fi
    for f in /proc/"$p"/fd/*; do
      if [[ $(readlink "$f" 2>/dev/null) == "$dir"* ]]; then echo "$p"; break; fi
    done
  done
}

# ac_kill_under DIR: SIGKILL (by pid) every process still pointing into DIR.
ac_kill_under() {
  local dir=$1 pids i
  for i in 1 2 3 4 5; do
    mapfile -t pids < <(ac_pids_under "$dir")
    ((${#pids[@]})) || return 0
    ac_log "killing leftover processes under $dir: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.3
  done
}

# ac_umount_under DIR: unmount everything mounted at or below DIR, deepest first.
ac_umount_under() {
  local dir=${1%/} m
  for _ in 1 2 3; do
    mapfile -t m < <(awk -v d="$dir" '{ gsub(/\\040/, " ", $2); if ($2 == d || index($2, d "/") == 1) print $2 }' /proc/self/mounts | sort -r)
    ((${#m[@]})) || return 0
    for x in "${m[@]}"; do umount "$x" 2>/dev/null || umount -l "$x" 2>/dev/null || true; done
  done
}

# ac_leftovers DIR: prints what is still there (mounts, processes); status 1 if anything.
ac_leftovers() {
  local dir=$1 bad=0 m p
  m=$(awk -v d="${dir%/}" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts)
  [[ -n $m ]] && { echo "left mounted: $m"; bad=1; }
  p=$(ac_pids_under "$dir" | tr '\n' ' ')
  [[ -n ${p// /} ]] && { echo "left running: $p"; bad=1; }
  [[ -e $dir ]] && { echo "left on disk: $dir"; bad=1; }
  return $bad
}

# Parent cgroups an engine makes in every v1 controller (and the v2 mount):
# ac_cgroups_note NAME records whether they exist; ac_cgroups_drop NAME removes
# the empty ones it created (depth first; a cgroup with processes stays).
declare -A AC_CGROUP_NEW=()
ac_cgroups_note() {
  local name=$1 d
  AC_CGROUP_NEW[$name]=
  for d in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
    [[ -d $d ]] && return 0
  done
  AC_CGROUP_NEW[$name]=1
}
ac_cgroups_drop() {
  local name=$1 d
  [[ ${AC_CGROUP_NEW[$name]:-} == 1 ]] || return 0
  for d in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  AC_CGROUP_NEW[$name]=
  return 0
}

# ac_wait_ping SOCK SECONDS
ac_wait_ping() {
  local sock=$1 secs=${2:-20} i
  for ((i = 0; i < secs * 10; i++)); do
    curl -sf --max-time 2 --unix-socket "$sock" http://api/_ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# ac_api SOCK METHOD PATH [curl args...]: body to stdout, fails on >= 400.
ac_api() {
  local sock=$1 method=$2 path=$3
  shift 3
  curl -sf --max-time 120 --unix-socket "$sock" -X "$method" "$@" "http://api$path"
}

# ac_remove_all_containers SOCK: force-remove every container through the API.
ac_remove_all_containers() {
  local sock=$1 id
  for id in $(ac_api "$sock" GET '/containers/json?all=1' 2>/dev/null | jq -r '.[].Id' 2>/dev/null); do
    ac_api "$sock" DELETE "/containers/$id?force=1&v=1" >/dev/null 2>&1 || ac_log "could not remove container $id"
  done
}

# ---- Docker (Debian's dockerd 20.10 with its own containerd) ----
# ac_dockerd_start DIR: sets DOCKER_SOCK, DOCKERD_PID. State in DIR/{data,exec}.
ac_dockerd_start() {
  local dir=$1
  mkdir -p "$dir"
  # The libtrust key would otherwise be written to /etc/docker/key.json.
  printf '{"deprecated-key-path": "%s/key.json"}\n' "$dir" >"$dir/daemon.json"
  DOCKER_SOCK=$dir/docker.sock
  ac_cgroups_note docker
  "$AC_DOCKERD" --config-file "$dir/daemon.json" --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" -H "unix://$DOCKER_SOCK" --iptables=false --ip6tables=false \
    --bridge=none --ip-forward=false --ip-masq=false --userland-proxy=false --log-level=warn \
    </dev/null >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  if ! ac_wait_ping "$DOCKER_SOCK" 30; then
    tail -20 "$dir/dockerd.log" >&2
    return 1
  fi
}

# ac_dockerd_import: the busybox image from ROOTFS_TAR, CMD ["sh"], no pull.
ac_dockerd_import() {
  local tar=$1
  ac_api "$DOCKER_SOCK" POST "/images/create?fromSrc=-&repo=$AC_IMAGE_REPO&tag=latest&changes=CMD%20%5B%22sh%22%5D" \
    -H 'Content-Type: application/x-tar' --data-binary "@$tar" >/dev/null
}

# ac_dockerd_stop DIR: remove the containers, SIGTERM dockerd (it stops its
# containerd), wait; anything left is killed and unmounted.
ac_dockerd_stop() {
  local dir=$1 i
  [[ -n ${DOCKERD_PID:-} ]] || return 0
  if kill -0 "$DOCKERD_PID" 2>/dev/null; then
    ac_remove_all_containers "$DOCKER_SOCK"
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && { ac_log "dockerd did not stop in 30 s: SIGKILL"; kill -KILL "$DOCKERD_PID"; }
  fi
  wait "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=
  ac_kill_under "$dir"
  ac_umount_under "$dir"
  ac_cgroups_drop docker
}

# ---- stack ----
# ac_stack_start STACK DIR: sets STACK_SOCK, STACKD_PID. State in DIR/root, run
# dir DIR/r: keep DIR short, the monitor's socket is <run>/containers/<64 hex>/attach.sock
# and a unix socket path has at most 107 bytes.
ac_stack_start() {
  local stack=$1 dir=$2
  mkdir -p "$dir/root" "$dir/r"
  STACK_SOCK=$dir/r/stack.sock
  "$stack" --root "$dir/root" --run-root "$dir/r" daemon </dev/null >"$dir/stackd.log" 2>&1 &
  STACKD_PID=$!
  if ! ac_wait_ping "$STACK_SOCK" 10; then
    tail -20 "$dir/stackd.log" >&2
    return 1
  fi
}

# ac_stack_import STACK DIR TAR: the same image through the CLI (before the daemon starts).
ac_stack_import() {
  local stack=$1 dir=$2 tar=$3
  mkdir -p "$dir/root" "$dir/r"
  "$stack" --root "$dir/root" --run-root "$dir/r" image import --change 'CMD ["sh"]' "$tar" "$AC_IMAGE" >/dev/null
}

# ac_stack_stop STACK DIR: remove the containers through the API, SIGTERM the
# daemon, then monitors and containers left (monitors outlive the daemon by
# design) are killed, runtime state deleted, mounts under DIR unmounted.
ac_stack_stop() {
  local stack=$1 dir=$2 i id
  if [[ -n ${STACKD_PID:-} ]]; then
    if kill -0 "$STACKD_PID" 2>/dev/null; then
      ac_remove_all_containers "$STACK_SOCK"
      kill -TERM "$STACKD_PID" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do kill -0 "$STACKD_PID" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$STACKD_PID" 2>/dev/null && { ac_log "stack daemon did not stop in 10 s: SIGKILL"; kill -KILL "$STACKD_PID"; }
    fi
    wait "$STACKD_PID" 2>/dev/null || true
    STACKD_PID=
  fi
  if [[ -d $dir/r/runtime ]]; then
    for id in $("$stack" runtime --root "$dir/r/runtime" list -q 2>/dev/null); do
      "$stack" runtime --root "$dir/r/runtime" delete -f "$id" >/dev/null 2>&1 || ac_log "runtime delete -f $id failed"
    done
  fi
  ac_kill_under "$dir"
  ac_umount_under "$dir"
}

# ---- Podman (daemonless; its own --root/--runroot/--tmpdir) ----
# ac_podman_setup DIR: sets PODMAN (the command with its flags) and CONTAINERS_CONF.
# Podman also creates a few machine-wide paths whatever the flags; those that
# did not exist before are recorded and removed by ac_podman_teardown.
AC_PODMAN_GLOBAL_PATHS=(/run/runc /run/containers /etc/containers/networks /etc/cni/net.d/cni.lock /var/lib/containers)
ac_podman_setup() {
  local dir=$1 p
  mkdir -p "$dir"
  AC_PODMAN_NEW_PATHS=()
  for p in "${AC_PODMAN_GLOBAL_PATHS[@]}"; do [[ -e $p ]] || AC_PODMAN_NEW_PATHS+=("$p"); done
  ac_cgroups_note libpod_parent
  # This machine: hard nofile limit 20000 (no CAP_SYS_RESOURCE), and Debian's
  # crun 1.8 refuses the hybrid cgroup layout, so runc (see bench/README.md).
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000","nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' >"$dir/containers.conf"
  export CONTAINERS_CONF=$dir/containers.conf
  PODMAN="$AC_PODMAN --root $dir/root --runroot $dir/run --tmpdir $dir/tmp --storage-driver overlay --network-config-dir $dir/net --cni-config-dir $dir/cni"
}

ac_podman_teardown() {
  local dir=$1 p i
  if [[ -n ${PODMAN:-} ]]; then
    $PODMAN rm -a -f -t 0 >/dev/null 2>&1 || true
  fi
  # conmon runs `podman container cleanup` when a container exits: let those finish.
  for ((i = 0; i < 100; i++)); do [[ -z $(ac_pids_under "$dir") ]] && break; sleep 0.1; done
  ac_kill_under "$dir"
  ac_umount_under "$dir"
  for p in "${AC_PODMAN_NEW_PATHS[@]}"; do
    case $p in
      /run/runc)  # runc's default root: remove it once it is empty again
        for ((i = 0; i < 30; i++)); do [[ ! -e $p ]] || rmdir "$p" 2>/dev/null && break; sleep 0.1; done
        [[ -e $p ]] && ac_log "left $p: not empty: $(ls "$p")" ;;
      *) rm -rf "$p" ;;
    esac
  done
  AC_PODMAN_NEW_PATHS=()
  ac_cgroups_drop libpod_parent
  PODMAN=
}
