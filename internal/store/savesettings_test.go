package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// A save enlarges SQLite's page cache, keeps statement journals in memory
// and does not check foreign keys only while it runs: the connection goes back to the pool with
// the settings it had, after a save that succeeded and after one that
// failed, so that a long-running serve neither keeps the save's cache nor
// sorts its reports in memory.
func TestSaveRestoresConnectionSettings(t *testing.T) {
	ctx := t.Context()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "licmon.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := st.(*sqlStore)
	s.db.SetMaxOpenConns(1) // the save's connection is the one read below
	settings := func() (cache, temp, fk int64) {
		t.Helper()
		if err := s.db.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&temp); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		return cache, temp, fk
	}
	cache, temp, fk := settings()
	if fk != 1 {
		t.Fatalf("foreign_keys %d before any save, want 1", fk)
	}
	t0 := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	// Large enough for a cache larger than the default.
	snap := &license.Snapshot{Site: "prod", At: t0}
	for i := range 60_000 {
		snap.Users = append(snap.Users, license.User{ID: fmt.Sprintf("u%06d", i), Directory: "CORP", UserID: fmt.Sprint(i)})
	}
	if _, err := st.SaveSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if c, tm, f := settings(); c != cache || tm != temp || f != fk {
		t.Errorf("after a save: cache_size %d, temp_store %d, foreign_keys %d; want %d, %d, %d as before", c, tm, f, cache, temp, fk)
	}
	bad := *snap
	bad.At = t0.Add(-time.Hour) // out of order: fails in the save's transaction
	if _, err := st.SaveSnapshot(ctx, &bad); err == nil {
		t.Fatal("out-of-order save succeeded")
	}
	if c, tm, f := settings(); c != cache || tm != temp || f != fk {
		t.Errorf("after a failed save: cache_size %d, temp_store %d, foreign_keys %d; want %d, %d, %d as before", c, tm, f, cache, temp, fk)
	}
}
