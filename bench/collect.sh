#!/usr/bin/env bash
# Times `licmon collect` against a simulated site of 100k users with ~60k
# Professional and ~40k Analyzer allocations, 20k apps and ~200k app objects
# (issue 4 targets: first collect with backfill < 10 s, a following collect
# < 3 s, each < 300 MB peak). The simulator runs in its own process.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
go build -o "$out/licmon" ./cmd/licmon
"$out/licmon" sim --listen 127.0.0.1:14245 --cert-dir "$out/certs" --users 100000 --history 365 \
  --apps 20000 --objects-per-app 10 >"$out/sim-collect.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 240); do
  grep -q "listening" "$out/sim-collect.log" && break; sleep 0.5
done
for run in 1 2 3; do
  rm -f "$out/collect.db" "$out/collect.db-wal" "$out/collect.db-shm"
  for pass in first following; do
    /usr/bin/time -f "%e s wall, %M KB max RSS" "$out/licmon" collect --server https://localhost:14245 \
      --cert-dir "$out/certs" --site bench --db "$out/collect.db" >"$out/collect-$pass.out" 2>"$out/collect-$pass.time"
    echo "run $run $pass: $(tail -1 "$out/collect-$pass.time") | $(head -1 "$out/collect-$pass.out")"
  done
done
