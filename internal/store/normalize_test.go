package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// unordered is a snapshot as a collector may hand it over: lists in QRS
// order, sets unsorted and repeated, times with sub-second parts.
func unordered() *license.Snapshot {
	s := small(3, t0.Add(500*time.Millisecond))
	slices.Reverse(s.Users)
	slices.Reverse(s.Allocations)
	slices.Reverse(s.Authoring)
	slices.Reverse(s.Capacity)
	slices.Reverse(s.Counters)
	s.Users[0].Tags = []string{"b", "a", "b"}
	s.Users[0].Roles = []string{"z", "a"}
	s.Users[0].CustomProperties = map[string][]string{"Dept": {"y", "x"}, "Cost": {"1"}, "None": {}}
	s.Users[1].Tags = []string{"a", "b"}
	s.Users[1].Created = s.Users[1].Created.Add(999 * time.Millisecond)
	return s
}

// A save must not change the snapshot it is given: the collector still
// holds it (and reports from it) after the save.
func TestNormalizeLeavesTheSnapshotAlone(t *testing.T) {
	in, want := unordered(), unordered()
	n, err := store.Normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Fatalf("Normalize changed its input (-before +after):\n%s", diff)
	}
	// And the canonical form is what the store documents.
	if !slices.IsSortedFunc(n.Users, func(a, b license.User) int { return cmpStr(a.ID, b.ID) }) ||
		!slices.IsSortedFunc(n.Allocations, func(a, b license.Allocation) int { return cmpStr(a.ID, b.ID) }) ||
		!slices.IsSortedFunc(n.Authoring, func(a, b license.Authoring) int { return cmpStr(a.UserGUID, b.UserGUID) }) {
		t.Error("normalized lists are not sorted by ID")
	}
	if got := n.Counters[0].Type; got != license.Types()[0] {
		t.Errorf("first counters of type %q, want %q", got, license.Types()[0])
	}
	u := n.Users[len(n.Users)-1] // in's first user has the largest ID
	if u.ID != in.Users[0].ID {
		t.Fatalf("last normalized user %s, want %s", u.ID, in.Users[0].ID)
	}
	wantU := map[string]any{"tags": []string{"a", "b"}, "roles": []string{"a", "z"},
		"custom": map[string][]string{"Dept": {"x", "y"}, "Cost": {"1"}, "None": nil}}
	gotU := map[string]any{"tags": u.Tags, "roles": u.Roles, "custom": u.CustomProperties}
	if diff := cmp.Diff(wantU, gotU); diff != "" {
		t.Errorf("normalized sets (-want +got):\n%s", diff)
	}
	if c := n.Users[len(n.Users)-2].Created; c.Nanosecond() != 0 || !n.At.Equal(t0) {
		t.Errorf("times not at whole seconds: created %v, at %v", c, n.At)
	}

	s, _ := openTemp(t, store.Options{})
	if _, err := s.SaveSnapshot(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Fatalf("SaveSnapshot changed its input (-before +after):\n%s", diff)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Every list of a snapshot is keyed; a key given twice or empty is an
// invalid snapshot wherever it is in the list.
func TestNormalizeRejectsRepeatedAndEmptyKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*license.Snapshot)
	}{
		{"repeated user", func(x *license.Snapshot) { x.Users = append(x.Users, x.Users[7]) }},
		{"empty user ID", func(x *license.Snapshot) { x.Users[5].ID = "" }},
		{"repeated allocation", func(x *license.Snapshot) { x.Allocations = append(x.Allocations, x.Allocations[3]) }},
		{"empty allocation ID", func(x *license.Snapshot) { x.Allocations[2].ID = "" }},
		{"allocation without user", func(x *license.Snapshot) { x.Allocations[2].UserGUID = "" }},
		{"repeated authoring", func(x *license.Snapshot) { x.Authoring = append(x.Authoring, x.Authoring[1]) }},
		{"empty authoring user", func(x *license.Snapshot) { x.Authoring[4].UserGUID = "" }},
		{"repeated counters", func(x *license.Snapshot) { x.Counters = append(x.Counters, x.Counters[1]) }},
		{"unknown counters", func(x *license.Snapshot) { x.Counters[0].Type = "gold" }},
		{"repeated capacity", func(x *license.Snapshot) { x.Capacity = append(x.Capacity, x.Capacity[2]) }},
		{"empty capacity user", func(x *license.Snapshot) { x.Capacity[0].UserGUID = "" }},
		{"bad capacity month", func(x *license.Snapshot) { x.Capacity[0].Month = "2026-1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := unordered()
			tc.mod(x)
			if _, err := store.Normalize(x); !errors.Is(err, store.ErrInvalidSnapshot) {
				t.Fatalf("Normalize = %v, want %v", err, store.ErrInvalidSnapshot)
			}
		})
	}
	// Same IDs in different lists are no repeats.
	x := unordered()
	x.Capacity = append(x.Capacity, license.CapacityUse{UserGUID: x.Capacity[0].UserGUID, Month: "2026-10", Minutes: 6})
	if _, err := store.Normalize(x); err != nil {
		t.Fatalf("Normalize of the same user in two months: %v", err)
	}
}
