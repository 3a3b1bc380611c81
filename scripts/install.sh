#!/usr/bin/env bash
# Installs every Debian package stack needs (now and for the engine issues),
# builds stack and installs it to /usr/local/bin. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libyaml-dev libyaml-cpp-dev libboost1.81-dev nlohmann-json3-dev
  libnl-3-dev libnl-route-3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libarchive-dev libssl-dev libseccomp-dev libcap-dev libnftables-dev libcli11-dev
  busybox-static iproute2 nftables runc jq python3
  clang-16 libclang-rt-16-dev hyperfine
  # Real Docker clients for tests/docker_clients (CLI 20.10, docker-compose 1.29 and
  # the Python Docker SDK); dockerd is only started privately, by the tests that compare.
  docker.io docker-compose python3-docker
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start services here (docker.io would start a dockerd with
  # its bridge and iptables rules): the standard policy-rc.d veto, for this install only.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DSTACK_WERROR=${STACK_WERROR:-ON}
cmake --build "$BUILD_DIR"
install -m 0755 "$BUILD_DIR/stack" "$BUILD_DIR/stack-monitor" /usr/local/bin/
echo "stack and stack-monitor installed to /usr/local/bin"
