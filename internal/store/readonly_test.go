package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/store"
)

// TestReadOnlyOpen checks that a read-only open never creates a store: a
// mistyped path says there is no database there and leaves no file, and
// an existing store is read but cannot be written.
func TestReadOnlyOpen(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "typo.db")
	_, err := store.Open(ctx, missing, store.Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNoStore) {
		t.Fatalf("read-only open of a missing file: %v, want ErrNoStore", err)
	}
	if want := "no licmon database at " + missing + ": run licmon collect first, or check --db"; err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err, want)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only open created %s", missing)
	}

	s, path := openTemp(t, store.Options{})
	mustSave(t, s, small(1, t0))
	s.Close()
	before, _ := os.ReadFile(path)
	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of a store: %v", err)
	}
	defer ro.Close()
	if sites, err := ro.Sites(ctx); err != nil || len(sites) != 1 {
		t.Fatalf("Sites = %v, %v", sites, err)
	}
	if _, err := ro.SaveSnapshot(ctx, small(1, t0.Add(24*3600e9))); err == nil {
		t.Error("a read-only store accepted a write")
	}
	ro.Close()
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the read-only open changed the database file")
	}
}

// TestDamagedStore drops a table and checks that opening the store names
// the file, says it is damaged and what to do, instead of SQLite's raw
// "SQL logic error".
func TestDamagedStore(t *testing.T) { forEachBackend(t, testDamagedStore) }

func testDamagedStore(t *testing.T, be backend) {
	ctx := context.Background()
	s, path := be.open(t, store.Options{})
	mustSave(t, s, small(1, t0))
	s.Close()
	be.exec(t, path, "DROP TABLE counters")
	for _, ro := range []bool{true, false} {
		_, err := store.Open(ctx, path, store.Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("read-only %v: %v, want ErrDamaged", ro, err)
		}
		msg := err.Error()
		for _, want := range []string{store.RedactDSN(path), "damaged or not a licmon database", "counters", "backup"} {
			if !strings.Contains(msg, want) {
				t.Errorf("read-only %v: %q lacks %q", ro, msg, want)
			}
		}
		if strings.Contains(msg, "SQL logic error") {
			t.Errorf("raw SQLite error: %q", msg)
		}
	}
}

// TestStoreFileModes checks that a new store and its folder are readable
// by the owner only: the store holds every user name of the site.
func TestStoreFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits; Windows stores inherit the ACL of the per-user data folder")
	}
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "licmon.db")
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, small(1, t0))
	defer s.Close()
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			if f != path {
				continue
			}
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s has mode %o, want no group or other access", filepath.Base(f), m)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("store folder has mode %o", fi.Mode().Perm())
	}
}

// TestLockCollect checks the collection lock: a second lock of the same
// site and store is refused with the message a user needs, another site is
// not, and the lock is free again after release.
func TestLockCollect(t *testing.T) { forEachBackend(t, testLockCollect) }

func testLockCollect(t *testing.T, be backend) {
	db := be.location(t)
	release, err := store.LockCollect(db, "prod")
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.LockCollect(db, "Prod")
	if !errors.Is(err, store.ErrCollectRunning) {
		t.Fatalf("second lock: %v, want ErrCollectRunning", err)
	}
	if want := "another licmon collect is running for site Prod (store " + store.RedactDSN(db) + "); try again when it ends"; err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err, want)
	}
	other, err := store.LockCollect(db, "test")
	if err != nil {
		t.Fatalf("another site: %v", err)
	}
	other()
	release()
	again, err := store.LockCollect(db, "prod")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
