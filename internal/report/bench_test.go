package report

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// BenchmarkReport100k3y builds the report of a 100k-user site with three
// years of daily history (target < 1 s). The database takes long to build,
// so it is cached: LICMON_BENCH_DB names the file (bench/report.sh uses
// bench/out/report-100k-3y.db); LICMON_BENCH_DAYS shortens the history.
// Without LICMON_BENCH_DB the benchmark is skipped.
func BenchmarkReport100k3y(b *testing.B) {
	path := os.Getenv("LICMON_BENCH_DB")
	if path == "" {
		b.Skip("set LICMON_BENCH_DB to a cache file (see bench/report.sh)")
	}
	days := 3 * 365
	if v, err := strconv.Atoi(os.Getenv("LICMON_BENCH_DAYS")); err == nil && v > 0 {
		days = v
	}
	ctx := context.Background()
	st := benchStore(b, ctx, path, days)
	defer st.Close()
	b.ResetTimer()
	for b.Loop() {
		r, err := Build(ctx, st, "prod", Options{Seed: 1, CandidateLimit: DefaultCandidateLimit}) // as licmon report
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Types) == 0 {
			b.Fatal("empty report")
		}
	}
}

// benchStore opens the cached database, extending it to days of daily
// collections (1% of users change per day) when it is shorter.
func benchStore(b *testing.B, ctx context.Context, path string, days int) store.Store {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2023, 1, 2, 6, 0, 0, 0, time.UTC)
	cs, err := st.Collections(ctx, "prod", start, start.AddDate(0, 0, days))
	if err != nil {
		b.Fatal(err)
	}
	if len(cs) >= days {
		return st
	}
	snap := storetest.Generate(42, storetest.Config{Site: "prod", At: start, Users: 100_000, Professional: 55_000,
		Analyzer: 40_000, Authoring: 20_000, CapacityUser: 2_000})
	snap.Counters = storetest.CountersOf(snap, 60_000, 45_000)
	g := storetest.NewStream(42)
	for d := 0; d < days; d++ {
		if d > 0 {
			snap = g.Next(snap, start.AddDate(0, 0, d), 0.01)
		}
		if d < len(cs) {
			continue // already stored
		}
		res, err := st.SaveSnapshot(ctx, snap)
		if err != nil {
			b.Fatalf("day %d: %v", d, err)
		}
		if res.First {
			if err := st.SaveReconstructed(ctx, "prod", license.Reconstruct(snap, time.Time{})); err != nil {
				b.Fatal(err)
			}
		}
		if d%50 == 0 {
			b.Logf("built day %d of %d", d, days)
		}
	}
	return st
}
