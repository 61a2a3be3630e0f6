#!/usr/bin/env bash
# The store's part of a following collection of the 100k-user site
# (BenchmarkFollowingSave100k: PrepareSave, then SaveSnapshot), with
# nothing changed and with 1% of the allocations changed, on this tree and
# on REF (default main) in the same run, alternately, SQLite only:
#
#   bench/following-save.sh              (RUNS=3 runs of 5 saves each)
#   REF=<commit> RUNS=5 bench/following-save.sh
#
# REF is built from git archive with this tree's benchmark file copied in
# (the benchmark is newer than the state digests it measures). Prints each
# run's ns/op, CPU ms/op, B/op and allocs/op, then the medians per build
# and case. ns/op is wall time per save: on a shared machine it grows with
# the other work; CPU time (the process's, its garbage collection included),
# B/op and allocs/op much less.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
runs=${RUNS:-3}
ref=${REF:-main}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$out/store-this.test" ./internal/store/
git archive "$ref" | tar -x -C "$tmp"
cp internal/store/follow_bench_test.go "$tmp/internal/store/"
for f in internal/store/cputime_*_test.go; do # the CPU clock, if REF has none
  [ -e "$tmp/$f" ] || cp "$f" "$tmp/$f"
done
(cd "$tmp" && go test -c -o "$OLDPWD/$out/store-ref.test" ./internal/store/)
log=$out/following-save.log; : >"$log"
for i in $(seq 1 "$runs"); do
  for b in ref this; do
    echo "== $b run $i, load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$log"
    (cd internal/store && "../../$out/store-$b.test" -test.run '^$' -test.bench 'BenchmarkFollowingSave100k/.*/sqlite' \
      -test.benchtime 5x -test.benchmem) | grep '^Benchmark' | sed "s/^/$b /" | tee -a "$log"
  done
done
echo "== medians of $runs runs (ns/op, cpu-ms/op, B/op, allocs/op)"
for b in ref this; do
  for c in unchanged changed1pct; do
    for col in 4 6 8 10; do
      grep "^$b BenchmarkFollowingSave100k/$c/" "$log" | awk -v c=$col '{print $c}' | sort -n |
        awk '{v[NR]=$1} END {printf "%s ", v[int((NR+1)/2)]}'
    done | sed "s/^/$b $c: /"
    echo
  done
done
