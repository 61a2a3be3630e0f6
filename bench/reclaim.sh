#!/usr/bin/env bash
# Times `licmon reclaim plan` against a simulated 100k-user site in its own
# process (target: a plan with ~20k candidates in under 5 s and at most ten
# QRS requests). Reference in the same run: the same four lists (users and
# the three allocation types) fetched bare with curl to /dev/null, four
# curls at once as the plan reads them, which is the simulator's and the
# network's share of the work. Prints wall time, the plan process's CPU time
# (user+sys, less sensitive to a busy machine) and its peak RSS, then the
# medians. The site is the idle-allocations preset (a fifth of the users
# keep an allocation they almost never use: ~20k candidates at 30 days);
# SCENARIO=healthy gives the ordinary site (~10.7k). INACTIVE sets the
# threshold (default 30d), DOWNGRADE=1 adds --downgrade (two more requests:
# app and object owners), RUNS the number of runs (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
runs=${RUNS:-5}
inactive=${INACTIVE:-30d}
scenario=${SCENARIO:-idle-allocations}
extra=()
[ -n "${DOWNGRADE:-}" ] && extra+=(--downgrade)
go build -o "$out/licmon" ./cmd/licmon
"$out/licmon" sim --listen 127.0.0.1:14245 --cert-dir "$out/certs-reclaim" --users 100000 --history 400 --seed 3 --scenario "$scenario" >"$out/sim-reclaim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 240); do
  grep -q "listening" "$out/sim-reclaim.log" && break; sleep 0.5
done
c="$out/certs-reclaim"
# No cap on releases per run, so every eligible allocation is a candidate.
printf 'reclaim:\n  max_releases: 1000000\n' >"$out/reclaim.yaml"
: >"$out/reclaim-runs.txt"
for i in $(seq 1 "$runs"); do
  /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$out/licmon" reclaim plan --config "$out/reclaim.yaml" --server https://localhost:14245 --cert-dir "$c" \
    --db "$out/reclaim.db" --inactive "$inactive" "${extra[@]}" --format json >"$out/plan.json"
  read -r wall usr sys rss <"$out/time.txt"
  cand=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(len(p["candidates"]), len(p["excluded"]), p["source"]["qrsRequests"])' "$out/plan.json")
  s2=$(date +%s.%N); pids=()
  for p in user/full license/professionalaccesstype/full license/analyzeraccesstype/full license/useraccesstype/full; do
    curl -s --cert "$c/client.pem" --key "$c/client_key.pem" --cacert "$c/root.pem" \
      -H 'X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api' -H 'X-Qlik-Xrfkey: abcdefghijklmnop' \
      "https://localhost:14245/qrs/$p?xrfkey=abcdefghijklmnop" -o /dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  e2=$(date +%s.%N)
  cpu=$(echo "$usr + $sys" | bc); bare=$(echo "$e2 - $s2" | bc)
  echo "$wall $cpu $bare" >>"$out/reclaim-runs.txt"
  echo "run $i: plan wall ${wall}s cpu ${cpu}s rss $((rss / 1024))MB (candidates excluded requests: $cand); bare reads ${bare}s; load $(cut -d' ' -f1 /proc/loadavg)"
done
med() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median of $runs: plan wall $(cut -d' ' -f1 "$out/reclaim-runs.txt" | med)s, plan cpu $(cut -d' ' -f2 "$out/reclaim-runs.txt" | med)s, bare reads $(cut -d' ' -f3 "$out/reclaim-runs.txt" | med)s"
