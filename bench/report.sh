#!/bin/sh
# Measures `licmon report` (report.Build) over three years of daily history of
# a 100k-user site. The first run builds the database (long: ~1095 daily
# collections) and caches it under bench/out/, which is git-ignored; later
# runs reuse it. Prints the benchmark lines; take the median of the runs.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
export LICMON_BENCH_DB="${LICMON_BENCH_DB:-$PWD/bench/out/report-100k-3y.db}"
go test -run '^$' -bench 'Report100k3y' -benchtime "${BENCHTIME:-1x}" -count "${COUNT:-5}" -timeout 4h ./internal/report/
