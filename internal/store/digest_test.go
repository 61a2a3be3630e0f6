package store_test

import (
	"context"

	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// mutator makes random changes to every stored field of a site's users,
// allocations, authoring and capacity between two collections: changes,
// additions, removals, and removed GUIDs that come back (key reuse).
type mutator struct {
	r            *rand.Rand
	next         int
	goneUsers    []license.User
	goneAllocs   []license.Allocation
	goneAuth     []license.Authoring
	changedUsers map[string]bool
}

func (m *mutator) pick(n int) int { return m.r.IntN(n) }

// day returns the next full state after random changes to about frac of
// each part. removeUsers allows users to be removed (not on a day whose
// users are partial: those cannot show a removal).
func (m *mutator) day(prev *license.Snapshot, at time.Time, frac float64, removeUsers bool) *license.Snapshot {
	s := storetest.Clone(prev)
	s.At = at
	m.changedUsers = map[string]bool{}
	times := func() time.Time { return at.Add(-time.Duration(m.pick(400*86400)) * time.Second) }
	n := func(l int) int { return int(float64(l)*frac) + 1 }

	for range n(len(s.Allocations)) {
		a := &s.Allocations[m.pick(len(s.Allocations))]
		switch m.pick(10) {
		case 0:
			a.Type = []license.Type{license.Professional, license.Analyzer, license.UserAccess}[m.pick(3)]
		case 1:
			a.UserGUID = s.Users[m.pick(len(s.Users))].ID
		case 2:
			a.Directory += "X"
		case 3:
			a.UserID += "x"
		case 4:
			a.Created = times()
		case 5:
			if a.LastUsed.IsZero() || m.pick(3) > 0 {
				a.LastUsed = times()
			} else {
				a.LastUsed = time.Time{}
			}
		case 6:
			a.Quarantined = !a.Quarantined
		case 7:
			if a.QuarantineEnd.IsZero() {
				a.QuarantineEnd = at.AddDate(0, 0, 7)
			} else {
				a.QuarantineEnd = time.Time{}
			}
		case 8:
			a.Excess = !a.Excess
		case 9:
			a.DeletedUser = !a.DeletedUser
		}
	}
	for range n(len(s.Users)) {
		i := m.pick(len(s.Users))
		u := &s.Users[i]
		m.changedUsers[u.ID] = true
		switch m.pick(10) {
		case 0:
			u.Directory += "X"
		case 1:
			u.UserID += "x"
		case 2:
			u.Name += "*"
		case 3:
			u.Created = times()
		case 4:
			u.Inactive = !u.Inactive
		case 5:
			u.Blocked = !u.Blocked
		case 6:
			u.RemovedExternally = !u.RemovedExternally
		case 7:
			u.Tags = append(slices.Clone(u.Tags), fmt.Sprintf("t%d", m.pick(4)))
		case 8:
			u.CustomProperties = map[string][]string{"Dept": {fmt.Sprintf("D%d", m.pick(4))}}
		case 9:
			if len(u.Roles) > 0 {
				u.Roles = nil
			} else {
				u.Roles = []string{"AuditAdmin"}
			}
		}
	}
	for range n(len(s.Authoring)) {
		a := &s.Authoring[m.pick(len(s.Authoring))]
		switch m.pick(6) {
		case 0:
			a.AppsOwned++
		case 1:
			a.AppsPublished++
		case 2:
			a.ObjectsOwned++
		case 3:
			a.ObjectsPublished++
		case 4:
			a.DataConnectionsOwned++
		case 5:
			if a.LastAuthored.IsZero() {
				a.LastAuthored = times()
			} else {
				a.LastAuthored = time.Time{}
			}
		}
	}
	for range n(len(s.Capacity)) {
		s.Capacity[m.pick(len(s.Capacity))].Minutes += 6
	}
	if m.pick(4) == 0 {
		s.Capacity = append(s.Capacity, license.CapacityUse{UserGUID: s.Users[m.pick(len(s.Users))].ID,
			Month: license.MonthOf(at), Minutes: 6})
	}
	if m.pick(4) == 0 && len(s.Capacity) > 0 {
		// Left out of a later list: stored rows are kept as they were.
		i := m.pick(len(s.Capacity))
		s.Capacity = slices.Delete(s.Capacity, i, i+1)
	}
	if m.pick(5) == 0 {
		s.Capacity = append(s.Capacity, license.CapacityUse{UserGUID: s.Users[m.pick(len(s.Users))].ID,
			Month: license.MonthOf(at.AddDate(0, -1, 0)), Minutes: 12})
	}

	// Removals, returns (the same GUID again) and additions.
	for range n(len(s.Allocations) / 4) {
		i := m.pick(len(s.Allocations))
		m.goneAllocs = append(m.goneAllocs, s.Allocations[i])
		s.Allocations = slices.Delete(s.Allocations, i, i+1)
	}
	for range n(len(s.Authoring) / 4) {
		i := m.pick(len(s.Authoring))
		m.goneAuth = append(m.goneAuth, s.Authoring[i])
		s.Authoring = slices.Delete(s.Authoring, i, i+1)
	}
	if removeUsers {
		for range n(len(s.Users) / 4) {
			i := m.pick(len(s.Users))
			m.goneUsers = append(m.goneUsers, s.Users[i])
			s.Users = slices.Delete(s.Users, i, i+1)
		}
	}
	has := func(l int, id func(int) string, g string) bool {
		for i := range l {
			if id(i) == g {
				return true
			}
		}
		return false
	}
	if len(m.goneAllocs) > 0 && m.pick(2) == 0 {
		a := m.goneAllocs[m.pick(len(m.goneAllocs))]
		if !has(len(s.Allocations), func(i int) string { return s.Allocations[i].ID }, a.ID) {
			s.Allocations = append(s.Allocations, a)
		}
	}
	if len(m.goneAuth) > 0 && m.pick(2) == 0 {
		a := m.goneAuth[m.pick(len(m.goneAuth))]
		if !has(len(s.Authoring), func(i int) string { return s.Authoring[i].UserGUID }, a.UserGUID) {
			s.Authoring = append(s.Authoring, a)
		}
	}
	if len(m.goneUsers) > 0 && m.pick(2) == 0 {
		u := m.goneUsers[m.pick(len(m.goneUsers))]
		if !has(len(s.Users), func(i int) string { return s.Users[i].ID }, u.ID) {
			s.Users = append(s.Users, u)
			m.changedUsers[u.ID] = true
		}
	}
	for range n(len(s.Users) / 10) {
		m.next++
		u := license.User{ID: storetest.GUID('n', m.next), Directory: "NEW", UserID: fmt.Sprintf("new%d", m.next), Name: "New"}
		s.Users = append(s.Users, u)
		m.changedUsers[u.ID] = true
		s.Allocations = append(s.Allocations, license.Allocation{ID: storetest.GUID('b', m.next), Type: license.Analyzer,
			UserGUID: u.ID, Directory: u.Directory, UserID: u.UserID, Created: at})
		if m.pick(2) == 0 {
			s.Authoring = append(s.Authoring, license.Authoring{UserGUID: u.ID, AppsOwned: 1})
		}
	}
	s.Counters = storetest.CountersOf(s, 5000, 5000)
	return s
}

// partial returns the snapshot as a collection within a week sends it:
// the changed and new users and a few others.
func (m *mutator) partial(full *license.Snapshot) *license.Snapshot {
	s := storetest.Clone(full)
	s.UsersPartial, s.UserCount = true, len(full.Users)
	s.Users = nil
	for _, u := range full.Users {
		if m.changedUsers[u.ID] || m.pick(10) == 0 {
			s.Users = append(s.Users, u)
		}
	}
	return s
}

// TestDigestsKeepOneHistory: random changes to every stored field between
// collections (full and partial users, additions, removals, GUIDs that come
// back, duplicates, conflicts) give the same results and the same stored
// history with the state digests as with a full load of the current state
// before every save, and the stored digests are always those of the stored
// state as read back.
func TestDigestsKeepOneHistory(t *testing.T) {
	forEachBackend(t, testDigestsKeepOneHistory)
}

func testDigestsKeepOneHistory(t *testing.T, be backend) {
	ctx := context.Background()
	open := func(opts store.Options) store.Store {
		s, err := store.Open(ctx, be.location(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	ref, dig := open(store.WithoutDigests(store.Options{})), open(store.Options{})
	m := &mutator{r: rand.New(rand.NewPCG(17, 4))}
	full := storetest.Generate(3, storetest.Config{Site: "prod", At: t0, Users: 1500, Professional: 500, Analyzer: 600,
		UserAccess: 100, Authoring: 400, CapacityUser: 50})
	var saved *license.Snapshot // the latest collection's
	save := func(d int, snap *license.Snapshot) {
		t.Helper()
		want, errRef := ref.SaveSnapshot(ctx, storetest.Clone(snap))
		if errRef == nil && !want.Duplicate {
			saved = snap
		}
		got, errDig := dig.SaveSnapshot(ctx, storetest.Clone(snap))
		if fmt.Sprint(errRef) != fmt.Sprint(errDig) {
			t.Fatalf("day %d: errors differ: full load %v, digests %v", d, errRef, errDig)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("day %d: results differ (-full load +digests):\n%s", d, diff)
		}
	}
	for d := 0; d < 14; d++ {
		at := t0.AddDate(0, 0, d)
		frac := []float64{0.02, 0, 0.1, 0.3}[d%4]
		isPartial := d%3 == 2
		if d > 0 {
			full = m.day(full, at, frac, !isPartial)
		}
		snap := full
		if isPartial {
			snap = m.partial(full)
		}
		save(d, snap)
		if d%5 == 4 {
			save(d, snap) // a retry: a duplicate
			other := storetest.Clone(snap)
			other.Allocations[0].Excess = !other.Allocations[0].Excess
			save(d, other)                                        // ErrConflict on both
			save(d, m.day(full, at.Add(-time.Hour), 0.01, false)) // ErrOutOfOrder on both
		}
		for _, read := range []func(store.Store) (any, error){
			func(st store.Store) (any, error) { return st.UsersAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.AllocationsAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.AuthoringAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.CapacityUse(ctx, "prod", license.MonthOf(at)) },
			func(st store.Store) (any, error) { return st.Collections(ctx, "prod", t0, at) },
		} {
			w, err1 := read(ref)
			g, err2 := read(dig)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Fatalf("day %d: stored state differs (-full load +digests):\n%s", d, diff)
			}
		}
		// The stored digests are those of the stored state.
		users, _ := dig.UsersAt(ctx, "prod", at)
		allocs, _ := dig.AllocationsAt(ctx, "prod", at)
		auth, _ := dig.AuthoringAt(ctx, "prod", at)
		want := store.DigestsOf(&license.Snapshot{Site: "prod", At: at, Users: users, Allocations: allocs, Authoring: auth,
			Capacity: saved.Capacity})
		for name, st := range map[string]store.Store{"digests": dig, "full load": ref} {
			got, _, err := store.StoredDigests(st, "prod")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("day %d, store with %s: stored digests are not the stored state's (-state +stored):\n%s", d, name, diff)
			}
		}
	}
}

// TestDigestsFromSchema8: a store whose site was collected before schema 9
// (no digests, keys without buckets) loads the whole state at its next
// collection and writes the digests and buckets, and from then on stores
// what a full load stores.
func TestDigestsFromSchema8(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) { testDigestsFrom(t, be, 8) })
}

