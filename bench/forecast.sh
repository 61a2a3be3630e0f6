#!/usr/bin/env bash
# Compares licmon's forecast with R's forecast::ets and a random walk with drift (R's rwf, and
# licmon's Go reimplementation of it) side by side, on the same generated license series with
# known futures: coverage of the 80% interval, MAPE and the mean Winkler interval score
# (α = 0.2) per history length (short: 45-90 days, long: 8-20 months) and horizon (30, 90, 180
# days). The table goes to docs/FORECASTING.md.
#
#   bench/forecast.sh            400 series per group, seed 1, 500 licmon paths
#   N=100 SEED=7 bench/forecast.sh
#
# Needs R with the forecast package. When Rscript is missing and we are root on Debian/Ubuntu,
# it installs r-base-core and r-cran-forecast with apt-get (a few minutes); otherwise it says
# what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-400}"
SEED="${SEED:-1}"
PATHS="${PATHS:-500}"
CORES="${CORES:-$(nproc 2>/dev/null || echo 1)}"
out=bench/out/forecast
mkdir -p "$out"

if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'suppressMessages(library(forecast))' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing R and its forecast package (r-base-core r-cran-forecast)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq r-base-core r-cran-forecast >/dev/null
  else
    echo "bench/forecast.sh needs R with the forecast package." >&2
    echo "On Debian/Ubuntu: sudo apt-get install r-base-core r-cran-forecast" >&2
    echo "Elsewhere: install R, then in R: install.packages(\"forecast\")" >&2
    exit 1
  fi
fi

go build -o "$out/forecast-bench" ./bench/forecast
echo "== generating $N short and $N long series (seed $SEED)"
"$out/forecast-bench" generate -dir "$out" -n "$N" -seed "$SEED"
echo "== R: ets and rwf"
Rscript bench/forecast/r.R "$out" "$CORES"
echo "== scoring (machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'); $(date -u +%Y-%m-%d))"
"$out/forecast-bench" evaluate -dir "$out" -paths "$PATHS" | tee "$out/table.md"
