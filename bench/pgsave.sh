#!/usr/bin/env bash
# A first save of the 100k-user snapshot on each backend, the store alone
# (BenchmarkFirstSave100k of internal/store), with the CPU seconds of the
# PostgreSQL server's processes per save beside licmon's own (cpu-ns/op):
# on a busy machine CPU compares better than wall time, and PostgreSQL's
# work is mostly the server's. BASE=<git ref> measures that tree too, in a
# temporary worktree, alternating with this one round by round. A private
# cluster of Debian's postgresql with its default settings (fsync on) from
# .ci/postgres.sh. ROUNDS (default 2) and BENCHTIME (default 3x).
# The server CPU includes each iteration's new schema (its migrations) and
# its drop, the same for every tree.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/postgres.sh
rounds=${ROUNDS:-2}; bt=${BENCHTIME:-3x}
trees=("$PWD")
wt=
cleanup() {
  pg_stop
  if [ -n "$wt" ]; then git worktree remove --force "$wt"; fi
}
trap cleanup EXIT
if [ -n "${BASE:-}" ]; then
  wt=$(mktemp -d /tmp/licmon-base.XXXXXX)
  git worktree add -q --detach "$wt" "$BASE"
  trees+=("$wt")
fi
PG_PORT=${PG_PORT:-55450} pg_start
export LICMON_REQUIRE_POSTGRES=1
n=${bt%x}
for r in $(seq 1 "$rounds"); do
  echo "round $r"
  for t in "${trees[@]}"; do
    name=this; [ "$t" = "$PWD" ] || name="base ($BASE)"
    for leg in sqlite postgres; do
      c0=$(pg_cpu)
      line=$(cd "$t" && go test ./internal/store -run '^$' -bench "FirstSave100k/$leg\$" -benchtime "$bt" -benchmem | grep '^Benchmark')
      c1=$(pg_cpu)
      echo "$line" | awk -v tree="$name" -v leg="$leg" -v srv="$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / n}')" '{
        for (i = 1; i < NF; i++) { if ($(i+1) == "ns/op") w = $i; if ($(i+1) == "cpu-ns/op") c = $i; if ($(i+1) == "B/op") m = $i }
        if (leg == "sqlite") srv = "-"
        printf "  %-22s %-8s %6.2f s/op  licmon cpu %5.2f s/op  server cpu %5s s/op  %4d MB/op\n", tree, leg, w / 1e9, c / 1e9, srv, m / 1e6 }'
    done
  done
done
