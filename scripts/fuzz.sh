#!/usr/bin/env bash
# Builds the libFuzzer target for the compose loader with clang-16 (ASan + UBSan)
# and runs it for the given number of seconds (default 120) from the seed corpus.
# Any crash, leak, sanitizer report or uncaught exception fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}

# libstdc++ 12 only exposes <expected> when __cpp_concepts says C++20 concepts are complete;
# clang 16 implements what <expected> needs but still reports the older value.
flags="-Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_CXX_FLAGS="$flags" \
  -DSTACK_FUZZ=ON -DSTACK_TESTS=OFF -DSTACK_BENCH=OFF >/dev/null
cmake --build build-fuzz --target compose_loader_fuzzer

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp fuzz/corpus/* "$work/corpus/" 2>/dev/null || true
find examples tests/data -name '*.yml' -o -name '*.yaml' 2>/dev/null | while read -r f; do
  cp "$f" "$work/corpus/$(echo "$f" | tr '/' '_')"
done
./build-fuzz/fuzz/compose_loader_fuzzer -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -dict=fuzz/compose.dict -artifact_prefix="$work/" "$work/corpus" 2>&1 | tail -n 15
echo "fuzzing: no crash in ${seconds}s"
