package collect_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// TestMemoryLimitFollowsSite: the soft memory limit grows linearly with
// the users and allocations a collection holds, stays above what a
// collection of that size was measured to keep live (≈ 740 bytes each, a
// 100k-user site ≈ 146 MB, a 300k-user one ≈ 443 MB, GODEBUG=gctrace=1 on
// bench/collect.sh's sites), so the garbage collector never runs without
// end, and below the peak the performance goals allow (300 MB at 100k
// users, 800 MB at 300k).
func TestMemoryLimitFollowsSite(t *testing.T) {
	const mb = 1e6
	for _, c := range []struct {
		users, allocs int
		live, goal    float64 // MB
	}{
		{100_000, 95_835, 146, 300},
		{300_000, 290_000, 443, 800},
	} {
		l := float64(collect.MemoryLimit(c.users, c.allocs)) / mb
		if l <= c.live*1.2 || l >= c.goal {
			t.Errorf("%d users, %d allocations: limit %.0f MB, want above %.0f MB (the live heap and a fifth) and below the %.0f MB goal",
				c.users, c.allocs, l, c.live*1.2, c.goal)
		}
	}
	base := collect.MemoryLimit(0, 0)
	if per := collect.MemoryLimit(100_000, 100_000) - base; collect.MemoryLimit(300_000, 300_000)-base != 3*per {
		t.Errorf("the limit above its base is not proportional to the site: %d for 200k items, %d for 600k",
			per, collect.MemoryLimit(300_000, 300_000)-base)
	}
	if collect.MemoryLimit(-1, -1) != base {
		t.Errorf("a negative size is not taken as zero")
	}
}

// TestRunTellsSiteSize: a collection tells its caller the site's size
// before it reads the lists: at the first, the QRS's user count; after,
// the users and allocations of the latest collection in the store.
func TestRunTellsSiteSize(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 80, HistoryDays: 10})
	c := site.Client(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	var told [][2]int
	opts := collect.Options{Size: func(u, a int) { mu.Lock(); told = append(told, [2]int{u, a}); mu.Unlock() }}
	ctx := context.Background()
	now := time.Now()
	r, err := collect.RunWith(ctx, c, st, "prod", now, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := len(r.Snapshot.Users)
	if len(told) != 1 || told[0] != [2]int{n, n} {
		t.Fatalf("first collection told %v, want the QRS's %d users (as many allocations)", told, n)
	}
	told = nil
	if _, err := collect.RunWith(ctx, c, st, "prod", now.Add(time.Hour), opts); err != nil {
		t.Fatal(err)
	}
	if want := [2]int{n, len(r.Snapshot.Allocations)}; len(told) != 1 || told[0] != want {
		t.Fatalf("second collection told %v, want the stored %v", told, want)
	}
}
