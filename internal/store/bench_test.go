package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// big is the 100k-user site of the performance targets.
func big(site string) *license.Snapshot {
	return storetest.Generate(42, storetest.Config{Site: site, At: t0, Users: 100_000, Professional: 60_000,
		Analyzer: 40_000, Authoring: 20_000, CapacityUser: 2_000})
}

// BenchmarkFirstCollect100k: the first collect of a 100k-user site, including
// the backfill (target < 10 s, < 300 MB). Each iteration is a new site in
// the same file, so each is a true first save.
// Each benchmark runs on SQLite and PostgreSQL (sub-benchmarks sqlite and
// postgres; the second skips without LICMON_TEST_POSTGRES).
func BenchmarkFirstCollect100k(b *testing.B) {
	benchEachBackend(b, benchFirstCollect100k)
}

func benchEachBackend(b *testing.B, f func(b *testing.B, be backend)) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { f(b, be) })
	}
}

func benchFirstCollect100k(b *testing.B, be backend) {
	s, _ := be.open(b, store.Options{})
	ctx := context.Background()
	base := big("x")
	i := 0
	for b.Loop() {
		snap := storetest.Clone(base)
		snap.Site = fmt.Sprintf("site%d", i)
		i++
		if _, err := s.SaveSnapshot(ctx, snap); err != nil {
			b.Fatal(err)
		}
		rec := license.Reconstruct(snap, time.Time{})
		if err := s.SaveReconstructed(ctx, snap.Site, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNextCollect100k: a following collect with ~5% changes (target < 3 s).
func BenchmarkNextCollect100k(b *testing.B) {
	benchEachBackend(b, benchNextCollect100k)
}

func benchNextCollect100k(b *testing.B, be backend) {
	s, _ := be.open(b, store.Options{})
	ctx := context.Background()
	snap := big("prod")
	if _, err := s.SaveSnapshot(ctx, snap); err != nil {
		b.Fatal(err)
	}
	g := storetest.NewStream(42)
	at := t0
	for b.Loop() {
		b.StopTimer()
		at = at.Add(24 * time.Hour)
		snap = g.Next(snap, at, 0.05)
		b.StartTimer()
		if _, err := s.SaveSnapshot(ctx, snap); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSizeOneYear10k measures the database after 365 daily collections of a
// 10k-user site with 5% daily change (target < 100 MB). Slow: run with
// LICMON_SIZE_TEST=1 go test -run TestSizeOneYear10k -v ./internal/store/
// (LICMON_SIZE_CHANGE=0.3 sets another daily change fraction).
func TestSizeOneYear10k(t *testing.T) {
	if os.Getenv("LICMON_SIZE_TEST") != "1" {
		t.Skip("set LICMON_SIZE_TEST=1 to measure the one-year database size")
	}
	s, _ := openTemp(t, store.Options{})
	ctx := context.Background()
	snap := storetest.Generate(5, storetest.Config{Site: "prod", At: t0, Users: 10_000, Professional: 6_000,
		Analyzer: 4_000, Authoring: 2_000, CapacityUser: 200})
	mustSave(t, s, snap)
	if err := s.SaveReconstructed(ctx, "prod", license.Reconstruct(snap, time.Time{})); err != nil {
		t.Fatal(err)
	}
	first, _ := s.Stats(ctx)
	frac := 0.05
	if v := os.Getenv("LICMON_SIZE_CHANGE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			t.Fatalf("LICMON_SIZE_CHANGE=%q: want a fraction in (0, 1]", v)
		}
		frac = f
	}
	t.Logf("daily change fraction %.2f", frac)
	g := storetest.NewStream(5)
	start := time.Now()
	for d := 1; d < 365; d++ {
		snap = g.Next(snap, t0.AddDate(0, 0, d), frac)
		mustSave(t, s, snap)
	}
	elapsed := time.Since(start)
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	used := (st.Pages - st.FreePages) * st.PageSize
	t.Logf("after 365 collections: file %.1f MB (used pages %.1f MB, exact table sizes: %v); 364 saves took %v",
		float64(st.FileBytes)/1e6, float64(used)/1e6, st.BytesExact, elapsed.Round(time.Millisecond))
	t.Logf("growth per day: %.1f KB", float64(used-(first.Pages-first.FreePages)*first.PageSize)/364/1e3)
	for _, tb := range st.Tables {
		t.Logf("  %-22s %9d rows %8.2f MB", tb.Name, tb.Rows, float64(tb.Bytes)/1e6)
	}
	if used > 100e6 {
		t.Errorf("database uses %.1f MB after a year, target < 100 MB", float64(used)/1e6)
	}
}

// simGUIDs returns s with every user and allocation GUID replaced by a
// random-looking one, as a real site's (and the simulator's) are: storetest
// numbers GUIDs in the order of users and allocations, which would hide
// the cost of interning GUIDs that arrive in no particular order.
func simGUIDs(s *license.Snapshot) *license.Snapshot {
	r := rand.New(rand.NewPCG(7, 11))
	ids := map[string]string{}
	id := func(g string) string {
		if n, ok := ids[g]; ok {
			return n
		}
		n := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()>>16)
		ids[g] = n
		return n
	}
	for i := range s.Users {
		s.Users[i].ID = id(s.Users[i].ID)
	}
	for i := range s.Allocations {
		s.Allocations[i].ID = id(s.Allocations[i].ID)
		s.Allocations[i].UserGUID = id(s.Allocations[i].UserGUID)
	}
	for i := range s.Authoring {
		s.Authoring[i].UserGUID = id(s.Authoring[i].UserGUID)
	}
	for i := range s.Capacity {
		s.Capacity[i].UserGUID = id(s.Capacity[i].UserGUID)
	}
	return s
}

// BenchmarkFirstSave100k: SaveSnapshot alone of a first collection of the
// simulator's 100k-user site (58k Professional, 38k Analyzer, 25k users
// with authoring), each into a new, empty store: the save part of the
// first collect (issue #17: save ≤ 1.5 s).
func BenchmarkFirstSave100k(b *testing.B) {
	benchEachBackend(b, func(b *testing.B, be backend) {
		ctx := context.Background()
		base := simGUIDs(storetest.Generate(42, storetest.Config{Site: "sim", At: t0, Users: 100_000,
			Professional: 58_000, Analyzer: 38_000, Authoring: 25_000}))
		b.ReportAllocs()
		var cpu time.Duration
		var written, read int64
		measured, counted := true, true
		for b.Loop() {
			b.StopTimer()
			s, _ := be.open(b, store.Options{})
			snap := storetest.Clone(base)
			runtime.GC()
			c0, ok0 := cpuTime()
			w0, r0, io0 := ioBytes()
			b.StartTimer()
			if _, err := s.SaveSnapshot(ctx, snap); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			c1, ok1 := cpuTime()
			w1, r1, io1 := ioBytes()
			cpu, written, read = cpu+c1-c0, written+w1-w0, read+r1-r0
			measured, counted = measured && ok0 && ok1, counted && io0 && io1
			s.Close()
			b.StartTimer()
		}
		if measured {
			// CPU time of the process (the database server's not included).
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
		if counted {
			// Bytes through write and read calls: the database file, its
			// WAL and SQLite's temporary files (deterministic, unlike times).
			b.ReportMetric(float64(written)/1e6/float64(b.N), "written-MB/op")
			b.ReportMetric(float64(read)/1e6/float64(b.N), "read-MB/op")
		}
	})
}
