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

func TestMigrationsAreNumberedFromOne(t *testing.T) {
	m, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) < 2 || m[0].version != 1 || LatestSchema() != m[len(m)-1].version {
		t.Fatalf("%d migrations from v%d, LatestSchema %d", len(m), m[0].version, LatestSchema())
	}
}
