package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/licmon/licmon/internal/pgtest"
)

// openPG opens a new PostgreSQL store in a schema of its own.
func openPG(t *testing.T) (*sqlStore, string) {
	t.Helper()
	dsn := pgtest.Schema(t)
	st, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*sqlStore), dsn
}

// pgCatalog lists every index and constraint of the store's schema by its
// definition.
func pgCatalog(t *testing.T, s *sqlStore) []string {
	t.Helper()
	var out []string
	err := scanAll(context.Background(), s.db, `
		SELECT 'index '||indexname||': '||indexdef FROM pg_indexes WHERE schemaname = current_schema()
		UNION ALL
		SELECT 'constraint '||conrelid::regclass::text||' '||conname||': '||pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
		ORDER BY 1`, nil, func(r *sql.Rows) error {
		var d string
		if err := r.Scan(&d); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// inTx runs f in a write transaction of s on a connection of its own, as
// save does, and commits if f succeeds.
func inTx(t *testing.T, s *sqlStore, f func(ctx context.Context, tc txConn) error) error {
	t.Helper()
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := f(ctx, txConn{tx, conn}); err != nil {
		return err
	}
	return tx.Commit()
}

// keyRows returns n user_keys rows of the site, the GUIDs g0, g1, …
// (dup repeats the first one at the end).
func keyRows(site int64, n int, dup bool) (int, func(i int, dst []any) []any) {
	if dup {
		n++
	}
	return n, func(i int, dst []any) []any {
		g := i
		if dup && i == n-1 {
			g = 0
		}
		return append(dst, int64(i+1), site, fmt.Sprintf("g%d", g), int64(g%4096))
	}
}

var keyCols = []string{"id", "site_id", "guid", "bucket"}

// TestPostgresBulkLoad: a large COPY into an empty table, loaded before its
// indexes and constraints are built, leaves the same schema and enforces
// the same constraints; a violation fails the transaction with the rows
// and the schema as they were.
func TestPostgresBulkLoad(t *testing.T) {
	s, _ := openPG(t)
	before := pgCatalog(t, s)
	if len(before) < 20 {
		t.Fatalf("the catalog lists %d indexes and constraints: %v", len(before), before)
	}
	var site int64
	var oldIndex uint32
	if err := s.db.QueryRow("SELECT 'user_keys_site_id_guid_key'::regclass::oid").Scan(&oldIndex); err != nil {
		t.Fatal(err)
	}
	n := bulkMinRows + 10

	// A duplicate GUID: the unique constraint built after the COPY fails.
	err := inTx(t, s, func(ctx context.Context, tc txConn) error {
		var err error
		if site, err = s.siteID(ctx, tc.Tx, "prod", time.Unix(1e9, 0), true); err != nil {
			return err
		}
		rows, row := keyRows(site, n, true)
		return s.insertN(ctx, tc, "user_keys", keyCols, rows, row, "")
	})
	if err == nil || !strings.Contains(err.Error(), "user_keys_site_id_guid_key") {
		t.Errorf("a duplicate GUID in a bulk load: %v, want the unique constraint's violation", err)
	}
	if d := cmp.Diff(before, pgCatalog(t, s)); d != "" {
		t.Errorf("a failed bulk load changed the schema (-before +after):\n%s", d)
	}

	// A version of a user without a key: the foreign key checked after the
	// COPY fails.
	err = inTx(t, s, func(ctx context.Context, tc txConn) error {
		var err error
		if site, err = s.siteID(ctx, tc.Tx, "prod", time.Unix(1e9, 0), true); err != nil {
			return err
		}
		return s.insertN(ctx, tc, "user_versions", []string{"user_key", "valid_from", "site_id", "directory", "user_id", "name",
			"inactive", "blocked", "removed_externally"}, n, func(i int, dst []any) []any {
			return append(dst, int64(i+1), int64(1), site, "D", fmt.Sprint(i), "n", int64(0), int64(0), int64(0))
		}, "")
	})
	if err == nil || !strings.Contains(err.Error(), "user_versions_user_key_fkey") {
		t.Errorf("versions of users without keys in a bulk load: %v, want the foreign key's violation", err)
	}
	if d := cmp.Diff(before, pgCatalog(t, s)); d != "" {
		t.Errorf("a failed bulk load changed the schema (-before +after):\n%s", d)
	}

	// Good rows: stored, and the same indexes and constraints, built anew
	// (the bulk path ran), enforcing what they did.
	err = inTx(t, s, func(ctx context.Context, tc txConn) error {
		var err error
		if site, err = s.siteID(ctx, tc.Tx, "prod", time.Unix(1e9, 0), true); err != nil {
			return err
		}
		rows, row := keyRows(site, n, false)
		return s.insertN(ctx, tc, "user_keys", keyCols, rows, row, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, pgCatalog(t, s)); d != "" {
		t.Errorf("a bulk load changed the schema (-before +after):\n%s", d)
	}
	var count int
	var newIndex uint32
	if err := s.db.QueryRow("SELECT COUNT(*), 'user_keys_site_id_guid_key'::regclass::oid FROM user_keys").Scan(&count, &newIndex); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("user_keys holds %d rows, want %d", count, n)
	}
	if newIndex == oldIndex {
		t.Error("user_keys_site_id_guid_key is the index it was: the rows were not loaded before it was built")
	}
	_, err = s.db.Exec(s.q("INSERT INTO user_keys (id, site_id, guid) VALUES (?, ?, ?)"), n+1, site, "g7")
	if err == nil || !strings.Contains(err.Error(), "user_keys_site_id_guid_key") {
		t.Errorf("a duplicate GUID after a bulk load: %v, want the unique constraint's violation", err)
	}
}

// TestPostgresBulkLoadReaders: a bulk load never makes a reader of
// committed rows wait: not of the sites (when the store holds another
// site, the foreign keys to sites are checked row by row), and not of a
// table whose rows the loading transaction deleted; nor waits for a reader.
func TestPostgresBulkLoadReaders(t *testing.T) {
	s, dsn := openPG(t)
	ctx := context.Background()
	reader, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close(ctx)
	if _, err := reader.Exec(ctx, "SET lock_timeout = '3s'"); err != nil {
		t.Fatal(err)
	}
	read := func(what, q string, want int) {
		t.Helper()
		var n int
		if err := reader.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Errorf("%s during a bulk load: %v", what, err)
		} else if n != want {
			t.Errorf("%s during a bulk load: %d rows, want the %d committed", what, n, want)
		}
	}
	n := bulkMinRows + 10
	var prod int64
	if err := inTx(t, s, func(ctx context.Context, tc txConn) error {
		if _, err := s.siteID(ctx, tc.Tx, "test", time.Unix(1e9, 0), true); err != nil {
			return err
		}
		var err error
		prod, err = s.siteID(ctx, tc.Tx, "prod", time.Unix(1e9, 0), true)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Two sites: the keys are bulk loaded, sites stay readable.
	if err := inTx(t, s, func(ctx context.Context, tc txConn) error {
		rows, row := keyRows(prod, n, false)
		if err := s.insertN(ctx, tc, "user_keys", keyCols, rows, row, ""); err != nil {
			return err
		}
		read("reading the sites", "SELECT COUNT(*) FROM sites", 2)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A reader holding a lock on the table (in a transaction that may read
	// a table the collection holds next): the load does not wait for it,
	// and loads the table with its indexes.
	rtx, err := reader.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var none int
	if err := rtx.QueryRow(ctx, "SELECT COUNT(*) FROM allocation_keys").Scan(&none); err != nil {
		t.Fatal(err)
	}
	if err := inTx(t, s, func(ctx context.Context, tc txConn) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		rows, row := keyRows(prod, n, false)
		return s.insertN(ctx, tc, "allocation_keys", keyCols, rows, row, "")
	}); err != nil {
		t.Fatalf("a bulk load with a reader holding the table: %v", err)
	}
	if err := rtx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	read("reading the allocation keys", "SELECT COUNT(*) FROM allocation_keys", n)

	// Rows deleted and loaded again in one transaction (copy --force):
	// the committed ones stay readable until the commit.
	if err := inTx(t, s, func(ctx context.Context, tc txConn) error {
		if _, err := tc.ExecContext(ctx, "DELETE FROM user_keys"); err != nil {
			return err
		}
		rows, row := keyRows(prod, n+5, false)
		if err := s.insertN(ctx, tc, "user_keys", keyCols, rows, row, ""); err != nil {
			return err
		}
		read("reading the keys", "SELECT COUNT(*) FROM user_keys", n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	read("reading the keys after", "SELECT COUNT(*) FROM user_keys", n+5)
}

// TestPostgresCopyEncoding: every kind of value the store copies arrives
// as it was sent, in rows spanning many reads of the COPY stream,
// including those it leaves to pgx's encoding (a 4-byte integer column, a
// numeric string for a number column).
func TestPostgresCopyEncoding(t *testing.T) {
	s, _ := openPG(t)
	if _, err := s.db.Exec(`CREATE TABLE enc (id BIGINT, s TEXT, f DOUBLE PRECISION, small INTEGER, b BIGINT, n BIGINT, t TEXT)`); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	type encRow struct {
		id       int64
		s        string
		f        float64
		small, b int64
		n        sql.NullInt64
		t        string
	}
	want := make([]encRow, 0, n+1)
	for i := range n {
		want = append(want, encRow{int64(i) - 1<<40, fmt.Sprintf("%s '%d'?", strings.Repeat("é", i%90), i), float64(i) / 7,
			int64(i % 1000), int64(1 - i%2), sql.NullInt64{}, fmt.Sprint(i)})
		if i%3 != 0 {
			want[i].n = sql.NullInt64{Int64: int64(i), Valid: true}
		}
	}
	want = append(want, encRow{id: 1 << 50, s: "", f: 0.5, small: 7, b: 0, t: "-3"})
	cols := []string{"id", "s", "f", "small", "b", "n", "t"}
	if err := inTx(t, s, func(ctx context.Context, tc txConn) error {
		if err := s.insertN(ctx, tc, "enc", cols, n, func(i int, dst []any) []any {
			w := &want[i]
			var null any
			if w.n.Valid {
				null = w.n.Int64
			}
			return append(dst, w.id, w.s, w.f, w.small, i%2 == 0, null, w.t)
		}, ""); err != nil {
			return err
		}
		return s.insertN(ctx, tc, "enc", cols, 1, func(_ int, dst []any) []any {
			return append(dst, "1125899906842624", "", "0.5", "7", false, nil, "-3")
		}, "")
	}); err != nil {
		t.Fatal(err)
	}
	var got []encRow
	err := scanAll(context.Background(), s.db, "SELECT id, s, f, small, b, n, t FROM enc ORDER BY id", nil, func(r *sql.Rows) error {
		var e encRow
		err := r.Scan(&e.id, &e.s, &e.f, &e.small, &e.b, &e.n, &e.t)
		got = append(got, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(encRow{})); d != "" {
		t.Errorf("copied rows (-sent +stored):\n%s", d)
	}
}
