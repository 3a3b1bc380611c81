#!/usr/bin/env bash
# The engines side by side on the same busybox image, in one run:
#  1. start latency, start to exit, with hyperfine (-N, no shell):
#       stack container run --rm IMAGE true
#       docker run --rm --pull never --network none IMAGE true     (private dockerd 20.10)
#       podman run --rm --pull never --network none IMAGE true     (podman 4.3, runc)
#  2. memory (VmRSS, and PSS from /proc/PID/smaps_rollup) with 0, 10 and 50
#     idle containers (`sleep 3600`, detached, network none) of:
#       stack: the daemon + its stack-monitor processes
#       Docker: dockerd + containerd + containerd-shim-runc-v2 processes
#       Podman: no daemon; conmon per container
#
# Usage (root): bench/daemon.sh [STACK_BINARY] [RUNS]   (default build/stack, 30 runs)
#   ENGINES="stack docker podman"  the engines to measure (stack is skipped with a
#                                  message when its daemon does not answer)
#   COUNTS="0 10 50"               idle container counts for the memory table
#   BENCH_JSON                     hyperfine's JSON (default build/bench-daemon.json)
# Every engine runs privately on temp dirs (dockerd: own data/exec root and
# socket, --bridge=none --iptables=false; podman: own --root/--runroot/--tmpdir;
# stack: own --root/--run-root); no pulls, no network: the image is imported
# from a rootfs tarball made from busybox-static. Everything started is removed
# at the end, and the script says if anything was left.
set -euo pipefail
STACK=${1:-${STACK:-}}
[[ -n $STACK ]] && STACK=$(realpath "$STACK")
cd "$(dirname "$0")/.."
repo=$PWD
STACK=${STACK:-$repo/build/stack}
RUNS=${2:-${RUNS:-30}}
ENGINES=${ENGINES:-stack docker podman}
COUNTS=${COUNTS:-0 10 50}
# shellcheck source=tests/api_compare/engines.sh
source "$repo/tests/api_compare/engines.sh"
die() { echo "bench/daemon.sh: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root"
for t in hyperfine jq curl; do command -v $t >/dev/null || die "$t not found (apt-get install $t)"; done
((RUNS >= 10)) || die "use at least 10 runs"

work=$(mktemp -d /tmp/sb.XXXXXX)
cleanup() {
  local rc=$?
  set +e
  ac_stack_stop "$STACK" "$work/s"
  ac_dockerd_stop "$work/docker"
  ac_podman_teardown "$work/podman"
  rm -rf "$work"
  if ! ac_leftovers "$work"; then echo "bench/daemon.sh: something was left behind (above)" >&2; rc=1; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ac_make_rootfs "$work/rootfs.tar"
has() { [[ " $ENGINES " == *" $1 "* ]]; }
names=() cmds=() runs=()

# ---- set the engines up ----
if has stack; then
  if [[ ! -x $STACK ]]; then
    echo "stack skipped: no binary at $STACK"
  elif ! ac_stack_import "$STACK" "$work/s" "$work/rootfs.tar" 2>"$work/stack-import.err"; then
    echo "stack skipped: image import failed: $(head -3 "$work/stack-import.err")"
  elif ! ac_stack_start "$STACK" "$work/s" 2>"$work/stack-start.err"; then
    echo "stack skipped: its daemon does not answer on $STACK_SOCK: $(tail -3 "$work/stack-start.err" | tr '\n' ' ')"
    ac_stack_stop "$STACK" "$work/s"
  else
    S="$STACK --root $work/s/root --run-root $work/s/r"
    names+=(stack)
    cmds+=("$S container run --rm $AC_IMAGE true")
    runs+=("$S container run -d $AC_IMAGE sleep 3600")
  fi
fi
if has docker; then
  ac_dockerd_start "$work/docker" || die "dockerd did not start"
  ac_dockerd_import "$work/rootfs.tar" || die "image import into dockerd failed"
  D="$AC_DOCKER --config $work/docker-cli -H unix://$DOCKER_SOCK"  # own CLI config, not ~/.docker
  names+=(docker)
  cmds+=("$D run --rm --pull never --network none $AC_IMAGE true")
  runs+=("$D run -d --pull never --network none $AC_IMAGE sleep 3600")
fi
if has podman; then
  ac_podman_setup "$work/podman"
  $PODMAN import --quiet --change 'CMD ["sh"]' "$work/rootfs.tar" "$AC_IMAGE" >/dev/null || die "podman import failed"
  names+=(podman)
  cmds+=("$PODMAN run --rm --pull never --network none $AC_IMAGE true")
  runs+=("$PODMAN run -d --pull never --network none $AC_IMAGE sleep 3600")
fi
((${#names[@]})) || die "no engine to measure"
ok_names=() ok_cmds=() ok_runs=()
for i in "${!names[@]}"; do  # each must work before it is timed; stack is skipped (with the reason) if not
  # shellcheck disable=SC2086
  if ${cmds[$i]} </dev/null >/dev/null 2>"$work/check.err"; then
    ok_names+=("${names[$i]}") ok_cmds+=("${cmds[$i]}") ok_runs+=("${runs[$i]}")
  elif [[ ${names[$i]} == stack ]]; then
    echo "stack skipped: \`${cmds[$i]}\` failed: $(head -3 "$work/check.err" | tr '\n' ' ')"
  else
    die "${names[$i]} cannot run the image: $(cat "$work/check.err")"
  fi
done
names=("${ok_names[@]}") cmds=("${ok_cmds[@]}") runs=("${ok_runs[@]}")
base=${names[0]}
echo "machine: $(nproc) cores, $(uname -r); engines: ${names[*]}"

# ---- memory ----
# mem_of DIR COMM-REGEX: "<count> <VmRSS kB> <Pss kB>" over the processes under
# DIR (cmdline, cwd or open files) whose comm matches.
mem_of() {
  local dir=$1 re=$2 n=0 rss=0 pss=0 p c r s
  for p in $(ac_pids_under "$dir"); do
    c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    [[ $c =~ $re ]] || continue
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    s=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
    n=$((n + 1)) rss=$((rss + ${r:-0})) pss=$((pss + ${s:-0}))
  done
  echo "$n $rss $pss"
}
# The daemons' processes (by comm) and the per-container supervisors.
declare -A DAEMON_RE=([stack]='^stack$' [docker]='^(dockerd|containerd)$' [podman]='^$')
declare -A SUPER_RE=([stack]='^stack-monitor$' [docker]='^containerd-shim' [podman]='^conmon$')
declare -A DIR_OF=([stack]=$work/s [docker]=$work/docker [podman]=$work/podman)
mem_rows=()
started=0
for count in $COUNTS; do
  for i in "${!names[@]}"; do
    for ((k = started; k < count; k++)); do
      # shellcheck disable=SC2086
      ${runs[$i]} </dev/null >/dev/null 2>"$work/run.err" || die "${names[$i]}: run -d failed: $(cat "$work/run.err")"
    done
  done
  started=$count
  sleep 3  # let the engines settle (shims/monitors finish starting, GC)
  for e in "${names[@]}"; do
    read -r dn drss dpss < <(mem_of "${DIR_OF[$e]}" "${DAEMON_RE[$e]}")
    read -r sn srss spss < <(mem_of "${DIR_OF[$e]}" "${SUPER_RE[$e]}")
    mem_rows+=("$e $count $dn $drss $dpss $sn $srss $spss")
  done
done
# Remove the idle containers before timing.
for e in "${names[@]}"; do
  case $e in
    stack) ac_remove_all_containers "$STACK_SOCK" ;;
    docker) ac_remove_all_containers "$DOCKER_SOCK" ;;
    podman) $PODMAN rm -a -f -t 0 >/dev/null ;;
  esac
done

# ---- start latency ----
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
json=$(realpath -m "${BENCH_JSON:-build/bench-daemon.json}")
mkdir -p "$(dirname "$json")"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" "${cmds[@]}" >/dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "run --rm IMAGE true, start to exit, $RUNS runs each (median; mean ± stddev; min, max):"
jq -r '.results[] | [.median, .mean, .stddev, .min, .max] | map(. * 1000) | @tsv' "$json" |
  paste <(printf '%s\n' "${names[@]}") - |
  awk -F'\t' -v base="$base" 'NR == 1 { b = $2 }
    { printf "%-6s median %7.1f ms   mean %7.1f ± %5.1f ms   min %7.1f   max %7.1f ms   %6.2fx %s\n", $1, $2, $3, $4, $5, $6, $2 / b, base }'
echo "hyperfine JSON: $json"

echo
echo "memory with N idle containers (MiB; daemon = the engine's long-lived processes, per container = the supervisors' sum / N):"
printf '%-7s %4s | %-28s | %-34s | %s\n' engine N "daemon(s): procs RSS PSS" "supervisors: procs RSS PSS" "per container RSS / PSS"
for row in "${mem_rows[@]}"; do
  read -r e n dn drss dpss sn srss spss <<<"$row"
  per="-"
  ((n > 0)) && per=$(awk -v r="$srss" -v p="$spss" -v n="$n" 'BEGIN { printf "%.2f / %.2f", r / n / 1024, p / n / 1024 }')
  printf '%-7s %4d | %2d %9.1f %9.1f      | %3d %9.1f %9.1f           | %s\n' "$e" "$n" "$dn" \
    "$(awk -v x="$drss" 'BEGIN { print x / 1024 }')" "$(awk -v x="$dpss" 'BEGIN { print x / 1024 }')" "$sn" \
    "$(awk -v x="$srss" 'BEGIN { print x / 1024 }')" "$(awk -v x="$spss" 'BEGIN { print x / 1024 }')" "$per"
done
