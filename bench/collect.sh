#!/usr/bin/env bash
# Times `licmon collect` against a simulated site, with `curl` fetching the
# same lists from the same simulator in the same run as the reference
# (issue 17 targets, 100k users: first collect < 6 s and within 2x of curl,
# < 300 MB; following collect < 2 s and within 2x of curl of what it reads;
# 300k users: first collect < 20 s, < 800 MB).
#
#   bench/collect.sh [USERS] [RUNS]     (defaults 100000 and 5)
#   LICMON_BIN=path bench/collect.sh    (another build of licmon)
#   PORT=N bench/collect.sh             (the simulator's port, default 14610 + USERS/100000)
#
# The site has USERS users, USERS/5 apps with 10 objects each (100k users:
# 20k apps, 200k app objects) and a year of history; the simulator runs in
# its own process. Each run:
#   1. curl of what a first collection reads, the lists fetched concurrently
#      as the collector fetches them (license, overview, the three allocation
#      lists, users, apps, app objects, data connections, analyzer-capacity
#      use, the user count);
#   2. the first collection into a new store;
#   3. curl of what a following collection reads: the same, with users and
#      app objects filtered on modifiedDate as the collector filters them;
#   4. the following collection (same ISO week: the incremental read).
# The idle timeout is 5 minutes: on a loaded machine the simulator may take
# longer than the default 30 s to start sending a big list.
# Each licmon line gives wall time, CPU time (user+system) and peak RSS; the
# summary gives the medians and the ratio licmon/curl of each run's median.
# On a shared machine wall times grow with the other work; CPU times less so.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
runs=${2:-5}
out=bench/out; mkdir -p "$out"
port=${PORT:-$((14610 + users / 100000))}
# LICMON_BIN measures another build (e.g. an earlier commit's) against the same site.
bin=${LICMON_BIN:-$out/licmon}
[ -n "${LICMON_BIN:-}" ] || go build -o "$out/licmon" ./cmd/licmon
# The simulator runs without GOMEMLIMIT: a limit meant for the collector
# (GOMEMLIMIT=... bench/collect.sh) would make it thrash instead.
env -u GOMEMLIMIT "$bin" sim --listen 127.0.0.1:$port --cert-dir "$out/certs-$users" --users "$users" --history 365 \
  --apps $((users / 5)) --objects-per-app 10 >"$out/sim-collect-$users.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 1200); do
  grep -q "listening" "$out/sim-collect-$users.log" && break
  kill -0 $sim 2>/dev/null || { cat "$out/sim-collect-$users.log"; exit 1; }
  sleep 0.5
done
base=https://localhost:$port/qrs
xrf=abcdefghijklmnop
certs=$out/certs-$users
qcurl() { # path [filter]: one QRS GET as the collector makes it, body discarded
  local args=(-sS --fail -o /dev/null --cert "$certs/client.pem" --key "$certs/client_key.pem" --cacert "$certs/root.pem"
    -H "X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api" -H "X-Qlik-Xrfkey: $xrf" -G --data-urlencode "xrfkey=$xrf")
  [ -n "${2:-}" ] && args+=(--data-urlencode "filter=$2")
  curl "${args[@]}" "$base/$1"
}
lists() { # [since]: every list a collection reads, concurrently; prints the wall seconds
  local since=${1:-} f="" start end
  [ -n "$since" ] && f="modifiedDate ge '$since'"
  start=$(date +%s.%N)
  qcurl license & qcurl license/accesstypeoverview &
  qcurl license/professionalaccesstype/full & qcurl license/analyzeraccesstype/full & qcurl license/useraccesstype/full &
  qcurl user/full "$f" & qcurl user/count &
  qcurl app/full & qcurl app/object/full "$f" & qcurl dataconnection/full & qcurl license/analyzertimeaccessusage/full &
  wait
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f\n", b - a}'
}
collect() { # pass: runs a collection; prints "wall cpu rss_mb"
  /usr/bin/time -f "%e %U %S %M" -o "$out/collect-$1.time" "$bin" collect --server "https://localhost:$port" \
    --cert-dir "$certs" --site bench --db "$out/collect-$users.db" --timeout 5m >"$out/collect-$1.out"
  read -r wall u s rss <"$out/collect-$1.time"
  echo "$wall $(awk -v a="$u" -v b="$s" 'BEGIN {printf "%.2f", a + b}') $((rss / 1024))"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: >"$out/collect-$users.runs"
for run in $(seq 1 "$runs"); do
  rm -f "$out/collect-$users.db" "$out/collect-$users.db-wal" "$out/collect-$users.db-shm"
  c1=$(lists)
  read -r w1 cpu1 rss1 < <(collect first)
  at=$(grep -o 'at [0-9T:-]*Z' "$out/collect-first.out" | head -1 | cut -c4-)
  # The collector reads users and objects changed since 10 minutes before the last collection.
  since=$(date -u -d "$at - 10 minutes" +%Y-%m-%dT%H:%M:%S.000Z)
  c2=$(lists "$since")
  read -r w2 cpu2 rss2 < <(collect following)
  grep -q "first collection" "$out/collect-following.out" && { echo "following collection was a first one" >&2; exit 1; }
  echo "$c1 $w1 $cpu1 $rss1 $c2 $w2 $cpu2 $rss2" >>"$out/collect-$users.runs"
  echo "run $run: first: curl ${c1}s, collect ${w1}s wall ${cpu1}s CPU ${rss1} MB | following: curl ${c2}s, collect ${w2}s wall ${cpu2}s CPU ${rss2} MB"
  echo "  $(head -1 "$out/collect-first.out")"
  echo "  $(head -1 "$out/collect-following.out")"
done
col() { awk -v c="$1" '{print $c}' "$out/collect-$users.runs" | median; }
ratio() { awk -v a="$1" -v b="$2" '{printf "%.2f\n", $a / $b}' "$out/collect-$users.runs" | median; }
echo "$users users, median of $runs runs ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  first collect:     $(col 2) s wall, $(col 3) s CPU, $(col 4) MB peak RSS; curl of the same lists $(col 1) s; collect/curl $(ratio 2 1)"
echo "  following collect: $(col 6) s wall, $(col 7) s CPU, $(col 8) MB peak RSS; curl of what it reads $(col 5) s; collect/curl $(ratio 6 5)"
