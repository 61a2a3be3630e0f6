#!/bin/sh
# 48 concurrent GET /api/v1/sites/{site}/report for a 50k-user site right
# after a new report model (a collection), through licmon's web handler and,
# side by side in the same run, through a reference that encodes the model
# once per request (what serve did before). Prints the benchmark lines and
# the median of each metric over the runs.
# Usage: bench/serve-heavy.sh [runs]   (default 5; each run is 3 rounds)
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
COUNT=${1:-5}
go test -run '^$' -bench 'BenchmarkConcurrentReport' -benchtime 3x -count "$COUNT" ./internal/web/ | tee bench/out/serve-heavy.txt
awk '/^BenchmarkConcurrentReport/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  for (i = 3; i < NF; i += 2) { key = name " " $(i+1); vals[key] = vals[key] " " $i }
}
END {
  for (k in vals) {
    n = split(substr(vals[k], 2), a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    printf "median of %d: %s %s\n", n, k, a[int((n + 1) / 2)]
  }
}' bench/out/serve-heavy.txt | sort
