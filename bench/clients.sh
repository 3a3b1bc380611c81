#!/usr/bin/env bash
# The same unmodified Docker clients against each engine's socket, in one run:
#   docker version                      (one _ping + /version: the client's floor)
#   docker run --rm IMAGE true          (the CLI's create, attach, wait, start, remove)
#   docker ps -a                        (with 20 stopped containers listed)
#   docker-compose up -d                (2 services, network_mode none; `down` before each)
# Engines: stack (its daemon), Docker (a private dockerd 20.10) and Podman 4.3's
# Docker-compatible service (`podman system service`), each on its own socket and
# temp dirs, no network, no pulls (the image is imported from a busybox rootfs).
#
# Usage (root): bench/clients.sh [STACK_BINARY] [RUNS]   (default build/stack, 20 runs)
#   ENGINES="stack docker podman"   DOCKER_CLI=/usr/local/bin/docker (else /usr/bin/docker)
#   BENCH_JSON_DIR (default build/) gets one hyperfine JSON per command.
set -euo pipefail
STACK=${1:-${STACK:-}}
[[ -n $STACK ]] && STACK=$(realpath "$STACK")
cd "$(dirname "$0")/.."
repo=$PWD
STACK=${STACK:-$repo/build/stack}
RUNS=${2:-${RUNS:-20}}
ENGINES=${ENGINES:-stack docker podman}
CLI=${DOCKER_CLI:-$( [[ -x /usr/local/bin/docker ]] && echo /usr/local/bin/docker || echo /usr/bin/docker )}
# shellcheck source=tests/api_compare/engines.sh
source "$repo/tests/api_compare/engines.sh"
die() { echo "bench/clients.sh: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root"
for t in hyperfine jq curl docker-compose "$CLI"; do command -v "$t" >/dev/null || die "$t not found"; done

work=$(mktemp -d /tmp/sc.XXXXXX)
PODMAN_SVC_PID=
cleanup() {
  local rc=$?
  set +e
  for s in "${socks[@]}"; do
    docker-compose -H "unix://$s" -p benchc -f "$work/compose.yml" down -t 0 >/dev/null 2>&1
  done
  ac_stack_stop "$STACK" "$work/s"
  ac_dockerd_stop "$work/docker"
  if [[ -n $PODMAN_SVC_PID ]]; then kill "$PODMAN_SVC_PID" 2>/dev/null; wait "$PODMAN_SVC_PID" 2>/dev/null; fi
  ac_podman_teardown "$work/podman"
  rm -rf "$work"
  if ! ac_leftovers "$work"; then echo "bench/clients.sh: something was left behind (above)" >&2; rc=1; fi
  exit $rc
}
socks=()
trap cleanup EXIT
trap 'exit 130' INT TERM

ac_make_rootfs "$work/rootfs.tar"
has() { [[ " $ENGINES " == *" $1 "* ]]; }
names=()
if has stack; then
  ac_stack_import "$STACK" "$work/s" "$work/rootfs.tar" || die "stack image import failed"
  ac_stack_start "$STACK" "$work/s" || die "stack daemon did not start"
  names+=(stack) socks+=("$STACK_SOCK")
fi
if has docker; then
  ac_dockerd_start "$work/docker" || die "dockerd did not start"
  ac_dockerd_import "$work/rootfs.tar" || die "image import into dockerd failed"
  names+=(docker) socks+=("$DOCKER_SOCK")
fi
if has podman; then
  ac_podman_setup "$work/podman"
  $PODMAN import --quiet --change 'CMD ["sh"]' "$work/rootfs.tar" "$AC_IMAGE" >/dev/null || die "podman import failed"
  # shellcheck disable=SC2086
  $PODMAN system service --time 0 "unix://$work/podman/api.sock" </dev/null >"$work/podman-service.log" 2>&1 &
  PODMAN_SVC_PID=$!
  ac_wait_ping "$work/podman/api.sock" 20 || die "podman system service did not answer: $(tail -3 "$work/podman-service.log")"
  names+=(podman) socks+=("$work/podman/api.sock")
fi
((${#names[@]})) || die "no engine to measure"

cat >"$work/compose.yml" <<YAML
services:
  web:
    image: $AC_IMAGE
    command: ["sleep", "3600"]
    network_mode: none
  worker:
    image: $AC_IMAGE
    command: ["sleep", "3600"]
    network_mode: none
    depends_on: [web]
YAML

# Each engine lists the same 20 stopped containers for `ps -a`.
for s in "${socks[@]}"; do
  for i in $(seq 1 20); do
    "$CLI" --config "$work/cli" -H "unix://$s" create --network none "$AC_IMAGE" true >/dev/null || die "create on $s failed"
  done
done

jdir=$(realpath -m "${BENCH_JSON_DIR:-build}")
mkdir -p "$jdir"
echo "machine: $(nproc) cores, $(uname -r); client: $("$CLI" --version); $(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')"
echo "engines: ${names[*]}; $RUNS runs each; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() {  # measure LABEL COMMAND-WITH-@SOCK [PREPARE-WITH-@SOCK]
  local label=$1 cmd=$2 prep=${3:-} args=() i
  for i in "${!names[@]}"; do
    args+=(-n "${names[$i]}" "${cmd//@SOCK/${socks[$i]}}")
  done
  local json="$jdir/bench-clients-${label// /-}.json"
  if [[ -n $prep ]]; then
    # one --prepare per command, in order: each engine's own socket
    local preps=()
    for i in "${!names[@]}"; do preps+=(--prepare "${prep//@SOCK/${socks[$i]}}"); done
    hyperfine --warmup 2 --runs "$RUNS" "${preps[@]}" --export-json "$json" "${args[@]}" >/dev/null
  else
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" "${args[@]}" >/dev/null
  fi
  jq -r '.results[] | [.command, .median * 1000, .min * 1000, .max * 1000] | @tsv' "$json" |
    awk -F'\t' -v label="$label" 'NR == 1 { b = $2; printf "\n%s (median; min, max):\n", label }
      { printf "  %-7s %8.1f ms   (%7.1f, %7.1f)   %6.2fx\n", $1, $2, $3, $4, $2 / b }'
}
C="$CLI --config $work/cli -H unix://@SOCK"
DC="docker-compose -H unix://@SOCK -p benchc -f $work/compose.yml"
measure "docker version" "$C version"
measure "docker run --rm IMAGE true" "$C run --rm --network none $AC_IMAGE true"
measure "docker ps -a (20 containers)" "$C ps -a"
measure "docker-compose up -d (2 services)" "$DC up -d" "$DC down -t 0"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); hyperfine JSON in $jdir/bench-clients-*.json"
