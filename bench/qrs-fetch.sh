#!/usr/bin/env bash
# Measures the QRS client fetching and decoding
# GET /qrs/license/professionalaccesstype/full of a simulated 100k-user site
# over mutual TLS (issue 2 target: < 2 s, < 200 MB peak). The simulator runs in
# its own process so its memory is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
go build -o "$out/licmon" ./cmd/licmon
go build -o "$out/fetch" ./bench/fetch
"$out/licmon" sim --listen 127.0.0.1:14243 --cert-dir "$out/certs" --users 100000 --history 30 >"$out/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
  grep -q "listening" "$out/sim.log" && break; sleep 0.5
done
/usr/bin/time -v "$out/fetch" --server https://localhost:14243 --cert-dir "$out/certs" --runs 5 2>"$out/fetch.time"
grep -E "Maximum resident set size|Elapsed" "$out/fetch.time"
