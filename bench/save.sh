#!/usr/bin/env bash
# Compares the save of a first collection on this tree with another commit
# (default main), side by side: BenchmarkFirstSave100k (internal/store) is
# SaveSnapshot of the simulator's shape of 100k-user site (100k users, 58k
# Professional, 38k Analyzer, 25k with authoring, random GUIDs) into a new,
# empty SQLite store, timed alone (issue 17: save <= 1.5 s).
#
#   bench/save.sh [BASE] [ROUNDS] [RUNS]   (defaults main, 3 and 2)
#
# BASE is checked out in a temporary worktree, this tree's benchmark files
# (bench_test.go, cputime_*_test.go) are copied into it so that both run the
# same benchmark, and the two alternate ROUNDS times, RUNS saves each time,
# so that both see the same machine load. Reported per save: wall time
# (ns/op), CPU time of the process (cpu-ns/op, the garbage collector's
# included), bytes written and read through system calls (written-MB/op,
# read-MB/op: the database, its WAL and SQLite's temporary files), bytes
# and objects allocated (B/op, allocs/op); the summary gives the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-main}
rounds=${2:-3}
runs=${3:-2}
out=bench/out; mkdir -p "$out"
wt=$(mktemp -d "${TMPDIR:-/tmp}/licmon-save-base.XXXXXX")
trap 'git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"' EXIT
git worktree add --detach "$wt" "$base" >/dev/null 2>&1
cp internal/store/bench_test.go internal/store/cputime_*_test.go "$wt/internal/store/"
go test -c -o "$out/store-save.test" ./internal/store/
(cd "$wt" && go test -c -o "$OLDPWD/$out/store-save-base.test" ./internal/store/)
log=$out/save.txt; : >"$log"
for r in $(seq "$rounds"); do
  for which in base this; do
    bin=$out/store-save.test; [ $which = base ] && bin=$out/store-save-base.test
    (cd internal/store && "../../$bin" -test.run '^$' -test.bench 'FirstSave100k/sqlite' \
      -test.benchtime "${runs}x" -test.count 1) | grep '^Benchmark' | sed "s/^/$which /" | tee -a "$log"
  done
done
echo "medians over $rounds rounds ($(git rev-parse --short HEAD) vs $base $(git rev-parse --short "$base")):"
awk '{ for (i = 4; i < NF; i += 2) { v[$1, $(i+1)] = v[$1, $(i+1)] " " $i; u[$(i+1)] = 1 } }
  END {
    for (k in u) for (w = 0; w < 2; w++) {
      who = w ? "this" : "base"; n = split(v[who, k], a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      m[who, k] = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    for (k in u) printf "  %-14s base %14.4g  this %14.4g  this/base %.2f\n", k, m["base", k], m["this", k], m["this", k] / m["base", k]
  }' "$log" | sort
