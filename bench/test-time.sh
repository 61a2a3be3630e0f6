#!/usr/bin/env bash
# Times `go test -count=1 ./...` per package, warm (build cache filled by a
# first untimed pass), for the current tree and a reference revision side by
# side in the same run: RUNS rounds, each timing the reference and then the
# current tree, and prints the median per package and of the wall time.
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

time_tree() { # dir label run
  local start=$SECONDS
  (cd "$1" && go test -count=1 -json ./... >"$OLDPWD/$out/$2-$3.json" 2>&1) || echo "($2 run $3 had failures)"
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
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "–"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-50s %10s %10s\n' package "ref (s)" "cur (s)"
for p in $(cut -d' ' -f1 "$out/ref.txt" "$out/cur.txt" | sort -u); do
  a=$(awk -v p="$p" '$1==p {print $2}' "$out/ref.txt" | median)
  b=$(awk -v p="$p" '$1==p {print $2}' "$out/cur.txt" | median)
  printf '%-50s %10s %10s\n' "${p#github.com/licmon/licmon/}" "$a" "$b"
done | sort -k2 -rn
printf '%-50s %10s %10s\n' "wall: go test ./..." \
  "$(awk '$1=="ref" {print $4}' "$out/wall.txt" | median)" "$(awk '$1=="cur" {print $4}' "$out/wall.txt" | median)"
