package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE x = ? AND y IN (?, ?)"
	if got := rebind(dialectSQLite, q); got != q {
		t.Errorf("sqlite rebind changed the query: %q", got)
	}
	if got, want := rebind(dialectPostgres, q), "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)"; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- comment\nCREATE TABLE a (\n  x INTEGER\n);\n\nCREATE INDEX i ON a (x);\n")
	want := []string{"CREATE TABLE a (\n  x INTEGER\n);", "CREATE INDEX i ON a (x);"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMigrationsAreNumbered(t *testing.T) {
	m, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) < 2 || m[0].version != 1 || LatestSchema() != m[len(m)-1].version {
		t.Fatalf("%d migrations from v%d, LatestSchema %d", len(m), m[0].version, LatestSchema())
	}
}

// TestMigrationGaps: numbers are handed out to branches in advance, so a
// store may be migrated by a binary with 1–3 and 7, then by one that also
// has 4–6: those must still be applied.
func TestMigrationGaps(t *testing.T) {
	ctx := t.Context()
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var base []migration
	for _, m := range all {
		if m.version <= 3 {
			base = append(base, m)
		}
	}
	mk := func(v int, table string) migration {
		return migration{version: v, name: table, sql: "CREATE TABLE " + table + " (x INTEGER);"}
	}
	early := append(append([]migration(nil), base...), mk(7, "t7"))
	later := append(append([]migration(nil), base...), mk(4, "t4"), mk(5, "t5"), mk(6, "t6"), mk(7, "t7"))
	path := t.TempDir() + "/gaps.db"
	st, err := Open(ctx, path, Options{migrations: early})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, path, Options{migrations: later})
	if err != nil {
		t.Fatalf("reopen with the missing versions: %v", err)
	}
	db := st.(*sqlStore).db
	for _, tbl := range []string{"t4", "t5", "t6", "t7"} {
		if _, err := db.ExecContext(ctx, "INSERT INTO "+tbl+" (x) VALUES (1)"); err != nil {
			t.Errorf("table of migration %s missing: %v", tbl, err)
		}
	}
	st.Close()
	// A binary that lacks a version the store has must refuse it.
	if _, err := Open(ctx, path, Options{migrations: early}); err == nil {
		t.Error("a store with migrations 4-6 opened by a binary without them")
	}
}
