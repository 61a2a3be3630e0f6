package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// BenchmarkFollowingSave100k: the store's part of a following collection
// of the 100k-user site (PrepareSave, as collect calls it while it reads
// the QRS, then SaveSnapshot), with nothing changed (unchanged) and with
// 1% of the allocations and 0.2% of the users changed (changed1pct).
// The snapshots are made outside the timer. cpu-ms/op is the process's CPU
// time (user and system) per save: the figure to compare on a busy machine.
func BenchmarkFollowingSave100k(b *testing.B) {
	for _, c := range []struct {
		name string
		frac float64
	}{{"unchanged", 0}, {"changed1pct", 0.01}} {
		b.Run(c.name, func(b *testing.B) {
			benchEachBackend(b, func(b *testing.B, be backend) { benchFollowingSave(b, be, c.frac) })
		})
	}
}

func benchFollowingSave(b *testing.B, be backend, frac float64) {
	s, _ := be.open(b, store.Options{})
	ctx := context.Background()
	snap := big("prod")
	if _, err := s.SaveSnapshot(ctx, storetest.Clone(snap)); err != nil {
		b.Fatal(err)
	}
	g := storetest.NewStream(42)
	at := t0
	prep := s.(store.SavePreparer)
	var cpu time.Duration // of the process, the garbage collector's included
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		at = at.Add(24 * time.Hour)
		var next *license.Snapshot
		if frac == 0 {
			next = storetest.Clone(snap)
			next.At = at
		} else {
			next = g.Next(snap, at, frac)
		}
		snap = next
		b.StartTimer()
		start, _ := cpuTime()
		discard, err := prep.PrepareSave(ctx, "prod")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.SaveSnapshot(ctx, next); err != nil {
			b.Fatal(err)
		}
		discard()
		end, _ := cpuTime()
		cpu += end - start
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}