// TestDigestsFromSchema9: a store whose site was collected at schema 9
// (digests, an index of the keys' buckets) keeps its data when schema 10
// drops the index, and its following collections, which find the keys of
// the changed buckets without it, read only those and store what a full
// load stores.
func TestDigestsFromSchema9(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) { testDigestsFrom(t, be, 9) })
}

func testDigestsFrom(t *testing.T, be backend, version int) {
	ctx := context.Background()
	path := be.location(t)
	old, err := store.Open(ctx, path, store.WithMaxVersion(store.Options{}, version))
	if err != nil {
		t.Fatal(err)
	}
	m := &mutator{r: rand.New(rand.NewPCG(5, 6))}
	full := storetest.Generate(8, storetest.Config{Site: "prod", At: t0, Users: 300, Professional: 100, Analyzer: 120,
		Authoring: 80, CapacityUser: 10})
	var snaps []*license.Snapshot
	for d := range 6 {
		if d > 0 {
			full = m.day(full, t0.AddDate(0, 0, d), 0.05, d%3 != 1)
		}
		snap := full
		if d%3 == 1 {
			snap = m.partial(full)
		}
		snaps = append(snaps, snap)
	}
	for _, snap := range snaps[:3] {
		mustSave(t, old, storetest.Clone(snap))
	}
	// What schema 9 stored, read back after the migration.
	reads := []func(store.Store) (any, error){
		func(st store.Store) (any, error) { return st.UsersAt(ctx, "prod", snaps[2].At) },
		func(st store.Store) (any, error) { return st.AllocationsAt(ctx, "prod", snaps[2].At) },
		func(st store.Store) (any, error) { return st.AuthoringAt(ctx, "prod", snaps[1].At) },
	}
	var before []any
	if version == 9 {
		for _, read := range reads {
			v, err := read(old)
			if err != nil {
				t.Fatal(err)
			}
			before = append(before, v)
		}
	}
	old.Close()

	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref, _ := be.open(t, store.WithoutDigests(store.Options{}))
	for _, snap := range snaps[:3] {
		mustSave(t, ref, storetest.Clone(snap))
	}
	if _, _, err := store.StoredDigests(s, "prod"); (err == nil) != (version >= 9) {
		t.Fatalf("stored digests after collections at schema %d: %v", version, err)
	}
	if n, err := store.NullBuckets(s); err != nil || (n == 0) != (version >= 9) {
		t.Fatalf("%d keys without a bucket after collections at schema %d (%v)", n, version, err)
	}
	if version == 9 {
		for i, read := range reads {
			v, err := read(s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before[i], v); diff != "" {
				t.Errorf("read %d after the migration (-before +after):\n%s", i, diff)
			}
		}
		got, err := store.LoadFor(s, snaps[3])
		if err != nil {
			t.Fatal(err)
		}
		if !got.Digests || got.Allocations == 0 || got.Allocations >= len(snaps[2].Allocations) {
			t.Errorf("the collection after the migration read %+v of %d allocations, want the stored digests and the changed buckets",
				got, len(snaps[2].Allocations))
		}
	}
	for d, snap := range snaps[3:] {
		want := mustSave(t, ref, storetest.Clone(snap))
		got := mustSave(t, s, storetest.Clone(snap))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("collection %d: results differ (-full load +digests):\n%s", d+3, diff)
		}
		at := snap.At
		users, _ := s.UsersAt(ctx, "prod", at)
		allocs, _ := s.AllocationsAt(ctx, "prod", at)
		auth, _ := s.AuthoringAt(ctx, "prod", at)
		wantDig := store.DigestsOf(&license.Snapshot{Site: "prod", At: at, Users: users, Allocations: allocs, Authoring: auth,
			Capacity: snap.Capacity})
		gotDig, of, err := store.StoredDigests(s, "prod")
		if err != nil || of != got.CollectionID {
			t.Fatalf("collection %d: digests of collection %d (%v), want %d", d+3, of, err, got.CollectionID)
		}
		if diff := cmp.Diff(wantDig, gotDig); diff != "" {
			t.Fatalf("collection %d: stored digests are not the stored state's (-state +stored):\n%s", d+3, diff)
		}
		for _, read := range []func(store.Store) (any, error){
			func(st store.Store) (any, error) { return st.UsersAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.AllocationsAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.AuthoringAt(ctx, "prod", at) },
		} {
			w, _ := read(ref)
			g, _ := read(s)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Fatalf("collection %d: stored state differs (-full load +digests):\n%s", d+3, diff)
			}
		}
	}
	if n, err := store.NullBuckets(s); err != nil || n != 0 {
		t.Errorf("%d keys still without a bucket (%v)", n, err)
	}
}

