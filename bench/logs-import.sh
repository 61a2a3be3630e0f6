#!/usr/bin/env bash
# Times `licmon logs import` on the log tree of a simulated site at capacity
# (issue 11 targets: import throughput at least a quarter of `cat FILES | wc -c`
# on the same warm files, both cores, memory flat in the input; incremental
# import of one new day on a year-old store under 2 s).
#   USERS (default 1000) and DAYS (default 365) size the site.
#   BASE (a git revision, e.g. main) also times that revision's import,
#   alternating with this tree's, so both are measured under the same load.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/logs; mkdir -p "$out"
users=${USERS:-1000}; days=${DAYS:-365}
go build -o "$out/licmon" ./cmd/licmon
lic="$out/licmon"
if [ -n "${BASE:-}" ]; then
  rm -rf "$out/base" && mkdir -p "$out/base"
  git archive "$BASE" | tar -x -C "$out/base"
  (cd "$out/base" && go build -o ../licmon-base ./cmd/licmon)
fi
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# One tree of days+1 days ending 2026-01-02; the year-old store holds all
# but the files of the last day, which the incremental import then reads.
tree="$out/tree-$users-$days"
if [ ! -f "$tree/truth.json" ]; then
  rm -rf "$tree"
  "$lic" sim logs --out "$tree" --users "$users" --days $((days + 1)) --seed 7 --scenario at-capacity --end 2026-01-02
fi
mapfile -t files < <(find "$tree" -name '*.log' -o -name '*.txt')
bytes=$(cat "${files[@]}" | wc -c)
echo "tree: ${#files[@]} files, $bytes bytes, $users users, $((days + 1)) days"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load at the start:$(uptime | sed 's/.*load average://')"

cat "${files[@]}" >/dev/null  # warm the page cache
echo "== cat FILES | wc -c (the floor any reader pays), 5 runs"
for i in 1 2 3 4 5; do
  s=$(date +%s.%N); cat "${files[@]}" | wc -c >/dev/null; e=$(date +%s.%N)
  echo "$e - $s" | bc
done | tee "$out/cat.txt"
cat_s=$(median <"$out/cat.txt")
# CPU time of the pipeline (cat and wc), which a loaded machine does not
# inflate as it does wall time: with the import's CPU time, it bounds what
# an idle machine would give.
/usr/bin/time -f "%U %S" -o "$out/cat.time" bash -c 'cat "$@" | wc -c >/dev/null' _ "${files[@]}"
read -r cu cs <"$out/cat.time"
echo "cat|wc CPU: $cu s user + $cs s sys"

echo "== full import into a new store, 3 runs${BASE:+ (each followed by one of $BASE)}"
for i in 1 2 3; do
  for which in this ${BASE:+base}; do
    bin="$lic"; [ "$which" = base ] && bin="$out/licmon-base"
    rm -f "$out/full.db"*
    /usr/bin/time -f "%e %M %U %S" -o "$out/full.time" "$bin" logs import --site bench --db "$out/full.db" "$tree" >"$out/full.out"
    read -r wall rss user sys <"$out/full.time"
    echo "$which: $wall s wall, $user s user + $sys s sys, $rss KB max RSS"
    echo "$wall" >>"$out/full-$which.txt.$$"
    echo "$user + $sys" | bc >>"$out/cpu-$which.txt.$$"
  done
done
imp_s=$(median <"$out/full-this.txt.$$"); cpu_s=$(median <"$out/cpu-this.txt.$$"); rm -f "$out/full-this.txt.$$" "$out/cpu-this.txt.$$"
echo "median: cat|wc $cat_s s ($(echo "$bytes / $cat_s / 1000000" | bc) MB/s), import $imp_s s ($(echo "$bytes / $imp_s / 1000000" | bc) MB/s), ratio import/cat = $(echo "scale=3; $cat_s / $imp_s" | bc); import CPU $cpu_s s (user + sys)"
if [ -n "${BASE:-}" ]; then
  base_s=$(median <"$out/full-base.txt.$$"); base_cpu=$(median <"$out/cpu-base.txt.$$"); rm -f "$out/full-base.txt.$$" "$out/cpu-base.txt.$$"
  echo "median of $BASE: import $base_s s ($(echo "$bytes / $base_s / 1000000" | bc) MB/s), CPU $base_cpu s; this tree is $(echo "scale=2; $base_s / $imp_s" | bc)x as fast, $(echo "scale=2; $base_cpu / $cpu_s" | bc)x less CPU"
fi

echo "== the reading side alone (qlog.Extract over the same files, one reader per core, no store), 3 runs"
for i in 1 2 3; do
  LICMON_BENCH_TREE="$(cd "$tree" && pwd)" go test ./internal/qlog -run '^$' -bench BenchmarkExtractTree -benchtime 3x | grep Benchmark
done

echo "== incremental import of the last day on the year-old store, 3 runs"
# The year-old store holds every file but the last day's: the active files
# (Log/) and those rolled that day. The stage is hard links (same paths in
# both imports, so the second finds the first's records).
for i in 1 2 3; do
  stage="$out/stage"; rm -rf "$stage" "$out/inc.db"*
  cp -al "$tree" "$stage"
  rm -rf "$stage/Log"
  find "$stage" \( -name '*_2026-01-01T*Z.log' -o -name '*_2026-01-02T*Z.log' \) -delete
  "$lic" logs import --site bench --db "$out/inc.db" "$stage" >/dev/null
  rm -rf "$stage" && cp -al "$tree" "$stage"
  /usr/bin/time -f "%e %M %U %S" -o "$out/inc.time" "$lic" logs import --site bench --db "$out/inc.db" "$stage" >"$out/inc.out"
  read -r wall rss user sys <"$out/inc.time"
  echo "$wall s wall, $user s user + $sys s sys, $rss KB max RSS: $(sed -n 2,3p "$out/inc.out" | tr -s " \n" " ")"
done
echo "load at the end:$(uptime | sed 's/.*load average://')"
