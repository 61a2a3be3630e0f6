#!/usr/bin/env bash
# The PostgreSQL store against SQLite, side by side in one run (issue 15:
# collect and report on PostgreSQL within 1.5 times SQLite for the 100k-user
# site). A simulated site of 100k users (~96k allocations, 20k apps, ~200k
# app objects, 365 days of history) runs in its own process; each run
# collects it into a new SQLite file and into a new PostgreSQL schema (the
# first collection with backfill, then a following one) and times
# `licmon report` on each store. The two backends alternate which goes
# first, so a change of load on a shared machine hits both. Prints every
# measurement and the medians with the PostgreSQL/SQLite ratio: wall time,
# the save's own time (collect's "save"), and CPU seconds, licmon's and
# those of the private cluster's processes, which compare better than wall
# time on a busy machine.
#
# PostgreSQL: LICMON_BENCH_POSTGRES (a DSN to a database where the script
# may create the schema licmon_bench), else a private cluster of Debian's
# postgresql started with its default settings (fsync on) by .ci/postgres.sh
# and stopped at the end. RUNS (default 3) sets the number of runs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
go build -o "$out/licmon" ./cmd/licmon
runs=${RUNS:-3}

. .ci/postgres.sh
cleanup() { kill "${sim:-}" 2>/dev/null || true; pg_stop; }
trap cleanup EXIT
if [ -n "${LICMON_BENCH_POSTGRES:-}" ]; then
  base=$LICMON_BENCH_POSTGRES
  psql=(psql "$base")
else
  PG_PORT=${PG_PORT:-55440} pg_start
  base=$LICMON_TEST_POSTGRES
  psql=("$PG_BIN/psql" "$base")
fi
sep='?'; case "$base" in *\?*) sep='&' ;; esac
pgdb="$base${sep}search_path=licmon_bench"

"$out/licmon" sim --listen 127.0.0.1:14246 --cert-dir "$out/certs-pg" --users 100000 --history 365 \
  --apps 20000 --objects-per-app 10 >"$out/sim-pg.log" 2>&1 &
sim=$!
for _ in $(seq 1 480); do grep -q "listening" "$out/sim-pg.log" && break; sleep 0.5; done

results="$out/pg-results.txt"; : >"$results"
measure() { # backend pass command...
  local b=$1 p=$2 c0 c1 srv save; shift 2
  c0=$(pg_cpu)
  /usr/bin/time -f "%e %M %U %S" -o "$out/pg-time" "$@" >"$out/pg-cmd.out" 2>"$out/pg-cmd.err" ||
    { cat "$out/pg-cmd.err"; exit 1; }
  c1=$(pg_cpu)
  read -r secs kb usr sys <"$out/pg-time"
  srv=0; if [ "$b" = postgres ]; then srv=$(awk -v a="$c0" -v b="$c1" 'BEGIN {if (a == "NA") print "NA"; else printf "%.2f", b - a}'); fi
  # The save's own time, from collect's "(fetch 4.1s, save 3.2s)".
  save=$({ grep -m1 -o 'save [0-9.]*[mµ]*s' "$out/pg-cmd.out" || true; } | awk '{v = $2 + 0; if ($2 ~ /ms$/) v /= 1000; else if ($2 ~ /µs$/) v /= 1e6; print v}')
  echo "$b $p $secs $kb $(awk -v u="$usr" -v s="$sys" 'BEGIN {print u + s}') $srv ${save:-NA}" >>"$results"
  printf '  %-9s %-17s %6.2f s  %4d MB  cpu %5.2f s + server %5s s  %s\n' "$b" "$p" "$secs" $((kb / 1024)) \
    "$(awk -v u="$usr" -v s="$sys" 'BEGIN {print u + s}')" "$srv" "$(grep -m1 -o 'fetch.*)' "$out/pg-cmd.out" || true)"
}
one() { # backend
  local b=$1 db
  if [ "$b" = sqlite ]; then
    db="$out/pg-bench.db"; rm -f "$db" "$db-wal" "$db-shm"
  else
    db=$pgdb; PGOPTIONS="-c client_min_messages=warning" "${psql[@]}" -q -c "DROP SCHEMA IF EXISTS licmon_bench CASCADE" -c "CREATE SCHEMA licmon_bench"
  fi
  for pass in first following; do
    measure "$b" "collect-$pass" "$out/licmon" collect --server https://localhost:14246 --cert-dir "$out/certs-pg" --site bench --db "$db"
  done
  measure "$b" report "$out/licmon" report --site bench --db "$db"
}
for run in $(seq 1 "$runs"); do
  echo "run $run"
  if [ $((run % 2)) = 1 ]; then one sqlite; one postgres; else one postgres; one sqlite; fi
done

echo
echo "medians of $runs runs (wall seconds, peak RSS MB; cpu: licmon's user+system seconds + the cluster's):"
med() { # backend pass column
  awk -v b="$1" -v p="$2" -v c="$3" '$1 == b && $2 == p && $c != "NA" {print $c}' "$results" | sort -n |
    awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "NA"}'
}
ratio() { awk -v s="$1" -v g="$2" 'BEGIN {if (s == "NA" || g == "NA" || s == 0) print "NA"; else printf "%.2f", g / s}'; }
for p in collect-first collect-following report; do
  s=$(med sqlite "$p" 3); g=$(med postgres "$p" 3)
  printf '  %-18s sqlite %6.2f s (%s MB)   postgres %6.2f s (%s MB)   ratio %s\n' "$p" "$s" \
    "$(($(med sqlite "$p" 4) / 1024))" "$g" "$(($(med postgres "$p" 4) / 1024))" "$(ratio "$s" "$g")"
  printf '  %-18s cpu sqlite %5.2f s   postgres %5.2f s + server %s s\n' "" "$(med sqlite "$p" 5)" "$(med postgres "$p" 5)" "$(med postgres "$p" 6)"
done
for p in collect-first collect-following; do
  s=$(med sqlite "$p" 7); g=$(med postgres "$p" 7)
  printf '  %-18s save: sqlite %s s   postgres %s s   ratio %s\n' "${p#collect-}" "$s" "$g" "$(ratio "$s" "$g")"
done
