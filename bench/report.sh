#!/usr/bin/env bash
# Times `licmon report` on the three stores of issue 17 and, in the same
# runs, a reference that reads the same rows bare (bench/rawread: the
# per-user state of the latest collection and the daily counters, read with
# database/sql and the same SQLite driver, decoded into nothing). Each
# store is built on the first run and cached under bench/out/ (git-ignored):
#
#   3y     100k users × 1,095 daily collections (55k Professional and 40k
#          Analyzer allocations, 1% of them changing a day), built by the
#          report benchmark's generator through store.SaveSnapshot; long
#          (about 20 min on an idle 2-core machine, far longer on a busy one).
#          DAYS shortens it (the cache file is then report-100k-<DAYS>d.db).
#   sim    the 100k-user simulated site (licmon sim --users 100000, a year
#          of history), one licmon collect.
#   300k   the same with 300,000 users.
#
# STORES picks some (default "3y sim 300k"), RUNS the runs per store
# (default 5). REF=<commit> also times the licmon of that commit (built
# from git archive) in the same runs, before and after: the change measured
# under the same load. Every run prints the wall time, the CPU time (user+sys) and
# the peak RSS of licmon report as text and as JSON, and the reference's
# wall and CPU time; then the medians. The machine's load average is printed
# with each run: the figures of a busy machine are not those of an idle one.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
runs=${RUNS:-5}
days=${DAYS:-1095}
stores=${STORES:-3y sim 300k}
go build -o "$out/licmon" ./cmd/licmon
go build -o "$out/rawread" ./bench/rawread
if [ -n "${REF:-}" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  git archive "$REF" | tar -x -C "$tmp"
  (cd "$tmp" && go build -o "$OLDPWD/$out/licmon-ref" ./cmd/licmon)
fi

build_3y() { # $1 = db file
  [ "$days" = 1095 ] || export LICMON_BENCH_DAYS=$days
  # The benchmark extends the cached store to $days collections, then
  # reports once (that figure is not kept: the runs below measure).
  LICMON_BENCH_DB="$PWD/$1" go test -run '^$' -bench 'Report100k3y' -benchtime 1x -count 1 -timeout 8h ./internal/report/ >"$out/report-build-3y.log"
}

build_sim() { # $1 = db file, $2 = users, $3 = port
  [ -s "$1" ] && return
  local certs="$out/certs-report-$2" log="$out/sim-report-$2.log"
  "$out/licmon" sim --listen "127.0.0.1:$3" --cert-dir "$certs" --users "$2" --history 365 --seed 5 >"$log" 2>&1 &
  local sim=$!
  for _ in $(seq 1 600); do grep -q "Press Ctrl+C" "$log" && break; sleep 0.5; done
  /usr/bin/time -f "collect of $2 users: %e s wall, %M KB max RSS" "$out/licmon" collect --server "https://localhost:$3" \
    --cert-dir "$certs" --site bench --db "$1.tmp" >"$out/collect-report-$2.out" || { kill "$sim"; exit 1; }
  kill "$sim"; wait "$sim" 2>/dev/null || true
  mv "$1.tmp" "$1"; rm -f "$1.tmp-wal" "$1.tmp-shm"
}

med() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for store in $stores; do
  case $store in
  3y) db="$out/report-100k-3y.db"; [ "$days" = 1095 ] || db="$out/report-100k-${days}d.db"; site=prod; build_3y "$db" ;;
  sim) db="$out/report-sim-100k.db"; site=bench; build_sim "$db" 100000 14261 ;;
  300k) db="$out/report-sim-300k.db"; site=bench; build_sim "$db" 300000 14262 ;;
  *) echo "unknown store $store (use 3y, sim, 300k)" >&2; exit 2 ;;
  esac
  runsf="$out/report-runs-$store.txt"; : >"$runsf"
  echo "== $store: $db ($(du -m "$db" | cut -f1) MB), site $site"
  for i in $(seq 1 "$runs"); do
    line="load $(cut -d' ' -f1 /proc/loadavg)"
    for fmt in text json; do
      /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$out/licmon" report --db "$db" --site "$site" --format "$fmt" >"$out/report-$store.$fmt"
      read -r wall usr sys rss <"$out/time.txt"
      cpu=$(echo "$usr + $sys" | bc)
      line="$line | $fmt ${wall}s cpu ${cpu}s $((rss / 1024))MB $(du -k "$out/report-$store.$fmt" | cut -f1)KB"
      echo "$fmt $wall $cpu $rss" >>"$runsf"
    done
    if [ -n "${REF:-}" ]; then
      for fmt in text json; do
        /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$out/licmon-ref" report --db "$db" --site "$site" --format "$fmt" >"$out/report-$store-ref.$fmt"
        read -r wall usr sys rss <"$out/time.txt"
        cpu=$(echo "$usr + $sys" | bc)
        line="$line | $REF $fmt ${wall}s cpu ${cpu}s $((rss / 1024))MB $(du -k "$out/report-$store-ref.$fmt" | cut -f1)KB"
        echo "$REF-$fmt $wall $cpu $rss" >>"$runsf"
      done
    fi
    ref=$("$out/rawread" --db "$db" --site "$site")
    rw=$(echo "$ref" | sed -E 's/.*wall ([0-9.]+) s.*/\1/'); rc=$(echo "$ref" | sed -E 's/.*cpu ([0-9.]+) s.*/\1/')
    echo "ref $rw $rc 0" >>"$runsf"
    echo "run $i: $line | reference ${rw}s cpu ${rc}s (${ref%%;*})"
  done
  for k in text json ${REF:+$REF-text $REF-json} ref; do
    echo "median of $runs, $store $k: wall $(awk -v k=$k '$1 == k {print $2}' "$runsf" | med)s, cpu $(awk -v k=$k '$1 == k {print $3}' "$runsf" | med)s, max RSS $(awk -v k=$k '$1 == k {print int($4/1024)}' "$runsf" | med)MB"
  done
done
