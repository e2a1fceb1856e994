#!/usr/bin/env bash
# Time to ready of `./conveyor run` (already built) and the end-to-end latency of echo tasks
# (POST /v1/tasks until GET /v1/tasks/{id} shows SUCCEEDED, as a client sees it, curl included),
# over several cold starts. Each run is .ci/smoke; this prints them as a table.
#   bench/first-task.sh [RUNS]     (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-5}
./conveyor --version >/dev/null
printf '| run | ready (ms) | first task (ms) | median of next 20 (ms) | stop (ms) |\n'
printf '|---:|---:|---:|---:|---:|\n'
for i in $(seq 1 "$runs"); do
  line=$(.ci/smoke | grep '^smoke: ready')
  read -r ready first median stop < <(sed -E 's/.*ready in ([0-9]+) ms.*visible in ([0-9]+) ms \(median of the next 20: ([0-9]+) ms\).*stopped in ([0-9]+) ms.*/\1 \2 \3 \4/' <<<"$line")
  printf '| %d | %d | %d | %d | %d |\n' "$i" "$ready" "$first" "$median" "$stop"
done
