package collect

import (
	"context"

	"github.com/licmon/licmon/internal/store"
)

// A collection holds the site's users and allocations in memory while it
// diffs them against the store: measured with GODEBUG=gctrace=1 on the
// simulated 100k-user site (100k users, 96k allocations, 200k app objects)
// the live heap peaks at ≈ 146 MB and on the 300k-user one at ≈ 443 MB,
// ≈ 740 bytes per user or allocation counted the way the limit counts them
// at a first collection (the user count twice), plus the runtime, buffers
// and SQLite's page cache.
const (
	memoryBase    = 48 << 20 // runtime, HTTP and JSON buffers, SQLite's cache
	memoryPerItem = 1200     // ≈ 740 bytes live per user or allocation, plus three fifths of headroom
)

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) for
// collecting a site of users users and allocations allocations: its
// measured live heap plus three fifths, so the garbage collector runs before
// the heap doubles (the default pacing would peak at twice the live heap),
// yet never runs without end because the limit is below what a big site
// keeps live, which a fixed limit did: 224 MiB made the collector of a
// 300k-user site spend half its CPU time collecting garbage. It grows
// linearly with the site: 100k users with 96k allocations get 286 MB,
// 300k users with 290k allocations 758 MB. 1,000 bytes (a third) was
// measured too: 30 MB less at 100k users, but 3.5 s more CPU in the
// garbage collector at 300k (docs/PERFORMANCE.md).
func MemoryLimit(users, allocations int) int64 {
	return memoryBase + memoryPerItem*int64(max(users, 0)+max(allocations, 0))
}

// SiteSize is the size of the site's latest collection in the store: its
// users and allocations; known is false before its first collection.
func SiteSize(ctx context.Context, st store.Store, site string) (users, allocations int, known bool, err error) {
	last, err := st.LatestSnapshotTime(ctx, site)
	if err != nil || last.IsZero() {
		return 0, 0, false, err
	}
	cs, err := st.Collections(ctx, site, last, last)
	if err != nil || len(cs) == 0 {
		return 0, 0, false, err
	}
	c := cs[len(cs)-1]
	return c.Users, c.Allocations, true, nil
}
