package cli

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// TestServeLimitFollowsStoredSites: serve's soft memory limit counts the
// largest site of its store whole and the others at a quarter (it collects
// one at a time); a store without collections sets none.
func TestServeLimitFollowsStoredSites(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := serveLimit(ctx, st); got != math.MaxInt64 {
		t.Errorf("empty store: limit %d, want none", got)
	}
	at := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	sizes := map[string][2]int{}
	for i, site := range []string{"big", "small"} {
		n := 400 / (i + 1)
		snap := storetest.Generate(uint64(i+1), storetest.Config{Site: site, At: at, Users: n, Professional: n / 4, Analyzer: n / 4})
		if _, err := st.SaveSnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
		sizes[site] = [2]int{len(snap.Users), len(snap.Allocations)}
	}
	big, small := sizes["big"][0]+sizes["big"][1], sizes["small"][0]+sizes["small"][1]
	if got, want := serveLimit(ctx, st), collect.MemoryLimit(big+small/4, 0); got != want {
		t.Errorf("two sites: limit %d, want %d (%d items whole, %d at a quarter)", got, want, big, small)
	}
}
