// Package pgtest gives tests a PostgreSQL schema of their own on the server
// named by LICMON_TEST_POSTGRES (a DSN to a database the tests may create
// schemas in). Without it a test skips on a developer's machine and fails in
// CI (CI=true, or LICMON_REQUIRE_POSTGRES=1), because a test that can skip in
// CI is a test CI does not run; .ci/run starts a server and sets it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the DSN of the test server.
const Env = "LICMON_TEST_POSTGRES"

// Required reports whether a missing server must fail the test rather than
// skip it.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("LICMON_REQUIRE_POSTGRES") == "1"
}

// Require returns the DSN of the test server, or stops the test when none
// is set: a skip on a developer's machine, a failure in CI.
func Require(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		if Required() {
			t.Fatalf("%s is not set: CI must run a PostgreSQL server for the PostgreSQL store tests (.ci/run starts one)", Env)
		}
		t.Skipf("%s not set (a postgres:// DSN to a database the tests may create schemas in): PostgreSQL leg skipped", Env)
	}
	return dsn
}

// Schema creates a new, empty schema on the test server and returns a DSN
// whose search_path is that schema, so a store opened on it sees only its
// own tables. The schema is dropped, with everything in it, when the test
// ends.
func Schema(t testing.TB) string {
	t.Helper()
	base := Require(t)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "licmon_test_" + hex.EncodeToString(b)
	exec(t, base, "CREATE SCHEMA "+name)
	t.Cleanup(func() { exec(t, base, "DROP SCHEMA "+name+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Exec runs statements on the server of dsn (to damage or inspect a store).
func Exec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		exec(t, dsn, s)
	}
}

func exec(t testing.TB, dsn, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
