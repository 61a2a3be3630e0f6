package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// TestKeysOutsideCurrentStateAreReused: a save reads the current state and
// looks up only the other keys its snapshot names; a user removed and back
// in a partial snapshot, and an allocation released and back, keep their
// keys (a new one would break the site's unique GUIDs) and their history.
func TestKeysOutsideCurrentStateAreReused(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t, store.Options{})
	first := small(1, t0)
	mustSave(t, s, first)
	named := map[string]bool{}
	for _, a := range first.Allocations {
		named[a.UserGUID] = true
	}
	for _, a := range first.Authoring {
		named[a.UserGUID] = true
	}
	for _, c := range first.Capacity {
		named[c.UserGUID] = true
	}
	gone := -1
	for i, u := range first.Users {
		if !named[u.ID] {
			gone = i
			break
		}
	}
	if gone < 0 {
		t.Fatal("the generated site has no user without allocation, authoring or capacity")
	}

	without := storetest.Clone(first)
	without.At = t0.Add(24 * time.Hour)
	without.Users = append(without.Users[:gone:gone], without.Users[gone+1:]...)
	released := without.Allocations[0]
	without.Allocations = without.Allocations[1:]
	if res := mustSave(t, s, without); res.Changes.UsersRemoved != 1 {
		t.Fatalf("changes = %+v, want one user removed", res.Changes)
	}

	back := storetest.Clone(first)
	back.At = t0.Add(48 * time.Hour)
	back.Users = []license.User{first.Users[gone]}
	back.UsersPartial, back.UserCount = true, len(first.Users)
	res := mustSave(t, s, back)
	if res.Changes.UsersAdded != 1 || res.Changes.Total() == 0 {
		t.Fatalf("changes = %+v, want the user and the allocation back", res.Changes)
	}
	users, err := s.UsersAt(ctx, "prod", back.At)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normalized(t, first).Users, users); diff != "" {
		t.Errorf("users after the user came back (-want +got):\n%s", diff)
	}
	allocs, err := s.AllocationsAt(ctx, "prod", back.At)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normalized(t, first).Allocations, allocs); diff != "" {
		t.Errorf("allocations after %s came back (-want +got):\n%s", released.ID, diff)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range st.Tables {
		if want := map[string]int64{"user_keys": int64(len(first.Users)), "allocation_keys": int64(len(first.Allocations))}[tb.Name]; want != 0 && tb.Rows != want {
			t.Errorf("%s has %d rows, want %d: a key was made twice", tb.Name, tb.Rows, want)
		}
	}
}

// TestPrepareSaveKeepsOneHistory: a save whose current state was read
// ahead (PrepareSave) stores what a save that reads it itself stores,
// including when another writer committed a collection of the site in
// between, which makes the state read ahead stale.
func TestPrepareSaveKeepsOneHistory(t *testing.T) {
	ctx := context.Background()
	plain, _ := openTemp(t, store.Options{})
	ahead, path := openTemp(t, store.Options{})
	other, err := store.Open(ctx, path, store.Options{}) // another process on the same file
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	prep := ahead.(store.SavePreparer)
	if discard, err := prep.PrepareSave(ctx, "prod"); err != nil {
		t.Fatalf("prepare before the first collection: %v", err)
	} else {
		discard()
	}

	g := storetest.NewStream(9)
	snap := small(3, t0)
	var snaps []*license.Snapshot
	for d := 0; d < 6; d++ {
		if d > 0 {
			snap = g.Next(snap, t0.AddDate(0, 0, d), 0.3)
		}
		if d%2 == 1 {
			// Partial users, as a collection within a week sends them.
			snap.UsersPartial, snap.UserCount = true, len(snap.Users)
			snap.Users = snap.Users[:len(snap.Users)/3]
		}
		snaps = append(snaps, storetest.Clone(snap))
		if d%2 == 1 {
			snap = storetest.Clone(snaps[d-1])
			snap = g.Next(snap, t0.AddDate(0, 0, d), 0)
		}
	}
	for d, s := range snaps {
		want, err := plain.SaveSnapshot(ctx, storetest.Clone(s))
		if err != nil {
			t.Fatalf("day %d, plain save: %v", d, err)
		}
		discard, err := prep.PrepareSave(ctx, "prod")
		if err != nil {
			t.Fatal(err)
		}
		var got *store.SaveResult
		if d == 3 {
			// Another writer saves this collection first: the state read
			// ahead is stale, the save must see the other's.
			if _, err := other.SaveSnapshot(ctx, storetest.Clone(s)); err != nil {
				t.Fatal(err)
			}
			if got, err = ahead.SaveSnapshot(ctx, storetest.Clone(s)); err != nil || !got.Duplicate {
				t.Fatalf("day %d after another writer: %+v, %v; want a duplicate", d, got, err)
			}
			discard()
			continue
		}
		if d > 0 && !store.PreparedPending(ahead, "prod") {
			t.Fatalf("day %d: nothing read ahead", d)
		}
		if got, err = ahead.SaveSnapshot(ctx, storetest.Clone(s)); err != nil {
			t.Fatalf("day %d, save read ahead: %v", d, err)
		}
		if store.PreparedPending(ahead, "prod") {
			t.Fatalf("day %d: the save left the state read ahead", d)
		}
		discard()
		if diff := cmp.Diff(want.Changes, got.Changes); diff != "" {
			t.Errorf("day %d: changes differ (-plain +ahead):\n%s", d, diff)
		}
		at := s.At
		for _, read := range []func(store.Store) (any, error){
			func(st store.Store) (any, error) { return st.UsersAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.AllocationsAt(ctx, "prod", at) },
			func(st store.Store) (any, error) { return st.AuthoringAt(ctx, "prod", at) },
		} {
			w, err1 := read(plain)
			g, err2 := read(ahead)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("day %d: stored state differs (-plain +ahead):\n%s", d, diff)
			}
		}
	}
}
