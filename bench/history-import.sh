#!/bin/sh
# Measures `licmon history import` of 20 years of daily counts of the five
# license types (36,525 rows, 2006-2025) into a fresh store, and the same
# file imported again (every row compared, nothing written). References
# measured in the same run: `wc -l` of the file, and in process a bare
# encoding/csv read of the same rows next to the parser. Prints the median
# of RUNS runs (default 5) of the wall clock and of the CPU time (user +
# system: on a shared machine the wall clock also counts waiting for a core);
# scratch files go to bench/out/ (git-ignored).
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
runs="${RUNS:-5}"
bin=bench/out/licmon
csv=bench/out/history-20y.csv
db=bench/out/history-import.db
go build -o "$bin" ./cmd/licmon

# The rows of internal/histcsv's BenchmarkParse20Years, written with awk.
awk 'BEGIN {
  print "day,type,licensed,allocated,used,quarantined,denied"
  split("31 28 31 30 31 30 31 31 30 31 30 31", ml, " ")
  i = 0
  for (y = 2006; y <= 2025; y++) for (m = 1; m <= 12; m++) {
    n = ml[m]; if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) n = 29
    for (d = 1; d <= n; d++) {
      day = sprintf("%04d-%02d-%02d", y, m, d)
      printf "%s,professional,500,%d,%d,%d,%d\n", day, 100 + int(i / 20), 90 + int(i / 25), i % 3, i % 5
      printf "%s,analyzer,800,%d,%d,0,\n", day, 200 + int(i / 15), 150 + int(i / 20)
      printf "%s,analyzer-capacity,6000,%d,,,\n", day, (i * 37) % 6000
      printf "%s,user-access,300,%d,,%d,\n", day, 50 + int(i / 40), i % 2
      printf "%s,login-access,100,%d,,,\n", day, i % 90
      i++
    }
  }
}' > "$csv"
echo "file: $csv, $(wc -l < "$csv") lines, $(wc -c < "$csv") bytes"

# median COLUMN: of the wall clock (1) or of the CPU time (2 = user + system).
median() { awk -v c="$1" '{ print (c == 1 ? $1 : $2 + $3) }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: > bench/out/t-first; : > bench/out/t-again; : > bench/out/t-wc
for r in $(seq "$runs"); do
  rm -f "$db" "$db-wal" "$db-shm"
  /usr/bin/time -f "%e %U %S" -a -o bench/out/t-first "$bin" history import "$csv" --site bench --db "$db" > /dev/null
  /usr/bin/time -f "%e %U %S" -a -o bench/out/t-again "$bin" history import "$csv" --site bench --db "$db" > /dev/null
  /usr/bin/time -f "%e %U %S" -a -o bench/out/t-wc wc -l "$csv" > /dev/null
done
"$bin" history import "$csv" --site bench --db "$db" | head -3
echo "median of $runs runs, seconds (process start included):  wall   CPU"
for m in first:"history import, fresh store" again:"history import, same again " wc:"wc -l (reference)          "; do
  f=bench/out/t-${m%%:*}
  echo "  ${m#*:}  $(median 1 < "$f")   $(median 2 < "$f")"
done

go test -run '^$' -bench 'Parse20Years|ReadCSVReference' -benchtime 5x -count "$runs" ./internal/histcsv/
go test -run '^$' -bench 'ImportHistory20Years' -benchtime 3x -count "$runs" ./internal/store/
