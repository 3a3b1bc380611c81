#!/usr/bin/env bash
# Whole-process timing of loading a generated compose file (`config -q`), stack
# against docker-compose and podman-compose when they are installed, in one run.
# Usage: bench/config.sh [BUILD_DIR] [SERVICES]
set -euo pipefail
build=$(realpath "${1:-build}")
n=${2:-500}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/compose_gen" "$n" --no-name > "$work/compose.yaml"
cd "$work"
cmds=("$build/stack -p bench -f compose.yaml config -q")
names=(stack)
# podman-compose 1.0.3 has no `config` command, so it is not in this race.
if command -v docker-compose >/dev/null; then cmds+=("docker-compose -p bench -f compose.yaml config -q"); names+=(docker-compose); fi
echo "loading a generated $n-service compose file, median of runs:"
hyperfine -N --warmup 3 --runs 20 --export-json "$work/r.json" "${cmds[@]}" >/dev/null
python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print(f'{x["command"].split()[0].split("/")[-1]:16s} median {x["median"]*1000:8.1f} ms   ratio {x["median"]/base:6.1f}x')
PY
