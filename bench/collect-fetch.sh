#!/usr/bin/env bash
# The fetch side of a collection (issue 17), in process, this tree against a
# base commit side by side: BenchmarkFetchFirst (what a first collection
# reads of a 10k-user site, ≈ 36 MB of JSON, over mutual TLS from a server
# answering from memory, into a snapshot) and BenchmarkList{Users,
# Allocations,Objects} (the simulator's lists of a 20k-user site decoded from
# bytes into the collector's records). The runs alternate between the two
# trees so that both see the same load; each line is the median of RUNS
# runs of ns/op (wall), cpu-ns/op (CPU time of the process per op, garbage
# collection included: on a shared machine it varies less), B/op, allocs/op.
#
#   bench/collect-fetch.sh [RUNS]          (default 5)
#   BASE=ref bench/collect-fetch.sh        (default ba20fee: main before w5-fetch)
#
# The base gets this tree's benchmark files. The lists' benchmarks decode
# with decodeListBytes: a base that has its own decodeListAs (w4-fetch on,
# jsontext tokens) gets a decodeListBytes that calls it; an older base
# (e.g. 2c242d7, before w4-fetch) also gets the decodeListAs below, which
# decodes the lists as main did then (qrs.Stream: a fresh slim record per
# element decoded by jsonv2.UnmarshalDecode, then converted and appended to
# a slice without capacity).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
base=${BASE:-ba20fee}
out=bench/out; mkdir -p "$out"
wt=$out/fetch-base
if [ ! -d "$wt" ]; then
  git worktree prune # a removed bench/out keeps its worktree registered
  git worktree add --detach "$wt" "$base" >/dev/null
fi
git -C "$wt" checkout -q -f --detach "$base" && git -C "$wt" clean -qf internal/collect
cp internal/collect/fetch_bench_test.go internal/collect/list_bench_test.go internal/collect/cputime_*_test.go "$wt/internal/collect/"
cat >"$wt/internal/collect/list_bytes_bench_test.go" <<'GO'
package collect

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

func decodeListBytes(data []byte, kind string) (int, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsonv1.DefaultOptionsV1())
	if _, err := dec.ReadToken(); err != nil {
		return 0, err
	}
	return decodeListAs(dec, kind)
}
GO
git -C "$wt" cat-file -e "$base:internal/collect/list_decode_bench_test.go" 2>/dev/null ||
  cat >"$wt/internal/collect/list_decode_bench_test.go" <<'GO'
package collect

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/licmon/licmon/internal/license"
)

func decodeListAs(dec *jsontext.Decoder, kind string) (int, error) {
	switch kind {
	case "users":
		var out []license.User
		for dec.PeekKind() == '{' {
			var u slimUser
			if err := jsonv2.UnmarshalDecode(dec, &u); err != nil {
				return len(out), err
			}
			out = append(out, user(&u))
		}
		return len(out), nil
	case "allocations":
		var out []license.Allocation
		for dec.PeekKind() == '{' {
			var a slimAllocation
			if err := jsonv2.UnmarshalDecode(dec, &a); err != nil {
				return len(out), err
			}
			out = append(out, allocation(license.Professional, &a))
		}
		return len(out), nil
	}
	auth := newAuthoring()
	n := 0
	for dec.PeekKind() == '{' {
		var o owned
		if err := jsonv2.UnmarshalDecode(dec, &o); err != nil {
			return n, err
		}
		auth.object(&o)
		n++
	}
	return n, nil
}
GO
bench='^(BenchmarkFetchFirst|BenchmarkList(Users|Allocations|Objects))$'
(cd "$wt" && go test -c -o ../fetch-base.test ./internal/collect)
go test -c -o "$out/fetch-this.test" ./internal/collect
: >"$out/fetch-bench.txt"
for run in $(seq 1 "$runs"); do
  for tree in this base; do
    (cd internal/collect && "../../$out/fetch-$tree.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.count 1) |
      awk -v t="$tree" '/^Benchmark/ {print t, $0}' >>"$out/fetch-bench.txt"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "median of $runs runs ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)); base $base"
printf '%-28s %-5s %14s %14s %12s %10s\n' benchmark tree ns/op cpu-ns/op B/op allocs/op
for b in $(awk '{print $2}' "$out/fetch-bench.txt" | sort -u); do
  for tree in base this; do
    f() { awk -v t="$tree" -v b="$b" -v u="$1" '$1 == t && $2 == b {for (i = 3; i < NF; i++) if ($(i+1) == u) print $i}' "$out/fetch-bench.txt" | median; }
    printf '%-28s %-5s %14.0f %14.0f %12.0f %10.0f\n' "$b" "$tree" "$(f ns/op)" "$(f cpu-ns/op)" "$(f B/op)" "$(f allocs/op)"
  done
done
