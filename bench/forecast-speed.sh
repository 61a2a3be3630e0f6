#!/usr/bin/env bash
# Times one run-out forecast (1,095 daily points, 500 bootstrap paths, 365-day horizon) and a
# rolling-origin backtest (+30 and +90 days) on one core, for this tree and for a reference
# commit (default: where this branch left main), side by side in one run: the two benchmarks
# alternate, RUNS times each, and the medians are printed. Figures go to docs/PERFORMANCE.md.
#
#   bench/forecast-speed.sh                 reference = git merge-base HEAD main (or origin/main)
#   REF=f4bba44 RUNS=7 bench/forecast-speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
REF="${REF:-$(git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main)}"
out=bench/out/forecast-speed
rm -rf "$out" && mkdir -p "$out/ref"
# The forecast package uses only the standard library, so the reference builds on its own.
git archive "$REF" go.mod internal/forecast | tar -x -C "$out/ref"
go test -c -o "$out/new.test" ./internal/forecast/
(cd "$out/ref" && go test -c -o ../ref.test ./internal/forecast/)
echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
echo "reference: $(git log -1 --format='%h %s' "$REF")"
for i in $(seq 1 "$RUNS"); do
  for v in ref new; do
    "$out/$v.test" -test.run '^$' -test.bench 'RunOut|Backtest' -test.cpu 1 -test.benchmem |
      awk -v v="$v" '/^Benchmark/ {print v, $1, $3}' >>"$out/runs.txt"
  done
done
awk '{k=$1" "$2; n[k]++; t[k, n[k]]=$3} END {
  for (k in n) { m=n[k]; for (i=1;i<=m;i++) a[i]=t[k,i];
    for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (a[j]<a[i]) {x=a[i];a[i]=a[j];a[j]=x}
    printf "%-4s %-22s median %7.2f ms (min %.2f, max %.2f, %d runs)\n", substr(k,1,index(k," ")-1), substr(k,index(k," ")+1), a[int((m+1)/2)]/1e6, a[1]/1e6, a[m]/1e6, m }
}' "$out/runs.txt" | sort -k2,2 -k1,1
