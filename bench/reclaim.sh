#!/usr/bin/env bash
# Times `licmon reclaim plan` against a simulated 100k-user site (target:
# a plan with ~20k candidates in under 5 s and at most ten QRS requests),
# next to a reference in the same run: the same lists fetched bare with curl
# (users and the three allocation lists, streamed to /dev/null).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
runs=${RUNS:-5}
inactive=${INACTIVE:-45d}
go build -o "$out/licmon" ./cmd/licmon
"$out/licmon" sim --listen 127.0.0.1:14245 --cert-dir "$out/certs-reclaim" --users 100000 --history 400 --seed 3 >"$out/sim-reclaim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 240); do
  grep -q "listening" "$out/sim-reclaim.log" && break; sleep 0.5
done
c="$out/certs-reclaim"
for i in $(seq 1 "$runs"); do
  s=$(date +%s.%N)
  "$out/licmon" reclaim plan --server https://localhost:14245 --cert-dir "$c" --db "$out/reclaim.db" \
    --inactive "$inactive" --downgrade --format json >"$out/plan.json"
  e=$(date +%s.%N)
  cand=$(grep -c '"allocationId"' "$out/plan.json" || true)
  req=$(grep -o '"qrsRequests": [0-9]*' "$out/plan.json" | head -1)
  s2=$(date +%s.%N)
  for p in user/full license/professionalaccesstype/full license/analyzeraccesstype/full license/useraccesstype/full; do
    curl -s --cert "$c/client.pem" --key "$c/client_key.pem" --cacert "$c/root.pem" \
      -H 'X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api' -H 'X-Qlik-Xrfkey: abcdefghijklmnop' \
      "https://localhost:14245/qrs/$p?xrfkey=abcdefghijklmnop" -o /dev/null
  done
  e2=$(date +%s.%N)
  echo "run $i: plan $(echo "$e - $s" | bc) s ($cand rows incl. exclusions, $req); bare reads $(echo "$e2 - $s2" | bc) s; load $(cut -d' ' -f1 /proc/loadavg)"
done
