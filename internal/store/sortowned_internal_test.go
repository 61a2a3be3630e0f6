package store

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// sortedOwned sorts in place exactly as sortedCopy sorts into a copy, for
// sorted, reversed, random and repeated input.
func TestSortedOwnedEqualsSortedCopy(t *testing.T) {
	type row struct {
		key  int
		orig int // where it came from: equal keys must keep no particular order, but every row once
	}
	cmp := func(a, b *row) int { return a.key - b.key }
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 10, 1000, 4096} {
		for kind := range 4 {
			in := make([]row, n)
			for i := range in {
				switch kind {
				case 0:
					in[i].key = i
				case 1:
					in[i].key = n - i
				case 2:
					in[i].key = r.IntN(n + 1)
				case 3:
					in[i].key = r.IntN(3)
				}
				in[i].orig = i
			}
			want := sortedCopy(slices.Clone(in), cmp)
			got := sortedOwned(in, cmp)
			if n > 0 && &got[0] != &in[0] {
				t.Fatalf("n=%d kind=%d: not sorted in place", n, kind)
			}
			if len(got) != len(want) {
				t.Fatalf("n=%d kind=%d: %d rows, want %d", n, kind, len(got), len(want))
			}
			seen := make([]bool, n)
			for i := range got {
				if got[i].key != want[i].key {
					t.Fatalf("n=%d kind=%d: row %d has key %d, want %d", n, kind, i, got[i].key, want[i].key)
				}
				if seen[got[i].orig] {
					t.Fatalf("n=%d kind=%d: row %d twice", n, kind, got[i].orig)
				}
				seen[got[i].orig] = true
			}
		}
	}
}
