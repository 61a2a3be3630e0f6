#!/usr/bin/env bash
# Times `licmon check` against a simulated 100k-user site whose License
# Monitor fails (issue 3 target: < 1 s; it fetches only what it needs).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
go build -o "$out/licmon" ./cmd/licmon
"$out/licmon" sim --listen 127.0.0.1:14244 --cert-dir "$out/certs" --users 100000 --history 30 --scenario lm-failing-rest-401 >"$out/sim-check.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
  grep -q "listening" "$out/sim-check.log" && break; sleep 0.5
done
for i in $(seq 1 9); do
  s=$(date +%s.%N)
  "$out/licmon" check --server https://localhost:14244 --cert-dir "$out/certs" --format nagios >/dev/null || true
  e=$(date +%s.%N)
  echo "run $i: $(echo "$e - $s" | bc) s"
done
