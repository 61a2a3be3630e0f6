package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)

func openTemp(t testing.TB, opts store.Options) (store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "licmon.db")
	s, err := store.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func mustSave(t testing.TB, s store.Store, snap *license.Snapshot) *store.SaveResult {
	t.Helper()
	res, err := s.SaveSnapshot(context.Background(), snap)
	if err != nil {
		t.Fatalf("SaveSnapshot(%s): %v", snap.At, err)
	}
	return res
}

func normalized(t testing.TB, s *license.Snapshot) *license.Snapshot {
	t.Helper()
	n, err := store.Normalize(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func small(seed uint64, at time.Time) *license.Snapshot {
	return storetest.Generate(seed, storetest.Config{Site: "prod", At: at, Users: 40, Professional: 12, Analyzer: 15,
		UserAccess: 5, Authoring: 10, CapacityUser: 4})
}

func TestMigrateFromEveryEarlierVersion(t *testing.T) {
	forEachBackend(t, testMigrateFromEveryEarlierVersion)
}

func testMigrateFromEveryEarlierVersion(t *testing.T, be backend) {
	ctx := context.Background()
	for v := 1; v < store.LatestSchema(); v++ {
		t.Run("from v"+string(rune('0'+v)), func(t *testing.T) {
			path := be.location(t)
			old, err := store.Open(ctx, path, store.WithMaxVersion(store.Options{}, v))
			if err != nil {
				t.Fatal(err)
			}
			snap := small(1, t0)
			mustSave(t, old, snap)
			old.Close()

			s, err := store.Open(ctx, path, store.Options{})
			if err != nil {
				t.Fatalf("reopen and migrate: %v", err)
			}
			defer s.Close()
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Schema != store.LatestSchema() {
				t.Errorf("schema after migration = %d, want %d", st.Schema, store.LatestSchema())
			}
			got, err := s.AllocationsAt(ctx, "prod", t0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(normalized(t, snap).Allocations, got); diff != "" {
				t.Errorf("data after migration (-want +got):\n%s", diff)
			}
			// The features of the later schema work on the migrated file.
			if _, err := s.SaveCheck(ctx, store.CheckResult{Site: "prod", At: t0, Status: "ok", JSON: []byte(`{}`)}); err != nil {
				t.Errorf("SaveCheck after migration: %v", err)
			}
			if _, err := s.ActiveUsers(ctx, "prod", license.Professional, t0.AddDate(0, -1, 0), t0, store.Day); err != nil {
				t.Errorf("ActiveUsers after migration: %v", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	t.Run("newer schema", func(t *testing.T) {
		path := filepath.Join(dir, "new.db")
		s, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = store.Open(ctx, path, store.Options{})
		var tooNew *store.SchemaTooNewError
		if !errors.As(err, &tooNew) || tooNew.Have != 99 {
			t.Fatalf("Open = %v, want SchemaTooNewError v99", err)
		}
		if !strings.Contains(err.Error(), "created by a newer licmon (schema v99") || !strings.Contains(err.Error(), "upgrade licmon") {
			t.Errorf("message %q does not tell the user to upgrade", err)
		}
	})
	t.Run("not sqlite", func(t *testing.T) {
		path := filepath.Join(dir, "notes.txt")
		os.WriteFile(path, []byte("these are my notes, not a database at all"), 0o600)
		_, err := store.Open(ctx, path, store.Options{})
		if !errors.Is(err, store.ErrNotLicmonDB) {
			t.Fatalf("Open = %v, want ErrNotLicmonDB", err)
		}
	})
	t.Run("other sqlite database", func(t *testing.T) {
		path := filepath.Join(dir, "other.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE invoices (id INTEGER)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = store.Open(ctx, path, store.Options{})
		if !errors.Is(err, store.ErrNotLicmonDB) {
			t.Fatalf("Open = %v, want ErrNotLicmonDB", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := store.Open(ctx, dir, store.Options{})
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("Open(dir) = %v", err)
		}
	})
	// A folder for the store that cannot be created is a clear error, also
	// for root (CI runs as root, which ignores directory permissions): the
	// parent is a regular file, or (Linux) under /proc, where nobody can
	// create folders.
	t.Run("parent is a file", func(t *testing.T) {
		file := filepath.Join(dir, "a-file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(file, "x", "licmon.db")
		_, err := store.Open(ctx, path, store.Options{})
		if err == nil {
			t.Fatal("Open below a regular file succeeded")
		}
		if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), file) {
			t.Errorf("error %q does not name the path", err)
		}
	})
	t.Run("unwritable directory", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("/proc is Linux's")
		}
		path := filepath.Join("/proc", "licmon-store-test", "x", "licmon.db")
		_, err := store.Open(ctx, path, store.Options{})
		if err == nil {
			t.Fatal("Open in an unwritable directory succeeded")
		}
		if !strings.Contains(err.Error(), "create store directory") {
			t.Errorf("error %q does not say the store's folder could not be created", err)
		}
	})
	t.Run("empty path", func(t *testing.T) {
		if _, err := store.Open(ctx, "", store.Options{}); err == nil {
			t.Fatal("Open(\"\") succeeded")
		}
	})
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("LOCALAPPDATA", dir)
	p, err := store.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "licmon", "licmon.db"); p != want {
		t.Errorf("DefaultPath = %q, want %q", p, want)
	}
	fi, err := os.Stat(filepath.Dir(p))
	if err != nil || !fi.IsDir() {
		t.Fatalf("directory not created: %v", err)
	}
	if os.PathSeparator == '/' && fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestSaveRejectsBadSnapshots(t *testing.T) { forEachBackend(t, testSaveRejectsBadSnapshots) }

func testSaveRejectsBadSnapshots(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	base := small(1, t0)
	mustSave(t, s, base)
	for _, tc := range []struct {
		name string
		mod  func(*license.Snapshot)
		want error
	}{
		{"older than latest", func(x *license.Snapshot) { x.At = t0.Add(-time.Hour) }, store.ErrOutOfOrder},
		{"same time different content", func(x *license.Snapshot) { x.Users[0].Name = "changed" }, store.ErrConflict},
		{"repeated allocation", func(x *license.Snapshot) {
			x.At = t0.Add(time.Hour)
			x.Allocations = append(x.Allocations, x.Allocations[0])
		}, store.ErrInvalidSnapshot},
		{"login access allocation", func(x *license.Snapshot) {
			x.At = t0.Add(time.Hour)
			x.Allocations[0].Type = license.LoginAccess
		}, store.ErrInvalidSnapshot},
		{"full serial", func(x *license.Snapshot) {
			x.At = t0.Add(time.Hour)
			x.License.SerialTail = "0001 0002 0003 0004"
		}, store.ErrInvalidSnapshot},
		{"empty site", func(x *license.Snapshot) { x.Site = " " }, store.ErrInvalidSnapshot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := storetest.Clone(base)
			tc.mod(x)
			if _, err := s.SaveSnapshot(ctx, x); !errors.Is(err, tc.want) {
				t.Fatalf("SaveSnapshot = %v, want %v", err, tc.want)
			}
		})
	}
	got, _ := s.AllocationsAt(ctx, "prod", t0.Add(24*time.Hour))
	if diff := cmp.Diff(normalized(t, base).Allocations, got); diff != "" {
		t.Errorf("rejected saves changed the store (-want +got):\n%s", diff)
	}
}

func TestChecks(t *testing.T) { forEachBackend(t, testChecks) }

func testChecks(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	for i, st := range []string{"ok", "critical", "warning"} {
		if _, err := s.SaveCheck(ctx, store.CheckResult{Site: "prod", At: t0.Add(time.Duration(i) * time.Hour),
			Status: st, ExitCode: i, JSON: []byte(`{"status":"` + st + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Checks(ctx, "prod", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Status != "warning" || got[1].Status != "critical" || got[0].ExitCode != 2 ||
		string(got[1].JSON) != `{"status":"critical"}` || !got[0].At.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("Checks = %+v", got)
	}
}

func TestStats(t *testing.T) { forEachBackend(t, testStats) }

func testStats(t *testing.T, be backend) {
	s, path := be.open(t, store.Options{})
	ctx := context.Background()
	snap := small(3, t0)
	mustSave(t, s, snap)
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, tb := range st.Tables {
		rows[tb.Name] = tb.Rows
		if tb.Rows > 0 && tb.Bytes <= 0 {
			t.Errorf("table %s has %d rows and %d bytes", tb.Name, tb.Rows, tb.Bytes)
		}
	}
	if rows["allocation_versions"] != int64(len(snap.Allocations)) || rows["user_versions"] != int64(len(snap.Users)) ||
		rows["collections"] != 1 || rows["counters"] != int64(len(snap.Counters)) {
		t.Errorf("row counts %v", rows)
	}
	if st.Path != store.RedactDSN(path) || st.FileBytes == 0 || len(st.Sites) != 1 || st.Sites[0].Collections != 1 || !st.Sites[0].First.Equal(t0) {
		t.Errorf("Stats = %+v", st)
	}
	if be.name == "postgres" {
		if st.Engine != "PostgreSQL" || !st.BytesExact || st.PageSize != 0 {
			t.Errorf("PostgreSQL stats = %+v, want exact sizes from pg_total_relation_size and no pages", st)
		}
		return
	}
	// The DSN pragmas took effect: the database is in WAL mode.
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file next to the open database: %v", err)
	}
	t.Logf("dbstat available: %v", st.BytesExact)
}

func TestSitesAndCollections(t *testing.T) { forEachBackend(t, testSitesAndCollections) }

func testSitesAndCollections(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	if _, err := s.AllocationsAt(ctx, "prod", t0); !errors.Is(err, store.ErrUnknownSite) {
		t.Errorf("AllocationsAt of an empty store = %v, want ErrUnknownSite", err)
	}
	if at, err := s.LatestSnapshotTime(ctx, "prod"); err != nil || !at.IsZero() {
		t.Errorf("LatestSnapshotTime of an empty store = %v, %v", at, err)
	}
	a := small(1, t0)
	b := small(2, t0.Add(time.Hour))
	b.Site = "test"
	mustSave(t, s, a)
	mustSave(t, s, b)
	a2 := storetest.NewStream(1).Next(a, t0.Add(2*time.Hour), 0.2)
	res := mustSave(t, s, a2)
	sites, err := s.Sites(ctx)
	if err != nil || !cmp.Equal(sites, []string{"prod", "test"}) {
		t.Errorf("Sites = %v, %v", sites, err)
	}
	if at, _ := s.LatestSnapshotTime(ctx, "prod"); !at.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("LatestSnapshotTime = %v", at)
	}
	cols, err := s.Collections(ctx, "prod", t0, t0.Add(3*time.Hour))
	if err != nil || len(cols) != 2 || !cols[0].At.Equal(t0) || cols[1].ID != res.CollectionID ||
		cols[1].Changes != res.Changes.Total() || cols[1].Allocations != len(a2.Allocations) {
		t.Errorf("Collections = %+v, %v", cols, err)
	}
	// Sites do not see each other's data.
	got, _ := s.AllocationsAt(ctx, "test", t0.Add(3*time.Hour))
	if diff := cmp.Diff(normalized(t, b).Allocations, got); diff != "" {
		t.Errorf("test site (-want +got):\n%s", diff)
	}
}

// TestPartialUsers: a snapshot holding only the users that changed is
// merged with the stored users; one whose count does not add up (a user was
// deleted) is refused with ErrPartialUsers and writes nothing.
func TestPartialUsers(t *testing.T) { forEachBackend(t, testPartialUsers) }

func testPartialUsers(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := be.open(t, store.Options{})
	first := small(1, t0)
	mustSave(t, s, first)

	next := storetest.Clone(first)
	next.At = t0.Add(24 * time.Hour)
	changed := next.Users[3]
	changed.Inactive = !changed.Inactive
	added := license.User{ID: "00000000-0000-0000-0000-0000000000ad", Directory: "CORP", UserID: "new.user", Name: "New User"}
	partial := storetest.Clone(next)
	partial.Users = []license.User{changed, added}
	partial.UsersPartial, partial.UserCount = true, len(first.Users)+1

	// A count that does not add up: refused, nothing written.
	bad := storetest.Clone(partial)
	bad.UserCount = len(first.Users)
	if _, err := s.SaveSnapshot(ctx, bad); !errors.Is(err, store.ErrPartialUsers) {
		t.Fatalf("err = %v, want ErrPartialUsers", err)
	}
	if cs, _ := s.Collections(ctx, "prod", t0, t0.AddDate(0, 0, 2)); len(cs) != 1 {
		t.Fatalf("%d collections after a refused save, want 1", len(cs))
	}

	res := mustSave(t, s, partial)
	if res.Changes.UsersChanged != 1 || res.Changes.UsersAdded != 1 || res.Changes.UsersRemoved != 0 {
		t.Fatalf("changes = %+v", res.Changes)
	}
	got, err := s.UsersAt(ctx, "prod", partial.At)
	if err != nil {
		t.Fatal(err)
	}
	next.Users[3] = changed
	next.Users = append(next.Users, added)
	want := normalized(t, next).Users
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("users after a partial save (-want +got):\n%s", diff)
	}

	// The first collection must hold every user.
	other := small(2, t0)
	other.Site, other.UsersPartial, other.UserCount = "other", true, len(other.Users)
	if _, err := s.SaveSnapshot(ctx, other); !errors.Is(err, store.ErrPartialUsers) {
		t.Fatalf("partial first collection: err = %v", err)
	}
}

// TestUserKeysFollowAllocations: a first save gives users their keys in
// the order the allocations name them, so the report's read of the
// allocations with their users' GUIDs (allocation order) finds the users
// one after the other: with keys in the users' GUID order that read of a
// 300k-user site took 1.7 times as long (bench/rawread).
func TestUserKeysFollowAllocations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap := storetest.Generate(3, storetest.Config{Site: "prod", At: t0, Users: 400, Professional: 150, Analyzer: 150, Authoring: 40})
	// User GUIDs in the reverse order of their generated ones, so that the
	// users' GUID order and the allocations' order differ.
	renamed := map[string]string{}
	for i := range snap.Users {
		id := fmt.Sprintf("%08x-0000-4000-8000-000000000000", 1<<30-i)
		renamed[snap.Users[i].ID], snap.Users[i].ID = id, id
	}
	for i := range snap.Allocations {
		snap.Allocations[i].UserGUID = renamed[snap.Allocations[i].UserGUID]
	}
	for i := range snap.Authoring {
		snap.Authoring[i].UserGUID = renamed[snap.Authoring[i].UserGUID]
	}
	for i := range snap.Capacity {
		snap.Capacity[i].UserGUID = renamed[snap.Capacity[i].UserGUID]
	}
	mustSave(t, s, snap)
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT user_key FROM allocation_versions ORDER BY alloc_key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen, last, n := map[int64]bool{}, int64(0), 0
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		if k < last {
			t.Fatalf("allocation %d names user key %d after key %d: user keys do not follow the allocations", n, k, last)
		}
		last, n = k, n+1
	}
	if n < 100 {
		t.Fatalf("only %d users with allocations: the test does not test", n)
	}
}
