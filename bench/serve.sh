#!/usr/bin/env bash
# Memory of `licmon serve` watching three simulated 100k-user sites.
# Usage: bench/serve.sh [users] [seconds-after-first-collects]
# Prints the RSS of the serve process (from /proc) once all three first
# collections are done and again after the settle time.
set -euo pipefail
USERS=${1:-100000}
SETTLE=${2:-60}
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
go build -o "$WORK/licmon" ./cmd/licmon
for i in 1 2 3; do
  "$WORK/licmon" sim --users "$USERS" --listen "127.0.0.1:1424$i" --cert-dir "$WORK/certs$i" --seed "$i" --history 120 >"$WORK/sim$i.log" 2>&1 &
done
for i in 1 2 3; do
  until [ -f "$WORK/certs$i/client.pem" ] && grep -q . "$WORK/sim$i.log"; do sleep 0.5; done
done
cat >"$WORK/licmon.yaml" <<YAML
db: $WORK/licmon.db
serve:
  listen: 127.0.0.1:18080
schedule:
  check_every: 1m
sites:
YAML
for i in 1 2 3; do
  printf '  - name: site%s\n    server: https://localhost:1424%s\n    cert_dir: %s\n' "$i" "$i" "$WORK/certs$i" >>"$WORK/licmon.yaml"
done
start=$(date +%s)
"$WORK/licmon" serve --config "$WORK/licmon.yaml" >"$WORK/serve.log" 2>&1 &
SERVE=$!
until [ "$(curl -s http://127.0.0.1:18080/metrics | grep -c '^licmon_collect_success{.*} 1')" = 3 ]; do
  sleep 2
  if ! kill -0 $SERVE 2>/dev/null; then cat "$WORK/serve.log"; exit 1; fi
done
echo "first collections of 3 x $USERS users done in $(( $(date +%s) - start ))s"
rss() { awk '/VmRSS/{print $2/1024 " MB"}' /proc/$SERVE/status; }
hwm() { awk '/VmHWM/{print $2/1024 " MB"}' /proc/$SERVE/status; }
echo "RSS after first collects: $(rss) (peak $(hwm))"
sleep "$SETTLE"
echo "RSS after ${SETTLE}s more (checks every minute): $(rss) (peak $(hwm))"
curl -s http://127.0.0.1:18080/metrics | grep -E '^licmon_(collect|check)_duration_seconds'
go build -o "$WORK/load" ./bench/load
echo "dashboard and API under a bounded local load (4 clients, 20 s):"
"$WORK/load" -c 4 -d 20s http://127.0.0.1:18080/ http://127.0.0.1:18080/sites/site1 http://127.0.0.1:18080/sites/site2 \
  http://127.0.0.1:18080/api/v1/sites/site3/forecast http://127.0.0.1:18080/api/v1/sites/site1/check
echo "RSS after the load: $(rss) (peak $(hwm))"
