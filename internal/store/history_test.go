package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

func TestSaveSameSnapshotTwiceChangesNothing(t *testing.T) {
	forEachBackend(t, testSaveSameSnapshotTwiceChangesNothing)
}

func testSaveSameSnapshotTwiceChangesNothing(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	snap := small(7, t0)
	first := mustSave(t, s, snap)
	if !first.First || first.Changes.Allocated[license.Professional] != 12 || first.Changes.UsersAdded != 40 {
		t.Errorf("first save = %+v", first)
	}
	statsBefore, _ := s.Stats(ctx)

	dup := mustSave(t, s, storetest.Clone(snap))
	if !dup.Duplicate || dup.CollectionID != first.CollectionID || dup.Changes.Total() != 0 {
		t.Errorf("same snapshot again = %+v, want duplicate of %d with no changes", dup, first.CollectionID)
	}
	later := storetest.Clone(snap)
	later.At = t0.Add(time.Hour)
	res := mustSave(t, s, later)
	if res.Duplicate || res.First || res.Changes.Total() != 0 || res.CollectionID == first.CollectionID {
		t.Errorf("unchanged later snapshot = %+v, want a new collection with zero changes", res)
	}
	statsAfter, _ := s.Stats(ctx)
	for i, tb := range statsAfter.Tables {
		want := statsBefore.Tables[i].Rows
		switch tb.Name {
		case "collections":
			want++
		case "counters":
			want += int64(len(snap.Counters))
		}
		if tb.Rows != want {
			t.Errorf("table %s: %d rows after unchanged save, want %d", tb.Name, tb.Rows, want)
		}
	}
	got, _ := s.AllocationsAt(ctx, "prod", later.At)
	if diff := cmp.Diff(normalized(t, snap).Allocations, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// TestHistoryEqualsEverySnapshot is the store's central property: for every
// past collection, the state as of its time equals the snapshot saved then.
func TestHistoryEqualsEverySnapshot(t *testing.T) { forEachBackend(t, testHistoryEqualsEverySnapshot) }

func testHistoryEqualsEverySnapshot(t *testing.T, be backend) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			s, _ := be.open(t, store.Options{})
			g := storetest.NewStream(seed)
			snap := small(seed, t0)
			var snaps []*license.Snapshot
			at := t0
			for i := range 40 {
				if i > 0 {
					at = at.Add(time.Duration(1+int(seed)%3) * 7 * time.Hour)
					snap = g.Next(snap, at, 0.15)
				}
				mustSave(t, s, snap)
				snaps = append(snaps, normalized(t, snap))
			}
			for i, want := range snaps {
				// Any time up to the next collection sees this state.
				for _, q := range []time.Time{want.At, want.At.Add(time.Second)} {
					if i+1 < len(snaps) && !q.Before(snaps[i+1].At) {
						continue
					}
					allocs, err := s.AllocationsAt(ctx, "prod", q)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want.Allocations, allocs); diff != "" {
						t.Fatalf("collection %d: allocations (-want +got):\n%s", i, diff)
					}
					users, err := s.UsersAt(ctx, "prod", q)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want.Users, users); diff != "" {
						t.Fatalf("collection %d: users (-want +got):\n%s", i, diff)
					}
					auth, _ := s.AuthoringAt(ctx, "prod", q)
					if diff := cmp.Diff(want.Authoring, auth); diff != "" {
						t.Fatalf("collection %d: authoring (-want +got):\n%s", i, diff)
					}
					counters, _ := s.CountersAt(ctx, "prod", q)
					if diff := cmp.Diff(want.Counters, counters); diff != "" {
						t.Fatalf("collection %d: counters (-want +got):\n%s", i, diff)
					}
					lic, _ := s.LicenseAt(ctx, "prod", q)
					if diff := cmp.Diff(&want.License, lic); diff != "" {
						t.Fatalf("collection %d: license (-want +got):\n%s", i, diff)
					}
				}
			}
			before, err := s.AllocationsAt(ctx, "prod", t0.Add(-time.Second))
			if err != nil || len(before) != 0 {
				t.Errorf("AllocationsAt before the first collection = %d rows, %v", len(before), err)
			}
		})
	}
}

func TestChangeSummary(t *testing.T) { forEachBackend(t, testChangeSummary) }

