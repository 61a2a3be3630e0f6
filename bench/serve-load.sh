#!/usr/bin/env bash
# The serve load test (internal/serve/load_linux_test.go) several times:
# licmon serve watching a simulated 100k-user site, 200 requests/s for
# SECONDS over the dashboard, API, report and CSV, with /-/healthy as the
# reference measured in the same run. Prints each run's percentiles and
# memory, then the medians of p99 (all requests and /-/healthy), of the
# busy answers (503 + Retry-After) of the whole-model requests and of the
# maximum RSS. Usage: bench/serve-load.sh [runs] [seconds]
set -uo pipefail
RUNS=${1:-3}
SECONDS_LOAD=${2:-60}
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/{print int($2/1024) " MB"}' /proc/meminfo); $(go version)"
for i in $(seq "$RUNS"); do
  LICMON_LOAD_TEST=1 LICMON_LOAD_SECONDS="$SECONDS_LOAD" LICMON_LOAD_REPORT="$WORK/run$i.txt" \
    go test ./internal/serve/ -run '^TestServeUnderLoad$' -count=1 -timeout 20m >"$WORK/test$i.log" 2>&1
  echo "== run $i: $(tail -1 "$WORK/test$i.log")"
  cat "$WORK/run$i.txt" 2>/dev/null || tail -20 "$WORK/test$i.log"
  # The failures the test reported (errors, memory), if any.
  grep -h 'load_linux_test.go:[0-9]*: [0-9]* × \|over the documented\|at least once a second\|panic\|leak' "$WORK/test$i.log" || true
done
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
p99() { grep -h "^$1 " "$WORK"/run*.txt | sed 's/.*p99=//' | awk '{v=$1; if (v ~ /µs$/) {sub(/µs/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' | median; }
echo "median p99, all requests: $(p99 all) ms; /-/healthy (reference): $(p99 /-/healthy) ms"
echo "median busy answers (503 + Retry-After) of the whole-model requests: $(grep -ho '^[0-9]* of the whole-model' "$WORK"/run*.txt | awk '{print $1}' | median)"
echo "median max RSS under load: $(grep -ho 'max [0-9]* MB' "$WORK"/run*.txt | awk '{print $2}' | median) MB"
