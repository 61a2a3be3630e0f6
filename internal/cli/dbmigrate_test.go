package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// TestDBMigrate copies a filled SQLite store to PostgreSQL and back with
// licmon db migrate: the output names both stores (the password masked),
// lists every table with its rows and checksum, and the round trip gives
// the original's checksums; a second copy to the same database is refused
// until --force.
func TestDBMigrate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "licmon.db")
	st, err := store.Open(ctx, src, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := storetest.Fill(ctx, st, time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	pg := pgtest.Schema(t)
	shown := store.RedactDSN(pg)
	code, out, errOut := run(t, "db", "migrate", "--from", src, "--to", pg)
	if code != 0 {
		t.Fatalf("migrate to PostgreSQL: exit %d\n%s\n%s", code, out, errOut)
	}
	if u, _ := url.Parse(pg); u.User != nil {
		if pw, ok := u.User.Password(); ok && strings.Contains(out+errOut, pw) {
			t.Fatalf("the output shows the password:\n%s", out)
		}
	}
	// The output: what went where, one line per table with the rows and
	// checksum of the source, and the verdict.
	sums, err := store.TableChecksums(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("copied %s (SQLite) to %s (PostgreSQL), schema v%d", src, shown, store.LatestSchema()), "", "TABLE ROWS CHECKSUM"}
	var rows int64
	for _, s := range sums {
		want = append(want, fmt.Sprintf("%s %d %s", s.Name, s.Rows, s.Checksum))
		rows += s.Rows
	}
	want = append(want, "", fmt.Sprintf("verified: %d rows in %d tables, the same count and checksum in both stores", rows, len(sums)))
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("db migrate output (-want +got):\n%s\n%s", d, out)
	}

	back := filepath.Join(dir, "back.db")
	code, out, errOut = run(t, "db", "migrate", "--from", pg, "--to", back)
	if code != 0 || !strings.Contains(out, "verified:") {
		t.Fatalf("migrate back to SQLite: exit %d\n%s\n%s", code, out, errOut)
	}
	a, err := store.TableChecksums(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.TableChecksums(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("tables %v, round trip %v", a, b)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("round trip changed %s: %+v -> %+v", a[i].Name, a[i], b[i])
		}
	}

	code, _, errOut = run(t, "db", "migrate", "--from", src, "--to", pg)
	if code == 0 || !strings.Contains(errOut, "already holds history") || !strings.Contains(errOut, "--force") {
		t.Errorf("copy onto a store with history: exit %d, %q", code, errOut)
	}
	code, out, errOut = run(t, "db", "migrate", "--from", src, "--to", pg, "--force")
	if code != 0 || !strings.Contains(out, "replaced the") {
		t.Errorf("--force: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "db", "migrate", "--from", src); code != 2 || !strings.Contains(errOut, "--to") {
		t.Errorf("without --to: exit %d, %q", code, errOut)
	}
}

// TestCollectToPostgres collects a simulated site into PostgreSQL with
// --db postgres://..., reads it back with db stats and report, and never
// prints the password.
func TestCollectToPostgres(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 50, HistoryDays: 60})
	pg := pgtest.Schema(t)
	args := []string{"collect", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", pg}
	code, out, errOut := run(t, args...)
	if code != 0 || !strings.Contains(out, "first collection of sim") || !strings.Contains(out, "store: "+store.RedactDSN(pg)) {
		t.Fatalf("first collect: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, args...)
	if code != 0 || !strings.Contains(out, "no change since the last collection") {
		t.Fatalf("second collect: %d\n%s", code, out)
	}
	code, out, _ = run(t, "db", "stats", "--db", pg)
	if code != 0 || !strings.Contains(out, "PostgreSQL") || !strings.Contains(out, "allocation_versions") || !strings.Contains(out, "sim") {
		t.Fatalf("db stats: %d\n%s", code, out)
	}
	code, out, errOut = run(t, "report", "--db", pg, "--site", "sim")
	if code != 0 || !strings.Contains(out, "Professional") {
		t.Fatalf("report: %d\n%s\n%s", code, out, errOut)
	}
	if u, err := url.Parse(pg); err == nil {
		if pw, ok := u.User.Password(); ok && strings.Contains(out, pw) {
			t.Error("the output shows the database password")
		}
	}
}
