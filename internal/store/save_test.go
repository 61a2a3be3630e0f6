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
