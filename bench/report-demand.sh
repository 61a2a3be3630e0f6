#!/usr/bin/env bash
# Compares report.Build before and after the demand-at-capacity change
# (branch report-demand) side by side on one cached 100k-user store: the
# benchmark binary of a reference revision (REF, default the branch point
# 55ef669) and of the working tree run alternately, COUNT times each, so both
# see the same machine load. The store is bench/out/report-100k-<DAYS>d.db,
# built on the first run (100k users, 1% daily change; long). Prints every
# run and the median of each side.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${REF:-55ef669}
days=${DAYS:-1095}
count=${COUNT:-5}
out=bench/out; mkdir -p "$out"
export LICMON_BENCH_DB="${LICMON_BENCH_DB:-$PWD/$out/report-100k-${days}d.db}" LICMON_BENCH_DAYS=$days
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/ref"; git archive "$ref" | tar -x -C "$tmp/ref"
(cd "$tmp/ref" && go test -c -o "$tmp/ref.test" ./internal/report/)
go test -c -o "$tmp/new.test" ./internal/report/
run() { (cd internal/report && "$1" -test.run '^$' -test.bench Report100k3y -test.benchtime 1x -test.count 1 -test.timeout 4h |
  awk '/^BenchmarkReport100k3y/ {print $3/1e9}'); }
run "$tmp/new.test" >/dev/null # builds the store when it is missing
for i in $(seq 1 "$count"); do
  echo "ref $(run "$tmp/ref.test") s"
  echo "new $(run "$tmp/new.test") s"
done | tee "$tmp/runs"
for side in ref new; do
  awk -v s=$side '$1 == s {print $2}' "$tmp/runs" | sort -n | awk -v s=$side '{v[NR]=$1} END {print s, "median", v[int((NR+1)/2)], "s of", NR}'
done
