package store_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/store"
)

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/licmon/licmon.db":                                  "/var/lib/licmon/licmon.db",
		"postgres://licmon:s3cret@db:5432/licmon":                    "postgres://licmon:*****@db:5432/licmon",
		"postgresql://licmon@db/licmon?sslmode=require":              "postgresql://licmon@db/licmon?sslmode=require",
		"postgres://db/licmon?password=s3cret&user=licmon":           "postgres://db/licmon?password=*****&user=licmon",
		"postgres://licmon:s%23cret@db/licmon?password_file=/etc/pw": "postgres://licmon:*****@db/licmon?password_file=/etc/pw",
		"postgres://licmon:s3cret@db:bad-port/licmon":                "postgres://*****@db:bad-port/licmon",
	} {
		if got := store.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// withoutPassword returns dsn without its password, and the password.
func withoutPassword(t *testing.T, dsn string) (string, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok {
		if pgtest.Required() {
			t.Fatalf("%s has no password: CI's server checks passwords (scram-sha-256 on 127.0.0.1) so the password tests run", pgtest.Env)
		}
		t.Skipf("%s has no password: the password tests need a server that checks one", pgtest.Env)
	}
	u.User = url.User(u.User.Username())
	return u.String(), pw
}

// TestPostgresPassword checks every way to give the password, and that no
// error shows it.
func TestPostgresPassword(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	bare, pw := withoutPassword(t, dsn)
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))

	file := filepath.Join(t.TempDir(), "dbpass")
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withFile, err := store.WithPasswordFile(bare, file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, withFile, store.Options{})
	if err != nil {
		t.Fatalf("password from db_password_file: %v", err)
	}
	mustSave(t, s, small(1, t0))
	s.Close()

	t.Run("PGPASSWORD", func(t *testing.T) {
		t.Setenv("PGPASSWORD", pw)
		s, err := store.Open(ctx, bare, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("password from PGPASSWORD: %v", err)
		}
		s.Close()
	})

	wrongFile := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongFile, []byte("Wr0ng-Passw0rd"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrong, _ := store.WithPasswordFile(bare, wrongFile)
	u, _ := url.Parse(bare)
	u.User = url.UserPassword(u.User.Username(), "Wr0ng-Passw0rd")
	for name, dsn := range map[string]string{"file": wrong, "in the DSN": u.String()} {
		_, err := store.Open(ctx, dsn, store.Options{})
		if err == nil {
			t.Fatalf("%s: a wrong password opened the store", name)
		}
		msg := err.Error()
		if strings.Contains(msg, "Wr0ng-Passw0rd") || strings.Contains(msg, pw) {
			t.Errorf("%s: the error shows a password: %s", name, msg)
		}
		if !strings.Contains(msg, "refused the login") || !strings.Contains(msg, "db_password_file, PGPASSWORD or a passfile") {
			t.Errorf("%s: the error does not say what to do: %s", name, msg)
		}
		if _, err := store.LockCollect(dsn, "prod"); err == nil || strings.Contains(err.Error(), "Wr0ng-Passw0rd") {
			t.Errorf("%s: LockCollect with a wrong password: %v", name, err)
		}
	}

	// A server that is not there: the message names the DSN, masked.
	u.Host = "127.0.0.1:1"
	_, err = store.Open(ctx, u.String(), store.Options{})
	if err == nil || strings.Contains(err.Error(), "Wr0ng-Passw0rd") || !strings.Contains(err.Error(), ":*****@127.0.0.1:1") ||
		!strings.Contains(err.Error(), "cannot connect to PostgreSQL") {
		t.Errorf("unreachable server: %v", err)
	}

	if _, err := store.WithPasswordFile(dsn, file); err == nil {
		t.Error("WithPasswordFile accepted a DSN that has a password")
	}
	if _, err := store.WithPasswordFile("/var/lib/licmon.db", file); err == nil {
		t.Error("WithPasswordFile accepted an SQLite path")
	}
}

// TestPostgresReadOnly: a read-only open of an empty schema is ErrNoStore
// (nothing is created), and a read-only store refuses every write.
func TestPostgresReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	_, err := store.Open(ctx, dsn, store.Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNoStore) {
		t.Fatalf("read-only open of an empty schema: %v, want ErrNoStore", err)
	}
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, small(1, t0))
	s.Close()
	ro, err := store.Open(ctx, dsn, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open: %v", err)
	}
	defer ro.Close()
	if _, err := ro.SaveSnapshot(ctx, small(1, t0.Add(time.Hour))); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a read-only store accepted a write: %v", err)
	}
	if _, err := ro.SaveCheck(ctx, store.CheckResult{Site: "prod", At: t0, Status: "ok", JSON: []byte(`{}`)}); err == nil {
		t.Error("a read-only store accepted a check result")
	}
	cs, err := ro.Collections(ctx, "prod", t0.Add(-time.Hour), t0.Add(2*time.Hour))
	if err != nil || len(cs) != 1 {
		t.Errorf("collections after refused writes = %v, %v; want the one saved", cs, err)
	}
}

// TestPostgresWritersAreSerialised saves two sites at once from two stores
// on one schema (two licmon processes on one database): the write lock
// keeps their interned keys apart, as SQLite's IMMEDIATE transactions do.
func TestPostgresWritersAreSerialised(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, site := range []string{"prod", "test"} {
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 {
				snap := small(uint64(i+1), t0.Add(time.Duration(k)*time.Hour))
				snap.Site = site
				if _, err := st.SaveSnapshot(ctx, snap); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent save: %v", err)
	}
	s := backends[1].openAt(t, dsn, store.Options{})
	for _, site := range []string{"prod", "test"} {
		us, err := s.UsersAt(ctx, site, t0.Add(3*time.Hour))
		if err != nil || len(us) != 40 {
			t.Errorf("%s: %d users, %v", site, len(us), err)
		}
	}
}

// TestPostgresForeignSchema: a schema holding another application's tables
// is not taken for a licmon store, and nothing is created in it.
func TestPostgresForeignSchema(t *testing.T) {
	dsn := pgtest.Schema(t)
	pgtest.Exec(t, dsn, "CREATE TABLE orders (id BIGINT PRIMARY KEY)")
	for _, ro := range []bool{false, true} {
		_, err := store.Open(context.Background(), dsn, store.Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrNotLicmonDB) || !strings.Contains(err.Error(), "no licmon schema") {
			t.Errorf("read-only %v: %v, want ErrNotLicmonDB", ro, err)
		}
	}
	// Fails the test (pgtest.Exec) if licmon created a table there.
	pgtest.Exec(t, dsn, `DO $$ BEGIN IF (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()) <> 1
		THEN RAISE EXCEPTION 'licmon created tables in a foreign schema'; END IF; END $$`)
}
