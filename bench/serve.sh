#!/usr/bin/env bash
# `licmon serve` watching three simulated 100k-user sites during their first
# collections: peak RSS (VmHWM) of the serve process, and whether every check
# scheduled in that window ran and was stored. Each run starts serve on a new
# store, checks every 30 s, waits for the three first collections and (for
# the candidate, which logs them) the three report models, then SETTLE
# seconds more, stops serve and counts the stored check results (`licmon db
# stats`) and the checks skipped or failed (serve's log). The same runs are
# made side by side with a reference build of REF against the same simulated
# sites; the medians are printed at the end.
#
# Usage: bench/serve.sh [users] [settle-seconds]    (defaults 100000 and 30)
# Environment: RUNS (default 3); REF, the reference's git revision (default
#   6f7dd38: main before checks stopped waiting for the store; REF=none
#   skips it); LOAD=1 also runs the bounded dashboard/API load against the
#   candidate after the last run; SERVE_GODEBUG=gctrace=1 adds the largest
#   live heap of each run (from the garbage collector's trace).
set -euo pipefail
USERS=${1:-100000}
SETTLE=${2:-30}
RUNS=${RUNS:-3}
REF=${REF:-6f7dd38}
EVERY=30
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
echo "machine: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/{print int($2/1024) " MB"}' /proc/meminfo); $(go version); load average $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$WORK/licmon" ./cmd/licmon
BINS="new"
if [ "$REF" != none ]; then
  mkdir "$WORK/ref-src"
  git archive "$REF" | tar -x -C "$WORK/ref-src"
  (cd "$WORK/ref-src" && go build -o "$WORK/licmon-ref" ./cmd/licmon)
  BINS="ref new"
  echo "reference: $REF ($(git rev-parse --short "$REF")); candidate: the working tree ($(git rev-parse --short HEAD))"
fi
for i in 1 2 3; do
  "$WORK/licmon" sim --users "$USERS" --listen "127.0.0.1:1424$i" --cert-dir "$WORK/certs$i" --seed "$i" --history 120 >"$WORK/sim$i.log" 2>&1 &
done
for i in 1 2 3; do
  until [ -f "$WORK/certs$i/client.pem" ] && grep -q . "$WORK/sim$i.log"; do sleep 0.5; done
done

rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/{print int($2/1024)}' "/proc/$1/status"; }
metric() { curl -s "http://127.0.0.1:18080/metrics" | awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m {s += $2} END {print s + 0}'; }

# run_one LABEL RUN: one serve on a new store; appends a result line to $WORK/results.
run_one() {
  local label=$1 run=$2 bin="$WORK/licmon"
  [ "$label" = ref ] && bin="$WORK/licmon-ref"
  local dir="$WORK/$label$run"
  mkdir "$dir"
  cat >"$dir/licmon.yaml" <<YAML
db: $dir/licmon.db
serve:
  listen: 127.0.0.1:18080
schedule:
  check_every: ${EVERY}s
sites:
YAML
  for i in 1 2 3; do
    printf '  - name: site%s\n    server: https://localhost:1424%s\n    cert_dir: %s\n' "$i" "$i" "$WORK/certs$i" >>"$dir/licmon.yaml"
  done
  local start end
  start=$(date +%s)
  GODEBUG=${SERVE_GODEBUG:-} "$bin" serve --config "$dir/licmon.yaml" >"$dir/serve.log" 2>&1 &
  local pid=$!
  until [ "$(metric 'licmon_collect_success')" = 3 ]; do
    sleep 2
    if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/serve.log"; exit 1; fi
  done
  local collected=$(( $(date +%s) - start ))
  if [ "$label" = new ]; then
    # The report models are built after the collections that waited.
    until [ "$(grep -c 'msg="report model built"' "$dir/serve.log")" -ge 3 ]; do
      sleep 2
      if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/serve.log"; exit 1; fi
    done
  fi
  local models=$(( $(date +%s) - start ))
  sleep "$SETTLE"
  end=$(date +%s)
  local peak after late unsaved
  peak=$(hwm "$pid"); after=$(rss "$pid")
  late=$(metric licmon_check_late_total); unsaved=$(metric licmon_check_results_unsaved)
  if [ "$label" = new ] && [ "${LOAD:-0}" = 1 ] && [ "$run" = "$RUNS" ]; then
    go build -o "$WORK/load" ./bench/load
    echo "dashboard and API under a bounded local load (4 clients, 20 s):"
    "$WORK/load" -c 4 -d 20s http://127.0.0.1:18080/ http://127.0.0.1:18080/sites/site1 http://127.0.0.1:18080/sites/site2 \
      http://127.0.0.1:18080/api/v1/sites/site3/forecast http://127.0.0.1:18080/api/v1/sites/site1/check
    echo "RSS after the load: $(rss "$pid") MB (peak $(hwm "$pid") MB)"
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  # The checks the scheduler was due to start in the window, per site one
  # at start and one per interval, each delayed by up to a tenth of the
  # interval (jitter) and the process start: a range.
  local due_min=$(( 3 * (1 + (end - start - EVERY / 10 - 2) / EVERY) )) due_max=$(( 3 * (1 + (end - start) / EVERY) ))
  local due=$due_min
  [ "$due_max" != "$due_min" ] && due="$due_min-$due_max"
  local stored skipped failed
  stored=$("$WORK/licmon" db stats --db "$dir/licmon.db" | awk '$1 == "check_results" {print $2}')
  skipped=$(grep -c 'previous run still going.*job=check' "$dir/serve.log" || true)
  failed=$(grep -c 'run failed.*job=check\|check result not stored' "$dir/serve.log" || true)
  # With SERVE_GODEBUG=gctrace=1: the largest heap left live by a GC.
  local live=""
  if grep -q '^gc ' "$dir/serve.log"; then
    live=" max_live_heap=$(grep '^gc ' "$dir/serve.log" | grep -o '[0-9]*->[0-9]*->[0-9]* MB' | awk -F'->' '{print $3 + 0}' | sort -n | tail -1)MB"
  fi
  echo "$label $run peak=$peak after=$after collected_s=$collected models_s=$models window_s=$((end - start)) checks_due=$due stored=$stored skipped=$skipped failed=$failed late=$late unsaved_at_end=$unsaved$live" | tee -a "$WORK/results"
}

for run in $(seq "$RUNS"); do
  for label in $BINS; do
    run_one "$label" "$run"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
field() { awk -v l="$1" -v f="$2" '$1 == l {for (i = 3; i <= NF; i++) {split($i, kv, "="); if (kv[1] == f) print kv[2]}}' "$WORK/results"; }
for label in $BINS; do
  echo "median of $RUNS ($label): peak RSS $(field "$label" peak | median) MB, RSS after $(field "$label" after | median) MB," \
    "first collections done in $(field "$label" collected_s | median) s; checks stored/due per run: $(paste -d/ <(field "$label" stored) <(field "$label" checks_due) | tr '\n' ' ')"
done
