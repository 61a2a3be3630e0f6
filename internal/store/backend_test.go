package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/store"
)

// backend is one engine the conformance tests run on: every behaviour test
// of the store runs on SQLite and on PostgreSQL through forEachBackend, so
// the two cannot drift apart.
type backend struct {
	name string
	// location returns where a new, empty store can be opened: an SQLite
	// file in a temporary folder, or a DSN to a fresh PostgreSQL schema.
	location func(t testing.TB) string
}

var backends = []backend{
	{name: "sqlite", location: func(t testing.TB) string { return filepath.Join(t.TempDir(), "licmon.db") }},
	// The PostgreSQL leg skips without LICMON_TEST_POSTGRES, except in CI
	// where it fails (pgtest.Require).
	{name: "postgres", location: func(t testing.TB) string { return pgtest.Schema(t) }},
}

// forEachBackend runs f once per backend, as subtests named after it.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// open opens a new store of the backend, closed when the test ends, and
// returns it with its location.
func (b backend) open(t testing.TB, opts store.Options) (store.Store, string) {
	t.Helper()
	loc := b.location(t)
	return b.openAt(t, loc, opts), loc
}

// openAt opens the store at loc, closed when the test ends.
func (b backend) openAt(t testing.TB, loc string, opts store.Options) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), loc, opts)
	if err != nil {
		t.Fatalf("Open %s: %v", store.RedactDSN(loc), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// exec runs statements on the store at loc behind the store's back (to
// damage it), with the backend's own driver.
func (b backend) exec(t testing.TB, loc string, stmts ...string) {
	t.Helper()
	if b.name == "postgres" {
		pgtest.Exec(t, loc, stmts...)
		return
	}
	db, err := sql.Open("sqlite", loc)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, st := range stmts {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}
