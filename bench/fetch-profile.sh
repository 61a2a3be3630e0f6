#!/usr/bin/env bash
# The fetch of a first collection in the real binary (issue 17), this tree
# against a base commit side by side: one simulator (this tree's build,
# USERS users, USERS/5 apps of 10 objects, a year of history) and RUNS first
# collections of each build, alternating, each with a CPU profile
# (LICMON_CPUPROFILE). From each profile: the CPU of the fetch (the samples
# under collect.snapshot: the lists' goroutines, TLS, HTTP and decoding; the
# garbage collector's workers are apart) and of the garbage collector; from
# /usr/bin/time the whole collection's CPU (the save included). Each line is
# the median of the runs.
#
#   bench/fetch-profile.sh [USERS] [RUNS]   (defaults 100000 and 3)
#   BASE=ref bench/fetch-profile.sh         (default ba20fee: main before w5-fetch)
#   PORT=N bench/fetch-profile.sh           (the simulator's port, default 14650 + USERS/100000)
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
runs=${2:-3}
base=${BASE:-ba20fee}
out=bench/out; mkdir -p "$out"
port=${PORT:-$((14650 + users / 100000))}
go build -o "$out/licmon" ./cmd/licmon
wt=$out/fetch-base # the base's worktree, shared with collect-fetch.sh
if [ ! -d "$wt" ]; then
  git worktree prune # a removed bench/out keeps its worktree registered
  git worktree add --detach "$wt" "$base" >/dev/null
fi
git -C "$wt" checkout -q -f --detach "$base" && git -C "$wt" clean -qf internal/collect
(cd "$wt" && go build -o ../licmon-base ./cmd/licmon)
certs=$out/certs-$users
env -u GOMEMLIMIT "$out/licmon" sim --listen 127.0.0.1:$port --cert-dir "$certs" --users "$users" --history 365 \
  --apps $((users / 5)) --objects-per-app 10 >"$out/sim-fetch-$users.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for i in $(seq 1 1200); do
  grep -q "listening" "$out/sim-fetch-$users.log" && break
  kill -0 $sim 2>/dev/null || { cat "$out/sim-fetch-$users.log"; exit 1; }
  sleep 0.5
done
samples() { # profile focus: CPU seconds of the samples with a frame matching focus
  go tool pprof -raw -focus "$2" "$1" 2>/dev/null |
    awk '/^Locations/ {exit} /^ +[0-9]+ +[0-9]+:/ {ns += $2} END {printf "%.2f", ns / 1e9}'
}
: >"$out/fetch-profile.runs"
for run in $(seq 1 "$runs"); do
  for tree in base this; do
    bin=$out/licmon; [ "$tree" = base ] && bin=$out/licmon-base
    db=$out/fetch-profile-$users.db; rm -f "$db" "$db-wal" "$db-shm"
    prof=$out/fetch-$tree-$run.prof
    LICMON_CPUPROFILE=$prof /usr/bin/time -f "%U %S" -o "$out/fetch-profile.time" "$bin" collect \
      --server "https://localhost:$port" --cert-dir "$certs" --site bench --db "$db" --timeout 5m >/dev/null
    read -r u s <"$out/fetch-profile.time"
    line="$tree $(samples "$prof" 'collect\.snapshot') $(samples "$prof" 'gcBgMarkWorker') $(awk -v a="$u" -v b="$s" 'BEGIN {printf "%.2f", a + b}')"
    echo "run $run: $line (fetch, GC, whole collection: CPU seconds)"
    echo "$line" >>"$out/fetch-profile.runs"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v t="$1" -v c="$2" '$1 == t {print $c}' "$out/fetch-profile.runs" | median; }
echo "$users users, first collection, median of $runs runs ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)); base $base"
for tree in base this; do
  echo "  $tree: fetch $(col $tree 2) s CPU, garbage collector $(col $tree 3) s, whole collection $(col $tree 4) s"
done
