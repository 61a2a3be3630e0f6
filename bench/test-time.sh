#!/usr/bin/env bash
# Times `go test -count=1 ./...` per package, warm (build cache filled by a
# first untimed pass), for the current tree and a reference revision side by
# side in the same run: RUNS rounds, each timing the reference and then the
# current tree, and prints the median per package of the elapsed time (as
# go test reports it) and of the CPU time of the test binary (user + sys,
# its child processes included, measured by /usr/bin/time through -exec),
# and the median wall and CPU time of the whole `go test ./...`. On a
# shared machine the CPU times are the figures to compare: the elapsed
# ones grow with the load.
#   bench/test-time.sh [REF] [RUNS]      (defaults: HEAD~1, 3)
# The reference is exported with `git archive` into a temporary folder, so
# the repository is left as it is. Set LICMON_LONG etc. as CI does to time
# those sizes too.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-HEAD~1}
runs=${2:-3}
out=bench/out/test-time; rm -rf "$out"; mkdir -p "$out/ref"
git archive "$ref" | tar -x -C "$out/ref"
# The sample-based tests find ../shared/samples relative to the tree.
if [ -d ../shared ]; then ln -sfn "$(cd ../shared && pwd)" "$out/shared"; fi

# The test binary runs in its package's folder: the wrapper records that
# folder with the binary's elapsed, user and system seconds.
cat >"$out/cpu-exec" <<'WRAP'
#!/bin/sh
exec /usr/bin/time -a -o "$LICMON_CPU_LOG" -f "$(pwd) %e %U %S" "$@"
WRAP
chmod +x "$out/cpu-exec"
exec_wrapper=$(cd "$out" && pwd)/cpu-exec

time_tree() { # dir label run
  local start=$SECONDS log
  log=$(pwd)/$out/$2-$3.cpu
  (cd "$1" && LICMON_CPU_LOG="$log" /usr/bin/time -a -o "$OLDPWD/$out/whole.txt" -f "$2 $3 %e %U %S" \
    go test -count=1 -json -exec "$exec_wrapper" ./... >"$OLDPWD/$out/$2-$3.json" 2>&1) || echo "($2 run $3 had failures)"
  echo "$2 $3 wall $((SECONDS - start))" >>"$out/wall.txt"
}
echo "== warming the build cache"
(cd "$out/ref" && go test -count=1 -run '^$' ./... >/dev/null)
go test -count=1 -run '^$' ./... >/dev/null
for r in $(seq 1 "$runs"); do
  echo "== round $r"
  time_tree "$out/ref" ref "$r"
  time_tree . cur "$r"
done

# Package-level pass/fail events carry the package's elapsed seconds.
for label in ref cur; do
  cat "$out/$label"-*.json | grep -E '"Action":"(pass|fail)"' | grep -v '"Test":' |
    sed -E 's/.*"Package":"([^"]*)".*"Elapsed":([0-9.]+).*/\1 \2/' >"$out/$label.txt"
done
# CPU per package: the folder relative to its tree, user + sys seconds.
for label in ref cur; do
  root=$(pwd); [ "$label" = ref ] && root=$(cd "$out/ref" && pwd)
  cat "$out/$label"-*.cpu 2>/dev/null | grep -v '^Command' |
    awk -v r="$root/" '{p=$1; sub(r, "", p); if (p==$1) p="."; printf "%s %.1f\n", p, $3+$4}' >"$out/$label-cpu.txt"
done
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "–"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-42s %14s %14s %14s %14s\n' package "ref elapsed" "cur elapsed" "ref cpu" "cur cpu"
for p in $(cut -d' ' -f1 "$out/ref.txt" "$out/cur.txt" | sort -u); do
  short=${p#github.com/licmon/licmon/}
  a=$(awk -v p="$p" '$1==p {print $2}' "$out/ref.txt" | median)
  b=$(awk -v p="$p" '$1==p {print $2}' "$out/cur.txt" | median)
  c=$(awk -v p="$short" '$1==p {print $2}' "$out/ref-cpu.txt" | median)
  d=$(awk -v p="$short" '$1==p {print $2}' "$out/cur-cpu.txt" | median)
  printf '%-42s %14s %14s %14s %14s\n' "$short" "$a" "$b" "$c" "$d"
done | sort -k3 -rn
printf '%-42s %14s %14s %14s %14s\n' "whole go test ./... (wall, cpu)" \
  "$(awk '$1=="ref" {print $3}' "$out/whole.txt" | median)" "$(awk '$1=="cur" {print $3}' "$out/whole.txt" | median)" \
  "$(awk '$1=="ref" {print $4+$5}' "$out/whole.txt" | median)" "$(awk '$1=="cur" {print $4+$5}' "$out/whole.txt" | median)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
