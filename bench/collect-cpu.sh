#!/usr/bin/env bash
# Compares licmon's own CPU time (user + system) and peak RSS of a first
# and a following collection on this tree with another commit (default
# main), against one simulated site, the two builds alternating run by
# run so that both see the same machine load. On a shared machine wall
# times grow with the other work; a process's CPU time much less: this is
# the comparison to make there (bench/collect.sh gives the wall times and
# the ratio to curl, on an idle machine).
#
#   bench/collect-cpu.sh [BASE] [RUNS] [USERS]   (defaults main, 3, 100000)
#   PORT=N bench/collect-cpu.sh                  (the simulator's port, default 14720 + USERS/100000)
#
# The site is bench/collect.sh's: USERS users, USERS/5 apps with 10
# objects each, a year of history; the simulator is this tree's build.
# Each run: for each build, a first collection into a new store, then a
# following one (same week). Prints every collection, then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-main}
runs=${2:-3}
users=${3:-100000}
port=${PORT:-$((14720 + users / 100000))}
out=bench/out; mkdir -p "$out"
wt=$(mktemp -d "${TMPDIR:-/tmp}/licmon-cpu-base.XXXXXX")
sim=""
trap '[ -n "$sim" ] && kill $sim 2>/dev/null; git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"' EXIT
git worktree add --detach "$wt" "$base" >/dev/null 2>&1
go build -o "$out/licmon-this" ./cmd/licmon
(cd "$wt" && go build -o "$OLDPWD/$out/licmon-base" ./cmd/licmon)
certs=$out/certs-cpu-$users
env -u GOMEMLIMIT "$out/licmon-this" sim --listen 127.0.0.1:$port --cert-dir "$certs" --users "$users" --history 365 \
  --apps $((users / 5)) --objects-per-app 10 >"$out/sim-cpu-$users.log" 2>&1 &
sim=$!
for i in $(seq 1 1200); do
  grep -q "listening" "$out/sim-cpu-$users.log" && break
  kill -0 $sim 2>/dev/null || { cat "$out/sim-cpu-$users.log"; exit 1; }
  sleep 0.5
done
log=$out/collect-cpu-$users.log; : >"$log"
collect() { # build pass: one collection; logs "build pass cpu rss_mb wall"
  /usr/bin/time -f "%e %U %S %M" -o "$out/collect-cpu.time" "$out/licmon-$1" collect --server "https://localhost:$port" \
    --cert-dir "$certs" --site bench --db "$out/collect-cpu-$1.db" --timeout 5m >"$out/collect-cpu-$1-$2.out"
  read -r wall u s rss <"$out/collect-cpu.time"
  echo "$1 $2 $(awk -v a="$u" -v b="$s" 'BEGIN {printf "%.2f", a + b}') $((rss / 1024)) $wall" | tee -a "$log"
}
for run in $(seq 1 "$runs"); do
  for b in base this; do
    rm -f "$out/collect-cpu-$b.db" "$out/collect-cpu-$b.db-wal" "$out/collect-cpu-$b.db-shm"
    collect $b first
    collect $b following
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "$users users, median of $runs runs ($(git rev-parse --short HEAD) against $base $(git rev-parse --short "$base"), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)):"
for pass in first following; do
  for b in base this; do
    cpu=$(awk -v b=$b -v p=$pass '$1 == b && $2 == p {print $3}' "$log" | median)
    rss=$(awk -v b=$b -v p=$pass '$1 == b && $2 == p {print $4}' "$log" | median)
    wall=$(awk -v b=$b -v p=$pass '$1 == b && $2 == p {print $5}' "$log" | median)
    echo "  $pass collect, $b: $cpu s CPU, $rss MB peak RSS ($wall s wall)"
  done
done
