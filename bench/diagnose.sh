#!/usr/bin/env bash
# Generates a ~200 MB failing script log from a real sample (the body repeated,
# a License Monitor 401 failure at the end) and times `licmon diagnose` on it
# pinned to one core (issue 3 target: >= 300 MB/s, flat memory).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
go build -o "$out/licmon" ./cmd/licmon
log="$out/big-failing.log"
if [ ! -s "$log" ]; then
  # header of a real 2016 log, its body repeated, the tail of a 401 failure
  sample=$(ls ../shared/samples/script-logs/sql2_*.log | head -1)
  head -n 28 "$sample" > "$log"
  chunk="$out/chunk.txt"; : > "$chunk"
  for i in $(seq 1 200); do sed -n '29,$p' "$sample" | grep -v 'Execution finished' >> "$chunk"; done
  while [ "$(stat -c %s "$log")" -lt 200000000 ]; do cat "$chunk" >> "$log"; done
  sed -n '40,$p' internal/scriptlog/testdata/lm-401-old-format.log >> "$log"
  rm -f "$chunk"
fi
size=$(stat -c %s "$log")
for i in $(seq 1 5); do
  s=$(date +%s.%N)
  /usr/bin/time -f "%M KB max RSS" taskset -c 0 "$out/licmon" diagnose "$log" >/dev/null 2>"$out/diag.time" || true
  e=$(date +%s.%N)
  echo "run $i: $(echo "scale=1; $size / 1000000 / ($e - $s)" | bc) MB/s, $(tail -1 "$out/diag.time")"
done
