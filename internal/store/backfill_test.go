package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

func reconstruct(s *license.Snapshot) []license.DailyCounters {
	return license.Reconstruct(s, time.Time{})
}

func reconstructedSeries(t *testing.T, s store.Store) []license.DailyCounters {
	t.Helper()
	daily, err := s.CounterSeries(context.Background(), "prod", license.Professional, t0.AddDate(-10, 0, 0), t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var out []license.DailyCounters
	for _, d := range daily {
		if d.Reconstructed {
			out = append(out, d)
		}
	}
	return out
}

// The first collection's snapshot and its backfill are one transaction:
// a failing backfill leaves nothing, not a collection without history.
func TestSaveSnapshotBackfillIsAtomic(t *testing.T) {
	forEachBackend(t, testSaveSnapshotBackfillIsAtomic)
}

func testSaveSnapshotBackfillIsAtomic(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	bad := func(*license.Snapshot) []license.DailyCounters {
		return []license.DailyCounters{{Day: t0.AddDate(0, 0, -2), Type: "no-such-type"}}
	}
	if _, err := s.SaveSnapshotBackfill(ctx, small(1, t0), bad); err == nil {
		t.Fatal("a backfill with an unknown type was saved")
	}
	if last, err := s.LatestSnapshotTime(ctx, "prod"); err == nil && !last.IsZero() {
		t.Fatalf("the snapshot of a failed backfill was kept (latest %s)", last)
	} else if err != nil && !errors.Is(err, store.ErrUnknownSite) {
		t.Fatal(err)
	}

	res, err := s.SaveSnapshotBackfill(ctx, small(1, t0), reconstruct)
	if err != nil {
		t.Fatal(err)
	}
	want := len(reconstruct(small(1, t0)))
	if !res.First || res.Backfilled != want || want == 0 {
		t.Fatalf("first save: first=%v backfilled=%d, want true and %d", res.First, res.Backfilled, want)
	}
	// The next collection does not reconstruct again.
	calls := 0
	res, err = s.SaveSnapshotBackfill(ctx, small(1, t0.Add(24*time.Hour)), func(s *license.Snapshot) []license.DailyCounters {
		calls++
		return reconstruct(s)
	})
	if err != nil || res.Backfilled != 0 || calls != 0 {
		t.Fatalf("second save: backfilled=%d, reconstruct called %d times, err %v; want 0, 0, nil", res.Backfilled, calls, err)
	}
}

// A store whose first collection lost its backfill (licmon before the fix
// saved them in two transactions) gets it back at the next collection,
// limited to the days before the first collection.
func TestSaveSnapshotBackfillRestoresLostHistory(t *testing.T) {
	forEachBackend(t, testSaveSnapshotBackfillRestoresLostHistory)
}

func testSaveSnapshotBackfillRestoresLostHistory(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	mustSave(t, s, small(1, t0)) // the old first save, its backfill lost
	if got := reconstructedSeries(t, s); len(got) != 0 {
		t.Fatalf("%d reconstructed points before the repair", len(got))
	}
	later := t0.AddDate(0, 0, 3)
	res, err := s.SaveSnapshotBackfill(context.Background(), small(1, later), reconstruct)
	if err != nil {
		t.Fatal(err)
	}
	got := reconstructedSeries(t, s)
	if res.Backfilled == 0 || len(got) == 0 {
		t.Fatalf("lost backfill not restored: backfilled=%d, %d reconstructed points", res.Backfilled, len(got))
	}
	for _, p := range got {
		if !p.Day.Before(license.Day(t0)) {
			t.Fatalf("restored point on %s, on or after the first collection %s", p.Day.Format(time.DateOnly), t0.Format(time.DateOnly))
		}
	}
}