// TestUnchangedCollectionLoadsNothing: a following collection of an
// unchanged site reads and diffs no per-user row; with 1% changed it reads
// only the rows of the buckets that changed, and still stores the change.
func TestUnchangedCollectionLoadsNothing(t *testing.T) {
	forEachBackend(t, testUnchangedCollectionLoadsNothing)
}

func testUnchangedCollectionLoadsNothing(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	snap := storetest.Generate(11, storetest.Config{Site: "prod", At: t0, Users: 5000, Professional: 2000,
		Analyzer: 2000, Authoring: 1000, CapacityUser: 100})
	mustSave(t, s, storetest.Clone(snap))

	same := storetest.Clone(snap)
	same.At = t0.Add(24 * time.Hour)
	got, err := store.LoadFor(s, same)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Loaded{Digests: true}); got != want {
		t.Errorf("unchanged site read %+v, want %+v", got, want)
	}
	if res := mustSave(t, s, storetest.Clone(same)); res.Changes.Total() != 0 {
		t.Errorf("unchanged site: %+v", res.Changes)
	}

	next := storetest.NewStream(2).Next(same, t0.Add(48*time.Hour), 0.01)
	got, err = store.LoadFor(s, next)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1%% changed: read %+v of %d allocations, %d users", got, len(snap.Allocations), len(snap.Users))
	if !got.Digests || got.Allocations == 0 || got.Allocations > len(snap.Allocations)/2 || got.Users > len(snap.Users)/2 {
		t.Errorf("1%% changed read %+v of %d allocations and %d users, want only the changed buckets", got,
			len(snap.Allocations), len(snap.Users))
	}
	if res := mustSave(t, s, storetest.Clone(next)); res.Changes.Total() == 0 {
		t.Error("1% changed stored no change")
	}
	stored, err := s.AllocationsAt(context.Background(), "prod", next.At)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normalized(t, next).Allocations, stored); diff != "" {
		t.Errorf("allocations after the 1%% change (-want +stored):\n%s", diff)
	}
}
