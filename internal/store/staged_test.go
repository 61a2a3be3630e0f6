package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// stagedSnapshot is a first collection whose authoring and capacity name
// users the user list does not hold (an app owner removed from the
// directory), so that the rest of a staged save assigns user keys too.
func stagedSnapshot(at time.Time) *license.Snapshot {
	s := storetest.Generate(5, storetest.Config{Site: "prod", At: at, Users: 400, Professional: 150,
		Analyzer: 120, UserAccess: 30, Authoring: 60, CapacityUser: 25})
	s.Authoring = append(s.Authoring, license.Authoring{UserGUID: storetest.GUID('o', 1), AppsOwned: 3, ObjectsOwned: 12,
		LastAuthored: at.Add(-48 * time.Hour)})
	s.Capacity = append(s.Capacity, license.CapacityUse{UserGUID: storetest.GUID('c', 1), Month: license.MonthOf(at), Minutes: 42})
	s.Counters = storetest.CountersOf(s, 200, 200)
	return s
}

// A first collection saved in two stages (BeginSave with its users and
// allocations while the rest is being read, then Finish) stores exactly
// what SaveSnapshotBackfill stores, table by table, returns the same
// result, and the following collection diffs against it the same way.
func TestStagedSaveEqualsSave(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		first := stagedSnapshot(t0)
		next := storetest.NewStream(3).Next(first, t0.Add(24*time.Hour), 0.1)
		reconstruct := func(s *license.Snapshot) []license.DailyCounters { return license.Reconstruct(s, time.Time{}) }

		plain, plainAt := b.open(t, store.Options{})
		want, err := plain.SaveSnapshotBackfill(ctx, storetest.Clone(first), reconstruct)
		if err != nil {
			t.Fatal(err)
		}
		wantNext, err := plain.SaveSnapshot(ctx, storetest.Clone(next))
		if err != nil {
			t.Fatal(err)
		}

		staged, stagedAt := b.open(t, store.Options{})
		in := storetest.Clone(first)
		// Only the users and allocations exist when the save begins.
		sv, err := staged.(store.StagedSaver).BeginSave(ctx, &license.Snapshot{Site: in.Site, At: in.At,
			Users: in.Users, Allocations: in.Allocations})
		if err != nil {
			t.Fatal(err)
		}
		got, err := sv.Finish(ctx, in, reconstruct)
		if err != nil {
			t.Fatal(err)
		}
		sv.Abort() // after Finish: nothing
		gotNext, err := staged.SaveSnapshot(ctx, storetest.Clone(next))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("staged first save's result (-plain +staged):\n%s", diff)
		}
		if diff := cmp.Diff(wantNext, gotNext); diff != "" {
			t.Errorf("following save's result (-plain +staged):\n%s", diff)
		}
		if !got.First || got.Backfilled == 0 {
			t.Errorf("staged first save: %+v, want First and a backfill", got)
		}
		plain.Close()
		staged.Close()
		sumPlain, err := store.TableChecksums(ctx, plainAt)
		if err != nil {
			t.Fatal(err)
		}
		sumStaged, err := store.TableChecksums(ctx, stagedAt)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sumPlain, sumStaged); diff != "" {
			t.Errorf("tables differ (-plain +staged):\n%s", diff)
		}
	})
}

// An aborted staged save leaves nothing, and the store takes the same
// collection afterwards; a Finish with another site or time is refused;
// BeginSave of a site that has collections writes nothing until Finish,
// which then saves as SaveSnapshot does.
func TestStagedSaveAbortAndMisuse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		st, _ := b.open(t, store.Options{})
		first := stagedSnapshot(t0)
		part := func(s *license.Snapshot) *license.Snapshot {
			return &license.Snapshot{Site: s.Site, At: s.At, Users: s.Users, Allocations: s.Allocations}
		}
		sv, err := st.(store.StagedSaver).BeginSave(ctx, part(first))
		if err != nil {
			t.Fatal(err)
		}
		sv.Abort()
		if cols, err := st.Collections(ctx, "prod", time.Time{}, t0.Add(time.Hour)); err != nil || len(cols) != 0 {
			t.Fatalf("after Abort: %d collections (%v), want none", len(cols), err)
		}

		sv, err = st.(store.StagedSaver).BeginSave(ctx, part(first))
		if err != nil {
			t.Fatal(err)
		}
		other := storetest.Clone(first)
		other.At = other.At.Add(time.Minute)
		if _, err := sv.Finish(ctx, other, nil); !errors.Is(err, store.ErrInvalidSnapshot) {
			t.Fatalf("Finish at another time: %v, want ErrInvalidSnapshot", err)
		}
		if cols, _ := st.Collections(ctx, "prod", time.Time{}, t0.Add(time.Hour)); len(cols) != 0 {
			t.Fatalf("a refused Finish left %d collections", len(cols))
		}
		if _, err := sv.Finish(ctx, first, nil); err == nil {
			t.Fatal("a second Finish of an ended save succeeded")
		}

		sv, err = st.(store.StagedSaver).BeginSave(ctx, part(first))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := sv.Finish(ctx, first, nil); err != nil || !res.First {
			t.Fatalf("staged save after an abort: %+v, %v", res, err)
		}

		// A site with a collection: BeginSave writes nothing, Finish diffs.
		next := storetest.NewStream(3).Next(first, t0.Add(24*time.Hour), 0.1)
		sv, err = st.(store.StagedSaver).BeginSave(ctx, part(next))
		if err != nil {
			t.Fatal(err)
		}
		res, err := sv.Finish(ctx, next, nil)
		if err != nil || res.First || res.Duplicate || res.Changes.Total() == 0 {
			t.Fatalf("staged following save: %+v, %v", res, err)
		}
		if cols, _ := st.Collections(ctx, "prod", time.Time{}, t0.Add(48*time.Hour)); len(cols) != 2 {
			t.Fatalf("%d collections, want 2", len(cols))
		}
	})
}

// Saves on SQLite run without its foreign-key checks (sqliteSaveSettings),
// so the stores they leave must hold the parent of every row that names
// one: a staged first collection whose authoring and capacity name users
// outside the user list, then following collections with every kind of
// change (users removed and back, allocations released and back, partial
// users).
func TestSavesLeaveNoOrphan(t *testing.T) {
	ctx := context.Background()
	be := backends[0]
	if be.name != "sqlite" {
		t.Fatalf("the first backend is %s, want sqlite", be.name)
	}
	s, _ := be.open(t, store.Options{})
	first := stagedSnapshot(t0)
	in := storetest.Clone(first)
	sv, err := s.(store.StagedSaver).BeginSave(ctx, &license.Snapshot{Site: in.Site, At: in.At,
		Users: in.Users, Allocations: in.Allocations})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Finish(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	// After every save: a later save could give the missing key's id to
	// another GUID.
	check := func(day int) {
		t.Helper()
		bad, err := store.ForeignKeyViolations(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Fatalf("day %d: %d rows without their parent row, the first: %v", day, len(bad), bad[:min(len(bad), 10)])
		}
	}
	check(0)
	m := &mutator{r: rand.New(rand.NewPCG(7, 8))}
	full := first
	for d := 1; d <= 6; d++ {
		full = m.day(full, t0.AddDate(0, 0, d), 0.1, d%3 != 1)
		snap := full
		if d%3 == 1 {
			snap = m.partial(full)
		}
		mustSave(t, s, storetest.Clone(snap))
		check(d)
	}
}