func testChangeSummary(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	u := func(id string) license.User { return license.User{ID: id, Directory: "D", UserID: id} }
	a := func(id string, typ license.Type, user string) license.Allocation {
		return license.Allocation{ID: id, Type: typ, UserGUID: user, Directory: "D", UserID: user, Created: t0.AddDate(0, -1, 0)}
	}
	s1 := &license.Snapshot{Site: "prod", At: t0, Users: []license.User{u("u1"), u("u2"), u("u3"), u("u4")},
		Allocations: []license.Allocation{a("a1", license.Professional, "u1"), a("a2", license.Professional, "u2"),
			a("a3", license.Analyzer, "u3"), a("a4", license.Analyzer, "u4")}}
	mustSave(t, s, s1)
	s2 := storetest.Clone(s1)
	s2.At = t0.Add(24 * time.Hour)
	s2.Allocations[0].LastUsed = t0.Add(time.Hour)                            // a1 used
	s2.Allocations[1] = a("a5", license.Analyzer, "u2")                       // u2: professional -> analyzer
	s2.Allocations[2].Quarantined, s2.Allocations[2].QuarantineEnd = true, t0 // a3 quarantined
	s2.Allocations = s2.Allocations[:3]                                       // a4 released
	s2.Users[0].Tags = []string{"vip"}
	s2.Users = append(s2.Users[:3], u("u5"))
	res := mustSave(t, s, s2)
	want := store.ChangeSummary{
		Allocated:        map[license.Type]int{license.Analyzer: 1},
		Released:         map[license.Type]int{license.Professional: 1, license.Analyzer: 1},
		Quarantined:      map[license.Type]int{license.Analyzer: 1},
		TypeChanged:      map[license.Type]int{license.Analyzer: 1},
		LastUsedAdvanced: map[license.Type]int{license.Professional: 1},
		UsersAdded:       1, UsersRemoved: 1, UsersChanged: 1,
	}
	if diff := cmp.Diff(want, res.Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// history builds a hand-made history with known answers:
// Nov 1 08:00 and 20:00 (two collections on one day), Nov 2, Nov 4 (Nov 3 missed).
func history(t *testing.T, be backend) store.Store {
	s, _ := be.open(t, store.Options{})
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	alloc := func(id, user string, created, lastUsed time.Time) license.Allocation {
		return license.Allocation{ID: id, Type: license.Professional, UserGUID: user, Directory: "D", UserID: user,
			Created: created, LastUsed: lastUsed}
	}
	counters := func(allocated int64) []license.Counters {
		return []license.Counters{{Type: license.Professional, Enabled: true, Total: 10, Allocated: allocated, Available: 10 - allocated}}
	}
	oct := time.Date(2026, 10, 15, 9, 0, 0, 0, time.UTC)
	s1 := &license.Snapshot{Site: "prod", At: day(1, 8), Counters: counters(3), Allocations: []license.Allocation{
		alloc("a1", "u1", oct, day(1, 7)),            // used Nov 1
		alloc("a2", "u2", oct, time.Time{}),          // never used
		alloc("a3", "u3", oct, oct.AddDate(0, 0, 1)), // last used Oct 16
	}}
	s2 := storetest.Clone(s1)
	s2.At, s2.Counters = day(1, 20), counters(4)
	s2.Allocations = append(s2.Allocations, alloc("a4", "u4", day(1, 19), time.Time{}))
	s3 := storetest.Clone(s2)
	s3.At, s3.Counters = day(2, 8), counters(4)
	s3.Allocations[0].LastUsed = day(2, 7)  // u1 again on Nov 2
	s3.Allocations[3].LastUsed = day(1, 21) // u4 on Nov 1 evening
	s4 := storetest.Clone(s3)
	s4.At, s4.Counters = day(4, 8), counters(5)
	s4.Allocations[0].LastUsed = day(4, 7)
	s4.Allocations = append(s4.Allocations, alloc("a5", "u5", day(3, 10), day(3, 11)))
	for _, x := range []*license.Snapshot{s1, s2, s3, s4} {
		mustSave(t, s, x)
	}
	rec := license.Reconstruct(s1, time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC))
	if err := s.SaveReconstructed(context.Background(), "prod", rec); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDailyCounters(t *testing.T) { forEachBackend(t, testDailyCounters) }

func testDailyCounters(t *testing.T, be backend) {
	s := history(t, be)
	got, err := s.DailyCounters(context.Background(), "prod", license.Professional,
		time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	p := func(d time.Time, alloc, active int64, rec bool) license.DailyCounters {
		return license.DailyCounters{Day: d, Type: license.Professional, Allocated: alloc, Total: 10, Available: 10 - alloc,
			Active: active, Reconstructed: rec}
	}
	want := []license.DailyCounters{
		p(day(10, 30), 3, 0, true), p(day(10, 31), 3, 0, true),
		p(day(11, 1), 4, 2, false), // last of the day (20:00); u1 and u4 used it on Nov 1
		p(day(11, 2), 4, 1, false),
		p(day(11, 4), 5, 1, false), // no point for the missed Nov 3
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DailyCounters (-want +got):\n%s", diff)
	}
}

func TestActiveUsers(t *testing.T) { forEachBackend(t, testActiveUsers) }

func testActiveUsers(t *testing.T, be backend) {
	s := history(t, be)
	ctx := context.Background()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	got, err := s.ActiveUsers(ctx, "prod", license.Professional, day(10, 31), day(11, 4).Add(15*time.Hour), store.Day)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ActivePoint{{day(10, 31), 0}, {day(11, 1), 2}, {day(11, 2), 1}, {day(11, 3), 1}, {day(11, 4), 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("daily (-want +got):\n%s", diff)
	}
	got, err = s.ActiveUsers(ctx, "prod", license.Professional, day(10, 5), day(11, 20), store.Month)
	if err != nil {
		t.Fatal(err)
	}
	// October: u3 (Oct 16). November: u1, u4, u5.
	want = []store.ActivePoint{{day(10, 1), 1}, {day(11, 1), 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("monthly (-want +got):\n%s", diff)
	}
	if _, err := s.ActiveUsers(ctx, "prod", license.LoginAccess, day(10, 1), day(11, 1), store.Day); err == nil {
		t.Error("ActiveUsers of login access succeeded; there is no per-user data")
	}
	if _, err := s.ActiveUsers(ctx, "nosuch", license.Professional, day(10, 1), day(11, 1), store.Day); err == nil {
		t.Error("ActiveUsers of an unknown site succeeded")
	}
}

func TestUnusedAllocations(t *testing.T) { forEachBackend(t, testUnusedAllocations) }

func testUnusedAllocations(t *testing.T, be backend) {
	s := history(t, be)
	ctx := context.Background()
	at := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	got, err := s.UnusedAllocations(ctx, "prod", at, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	// Never used first (a2), then the oldest use (a3, Oct 16).
	if diff := cmp.Diff([]string{"a2", "a3"}, ids); diff != "" {
		t.Errorf("unused 7d (-want +got):\n%s", diff)
	}
	// As of Nov 1 21:00 with 1 day idle: a4 (created Nov 1, unused then) counts.
	got, _ = s.UnusedAllocations(ctx, "prod", time.Date(2026, 11, 1, 21, 0, 0, 0, time.UTC), 24*time.Hour)
	ids = ids[:0]
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if diff := cmp.Diff([]string{"a2", "a4", "a3"}, ids); diff != "" {
		t.Errorf("unused 1d at Nov 1 (-want +got):\n%s", diff)
	}
}

func TestCapacityUse(t *testing.T) { forEachBackend(t, testCapacityUse) }

func testCapacityUse(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	snap := &license.Snapshot{Site: "prod", At: t0, Capacity: []license.CapacityUse{
		{UserGUID: "u2", Month: "2026-11", Minutes: 12}, {UserGUID: "u1", Month: "2026-11", Minutes: 6}}}
	mustSave(t, s, snap)
	next := storetest.Clone(snap)
	next.At = t0.Add(time.Hour)
	next.Capacity = []license.CapacityUse{{UserGUID: "u1", Month: "2026-11", Minutes: 18}}
	res := mustSave(t, s, next)
	if res.Changes.CapacityChanged != 1 {
		t.Errorf("CapacityChanged = %d, want 1", res.Changes.CapacityChanged)
	}
	got, err := s.CapacityUse(ctx, "prod", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	want := []license.CapacityUse{{UserGUID: "u1", Month: "2026-11", Minutes: 18}, {UserGUID: "u2", Month: "2026-11", Minutes: 12}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CapacityUse (-want +got):\n%s", diff)
	}
	act, _ := s.ActiveUsers(ctx, "prod", license.AnalyzerCapacity, t0, t0, store.Month)
	if len(act) != 1 || act[0].Count != 2 {
		t.Errorf("capacity active users = %+v, want 2 in Nov", act)
	}
}

func TestQRSNeverSetDatesAreStoredAsZero(t *testing.T) {
	forEachBackend(t, testQRSNeverSetDatesAreStoredAsZero)
}

func testQRSNeverSetDatesAreStoredAsZero(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	sentinel := time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)
	snap := &license.Snapshot{Site: "prod", At: t0, Allocations: []license.Allocation{
		{ID: "a1", Type: license.Analyzer, UserGUID: "u1", Created: t0.AddDate(0, -1, 0), LastUsed: sentinel,
			QuarantineEnd: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
	}}
	mustSave(t, s, snap)
	got, err := s.UnusedAllocations(ctx, "prod", t0, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].LastUsed.IsZero() || !got[0].QuarantineEnd.IsZero() {
		t.Errorf("UnusedAllocations = %+v, want a1 as never used", got)
	}
}
