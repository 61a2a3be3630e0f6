package collect_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// stagedStore is a store that tells when a staged save has begun.
type stagedStore struct {
	store.Store
	begun chan struct{}
}

func (s *stagedStore) BeginSave(ctx context.Context, part *license.Snapshot) (store.StagedSave, error) {
	sv, err := s.Store.(store.StagedSaver).BeginSave(ctx, part)
	close(s.begun)
	return sv, err
}

// holdObjects serves the app objects only once release is closed (or
// after a bound, reporting that it was not), and fails them if fail is set.
func holdObjects(t *testing.T, release <-chan struct{}, fail bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.URL.Path, "/qrs/app/object/full") {
				select {
				case <-release:
				case <-time.After(20 * time.Second):
					t.Error("the save did not begin while the app objects were being read")
				}
				if fail {
					http.Error(w, "repository busy", http.StatusInternalServerError)
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	}
}

// A first collection's save begins with the users and allocations while
// the app objects (the last list) are still being read, and the collection
// stored is the same as without it: every user and allocation, and the
// authoring counted from the objects that came after.
//
// On PostgreSQL (a new schema, whose first save loads its tables before
// their indexes and foreign keys, locking them until the commit) the save
// only begins in Finish: a collector that read the store while such a
// save was open would wait for it for ever.
func TestFirstSaveBeginsBeforeTheObjects(t *testing.T) {
	for _, backend := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.Schema(t) }},
	} {
		t.Run(backend.name, func(t *testing.T) { firstSaveBeginsBeforeTheObjects(t, backend.db(t)) })
	}
}

func firstSaveBeginsBeforeTheObjects(t *testing.T, db string) {
	clk := &clock{t: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	// Large enough for PostgreSQL's bulk load (5,000 rows).
	s, err := sim.New(sim.Options{Seed: 21, Users: 6000, HistoryDays: 20, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inner, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	st := &stagedStore{Store: inner, begun: make(chan struct{})}
	site := simtest.ServeWith(t, s, holdObjects(t, st.begun, false))
	r, err := collect.Run(ctx, site.Client(t), st, "sim", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !r.Save.First || r.Backfill == 0 {
		t.Fatalf("first collection: %+v", r.Save)
	}
	users, err := inner.UsersAt(ctx, "sim", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	allocs, err := inner.AllocationsAt(ctx, "sim", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	auth, err := inner.AuthoringAt(ctx, "sim", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(r.Snapshot.Users) || len(allocs) != len(r.Snapshot.Allocations) || len(auth) != len(r.Snapshot.Authoring) || len(auth) == 0 {
		t.Fatalf("stored %d users, %d allocations, %d authoring; collected %d, %d, %d", len(users), len(allocs), len(auth),
			len(r.Snapshot.Users), len(r.Snapshot.Allocations), len(r.Snapshot.Authoring))
	}
}

// A first collection whose app objects fail after its save has begun
// stores nothing, and the next collection is a first collection again.
func TestFirstSaveBegunThenFailedLeavesNothing(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)}
	s, err := sim.New(sim.Options{Seed: 22, Users: 80, HistoryDays: 10, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inner, err := store.Open(ctx, filepath.Join(t.TempDir(), "f.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	st := &stagedStore{Store: inner, begun: make(chan struct{})}
	site := simtest.ServeWith(t, s, holdObjects(t, st.begun, true))
	if _, err := collect.Run(ctx, site.Client(t), st, "sim", clk.Now()); err == nil || !strings.Contains(err.Error(), "app objects") {
		t.Fatalf("collect with failing app objects: %v", err)
	}
	if last, err := inner.LatestSnapshotTime(ctx, "sim"); err != nil || !last.IsZero() {
		t.Fatalf("a failed first collection left a collection at %v (%v)", last, err)
	}
	if sites, err := inner.Sites(ctx); err != nil || len(sites) != 0 {
		t.Fatalf("a failed first collection left sites %v (%v)", sites, err)
	}
	// The store is not held: a collection now succeeds as a first one.
	clk.Add(time.Minute)
	r, err := collect.Run(ctx, simtest.Start(t, sim.Options{Seed: 22, Users: 80, HistoryDays: 10, Now: clk.Now}).Client(t), inner, "sim", clk.Now())
	if err != nil || !r.Save.First {
		t.Fatalf("collect after the failure: %v, %+v", err, r)
	}
}
