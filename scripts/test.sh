#!/usr/bin/env bash
# The whole test suite, as CI runs it. It installs and builds first
# (scripts/install.sh), so it passes on a fresh Debian 12 machine (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

STACK_WERROR=ON ./scripts/install.sh

echo "== unit tests (no root needed)"
./build/tests/unit_tests --gtest_brief=1

echo "== integration tests (root, real kernel: namespaces, mounts, cgroups)"
./build/tests/integration_tests --gtest_brief=1

echo "== side by side with runc (same OCI bundles, same observable results)" && ./tests/runc_compare.sh build/stack

echo "== the daemon's API against the recorded Docker Engine API (tests/api_compare)"
./tests/api_compare/run.sh build/stack

echo "== real Docker clients over stack's socket: docker CLI 20.10 and 28, docker-compose 1.29, the Python SDK (tests/docker_clients)"
./tests/docker_clients/run.sh build/stack

echo "== stack config over the compose corpus (examples, conformance cases, golden files)"
./tests/config_corpus.sh build/stack

echo "== fuzzing the compose loader (bounded)"
./scripts/fuzz.sh "${STACK_FUZZ_SECONDS:-120}"

echo "== all tests passed"
