#!/usr/bin/env bash
# `stack config` must load every compose file we know of: the examples, the
# conformance cases kept in tests/data, and ../shared/conformance/cases when
# that folder is there. Each must load (exit 0) and its printed canonical YAML
# must load again to the same output (the output is a valid compose file).
set -euo pipefail
stack=$(realpath "${1:-build/stack}")
cd "$(dirname "$0")/.."
root=$PWD

dirs=()
for d in examples/*/ tests/data/conformance/*/; do dirs+=("$root/$d"); done
if [ -d ../shared/conformance/cases ]; then
  for d in ../shared/conformance/cases/*/; do dirs+=("$(realpath "$d")/"); done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for dir in "${dirs[@]}"; do
  args=()
  main=$(ls "$dir" | grep -E '^(compose|docker-compose)\.ya?ml$' | head -n1)
  args+=(-f "$dir$main")
  if [ -f "$dir/files" ]; then
    while read -r f; do [ -n "$f" ] && args+=(-f "$dir$f"); done < "$dir/files"
  fi
  if ! (cd "$dir" && "$stack" -p corpus "${args[@]}" config > "$tmp/out.yml" 2> "$tmp/err"); then
    echo "FAIL $dir: $(cat "$tmp/err")"; failed=1; continue
  fi
  # Round trip: the output is itself a valid compose file giving the same model.
  if ! (cd "$dir" && "$stack" -p corpus -f "$tmp/out.yml" --project-directory "$dir" config > "$tmp/again.yml" 2> "$tmp/err"); then
    echo "FAIL $dir (reloading the output): $(cat "$tmp/err")"; failed=1; continue
  fi
  if ! diff -u "$tmp/out.yml" "$tmp/again.yml" > "$tmp/diff"; then
    echo "FAIL $dir: output does not load back to itself"; head -n 30 "$tmp/diff"; failed=1; continue
  fi
  echo "ok   $dir"
done
exit $failed
