#!/usr/bin/env bash
# The Docker Engine API compared with stack's on the same requests.
#
#   tests/api_compare/run.sh [STACK_BINARY]   (default build/stack)
#       Starts `STACK_BINARY daemon` on a temp socket with its own temp
#       --root/--run-root, imports the busybox image with the CLI, sends the
#       request list of api_compare.py and compares the answers with the
#       committed recording (docker-20.10.json): a SAME/KNOWN/DIFF table, exit
#       1 on a difference that is not documented in api_compare.py's KNOWN list.
#       Needs no Docker: runs in CI.
#   tests/api_compare/run.sh --record
#       Starts Debian's dockerd 20.10 privately (temp data/exec root, unix
#       socket, --bridge=none --iptables=false, no pulls: the image is imported
#       from a tarball), sends the same requests and writes docker-20.10.json.
#   tests/api_compare/run.sh --check-docker
#       The same against a fresh private dockerd, compared with the recording
#       as stack would be: checks that the harness itself is deterministic.
#
# Both modes leave nothing behind (daemons, monitors/shims, mounts, temp dirs)
# and say so. Environment: KEEP=1 keeps the work dir (results, daemon logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/api_compare/engines.sh
source "$here/engines.sh"

mode=stack
case ${1:-} in
  --record) mode=record; shift ;;
  --check-docker) mode=check-docker; shift ;;
esac
STACK=${1:-${STACK:-$repo/build/stack}}
RECORDING=$here/docker-20.10.json
die() { echo "api_compare: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root"
for t in python3 curl jq tar; do command -v $t >/dev/null || die "$t not found (apt-get install $t)"; done
[[ -x $AC_BUSYBOX ]] || die "$AC_BUSYBOX not found (apt-get install busybox-static)"

work=$(mktemp -d /tmp/sa.XXXXXX)
cleanup() {
  local rc=$?
  set +e
  if [[ $mode != stack ]]; then ac_dockerd_stop "$work/docker"; else ac_stack_stop "$STACK" "$work/s"; fi
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "api_compare: work dir kept: $work"
  else
    rm -rf "$work"
    if ! ac_leftovers "$work"; then echo "api_compare: something was left behind (above)" >&2; rc=1; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ac_make_rootfs "$work/rootfs.tar"

if [[ $mode != stack ]]; then
  [[ -x $AC_DOCKERD ]] || die "dockerd not found at $AC_DOCKERD (apt-get install docker.io)"
  ac_log "starting dockerd ($("$AC_DOCKERD" --version)) in $work/docker"
  ac_dockerd_start "$work/docker" || die "dockerd did not start"
  ac_dockerd_import "$work/rootfs.tar" || die "image import into dockerd failed"
  python3 "$here/api_compare.py" run --engine "$("$AC_DOCKERD" --version)" \
    --socket "$DOCKER_SOCK" --rootfs "$work/rootfs.tar" --out "$work/result.json"
  if [[ $mode == check-docker ]]; then
    python3 "$here/api_compare.py" compare ${VERBOSE:+-v} "$RECORDING" "$work/result.json"
    exit
  fi
  cp "$work/result.json" "$RECORDING"
  ac_log "recorded $(jq '.cases | length' "$RECORDING") requests to $RECORDING"
  exit 0
fi

[[ -x $STACK ]] || die "stack binary not found: $STACK"
[[ -f $RECORDING ]] || die "no recording at $RECORDING (run with --record on a machine with Docker)"
ac_stack_import "$STACK" "$work/s" "$work/rootfs.tar" || die "stack image import failed"
ac_log "starting $STACK daemon in $work/s"
ac_stack_start "$STACK" "$work/s" || die "stack daemon did not answer /_ping on $STACK_SOCK"
python3 "$here/api_compare.py" run --engine "stack" --socket "$STACK_SOCK" \
  --rootfs "$work/rootfs.tar" --out "$work/result.json"
python3 "$here/api_compare.py" compare ${VERBOSE:+-v} "$RECORDING" "$work/result.json"
