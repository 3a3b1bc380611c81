#!/usr/bin/env bash
# Real, unmodified Docker clients driving an engine over its unix socket.
#
#   tests/docker_clients/run.sh [--engine stack|docker] [STACK_BINARY] [-- unittest args]
#       --engine stack (default): starts `STACK_BINARY daemon` (default
#       build/stack) with its own temp --root/--run-root and socket.
#       --engine docker: a private Debian dockerd 20.10 instead (temp data and
#       exec roots, --bridge=none --iptables=false): the same suites must pass
#       there too, which is how their expectations are checked against Docker.
#   The busybox image is imported as apicompare/busybox:latest (no pulls), then
#   the suites run with DOCKER_HOST pointing at the engine:
#     test_docker_cli.py   the docker CLI: Debian's docker.io (20.10) and, when
#                          present, /usr/local/bin/docker (28.x), each in turn
#     test_compose.py      Debian's docker-compose 1.29 (Python Docker SDK)
#     test_sdk.py          the Python Docker SDK itself (Debian's python3-docker)
#     test_wire.py         the HTTP details those clients depend on
#     (every test_*.py here runs)
#   Everything the engine made is removed and checked gone at the end.
#   Environment: KEEP=1 keeps the work dir; SUITES="test_wire test_sdk" picks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/api_compare/engines.sh
source "$repo/tests/api_compare/engines.sh"

engine=stack
if [[ ${1:-} == --engine ]]; then engine=$2; shift 2; fi
[[ $engine == stack || $engine == docker ]] || { echo "docker_clients: --engine stack|docker" >&2; exit 2; }
STACK=$repo/build/stack
if [[ $# -gt 0 && $1 != -- ]]; then STACK=$1; shift; fi
[[ ${1:-} == -- ]] && shift
die() { echo "docker_clients: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root"
for t in /usr/bin/python3 curl jq tar /usr/bin/docker docker-compose; do
  command -v $t >/dev/null || die "$t not found (scripts/install.sh installs docker.io and docker-compose)"
done
/usr/bin/python3 -c 'import docker' 2>/dev/null || die "Python Docker SDK missing (apt-get install python3-docker)"

# Short: the monitors' attach sockets live under it (sun_path is 108 bytes).
work=$(mktemp -d /tmp/dk.XXXXXX)
cleanup() {
  local rc=$?
  set +e
  if [[ $engine == docker ]]; then ac_dockerd_stop "$work/docker"; else ac_stack_stop "$STACK" "$work/s"; fi
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "docker_clients: work dir kept: $work"
  else
    rm -rf "$work"
    if ! ac_leftovers "$work"; then echo "docker_clients: something was left behind (above)" >&2; rc=1; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ac_make_rootfs "$work/rootfs.tar"
if [[ $engine == docker ]]; then
  [[ -x $AC_DOCKERD ]] || die "dockerd not found at $AC_DOCKERD (apt-get install docker.io)"
  ac_log "starting dockerd ($("$AC_DOCKERD" --version)) in $work/docker"
  ac_dockerd_start "$work/docker" || die "dockerd did not start"
  ac_dockerd_import "$work/rootfs.tar" || die "image import into dockerd failed"
  sock=$DOCKER_SOCK
else
  [[ -x $STACK ]] || die "stack binary not found: $STACK"
  ac_stack_import "$STACK" "$work/s" "$work/rootfs.tar" || die "stack image import failed"
  ac_log "starting $STACK daemon in $work/s"
  ac_stack_start "$STACK" "$work/s" || die "stack daemon did not answer /_ping on $STACK_SOCK"
  sock=$STACK_SOCK
fi

mkdir -p "$work/home"
export DC_ENGINE=$engine DC_SOCKET=$sock DC_IMAGE=$AC_IMAGE DC_ROOTFS=$work/rootfs.tar DC_WORK=$work
# The clients' own state (config.json, compose's project dirs) stays in the work dir.
export DOCKER_HOST=unix://$sock DOCKER_CONFIG=$work/home/.docker HOME=$work/home
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH COMPOSE_PROJECT_NAME COMPOSE_FILE
cd "$here"
if [[ -n ${SUITES:-} ]]; then read -r -a suites <<<"$SUITES"; else
  suites=(test_*.py); suites=("${suites[@]%.py}")
fi
/usr/bin/python3 -m unittest -v "${suites[@]}" "$@"
