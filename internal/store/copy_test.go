package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

// view is what the store answers about a filled store, compared across
// copies: the copy must answer the same.
func view(t *testing.T, db string) map[string]any {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[string]any{}
	add := func(k string, v any, err error) {
		if err != nil {
			t.Fatalf("%s of %s: %v", k, store.RedactDSN(db), err)
		}
		out[k] = v
	}
	sites, err := s.Sites(ctx)
	add("sites", sites, err)
	from, to := t0.AddDate(0, -2, 0), t0.AddDate(0, 0, 5)
	for _, site := range sites {
		cs, err := s.Collections(ctx, site, from, to)
		add(site+" collections", cs, err)
		at := t0.Add(48 * time.Hour)
		as, err := s.AllocationsAt(ctx, site, at)
		add(site+" allocations", as, err)
		us, err := s.UsersAt(ctx, site, at)
		add(site+" users", us, err)
		au, err := s.AuthoringAt(ctx, site, at)
		add(site+" authoring", au, err)
		li, err := s.LicenseAt(ctx, site, at)
		add(site+" license", li, err)
		dc, err := s.DailyCounters(ctx, site, license.Professional, from, to)
		add(site+" daily", dc, err)
		cu, err := s.CapacityUse(ctx, site, t0.Format("2006-01"))
		add(site+" capacity", cu, err)
	}
	ch, err := s.Checks(ctx, "prod", 10)
	add("checks", ch, err)
	de, err := s.Denials(ctx, "prod", license.Professional, from, to)
	add("denials", de, err)
	im, err := s.ImportedHistory(ctx, "prod", from, to)
	add("imported", im, err)
	la, err := s.LogActivity(ctx, "prod", from, to)
	add("log activity", la, err)
	ls, err := s.LogSummary(ctx, "prod")
	add("log summary", ls, err)
	pl, err := s.Plans(ctx, "prod", "reclaim", 10)
	add("plans", pl, err)
	ae, err := s.Audit(ctx, "prod", "", 10)
	add("audit", ae, err)
	return out
}

// TestCopyRoundTrip copies a filled SQLite store to PostgreSQL and back:
// every table keeps its rows (same count and checksum), the copies answer
// every question as the original does, a non-empty destination is refused
// without Force, and the copies keep working (new ids follow the copied
// ones).
func TestCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, a := backends[0].open(t, store.Options{})
	if err := storetest.Fill(ctx, src, t0); err != nil {
		t.Fatal(err)
	}
	src.Close()
	pg := backends[1].location(t)
	b := backends[0].location(t)

	res, err := store.Copy(ctx, a, pg, store.CopyOptions{})
	if err != nil {
		t.Fatalf("copy SQLite to PostgreSQL: %v", err)
	}
	if res.FromEngine != "SQLite" || res.ToEngine != "PostgreSQL" || res.Schema != store.LatestSchema() || res.Replaced != 0 {
		t.Errorf("result %+v", res)
	}
	for _, tc := range res.Tables {
		if tc.Rows == 0 && !strings.HasPrefix(tc.Name, "log_") {
			t.Errorf("table %s: no rows copied (Fill must write every table but log ones for this test to mean something)", tc.Name)
		}
	}
	if _, err := store.Copy(ctx, pg, b, store.CopyOptions{}); err != nil {
		t.Fatalf("copy PostgreSQL to SQLite: %v", err)
	}
	sumA, err := store.TableChecksums(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	for name, db := range map[string]string{"postgres": pg, "sqlite round trip": b} {
		sum, err := store.TableChecksums(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sumA, sum); diff != "" {
			t.Errorf("%s: tables differ from the original (-orig +copy):\n%s", name, diff)
		}
		if diff := cmp.Diff(view(t, a), view(t, db)); diff != "" {
			t.Errorf("%s answers differently (-orig +copy):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff(sumA, res.Tables); diff != "" {
		t.Errorf("Copy reported other checksums than TableChecksums:\n%s", diff)
	}

	// One changed value changes its table's checksum.
	pgtest.Exec(t, pg, "UPDATE check_results SET exit_code = 2")
	changed, err := store.TableChecksums(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range changed {
		if (changed[i].Name == "check_results") == (changed[i] == sumA[i]) {
			t.Errorf("after changing check_results: %+v, original %+v", changed[i], sumA[i])
		}
	}

	// A destination with history is refused, and says what to do.
	_, err = store.Copy(ctx, a, pg, store.CopyOptions{})
	if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "rows in sites") {
		t.Fatalf("copy to a non-empty store: %v, want ErrNotEmpty saying --force", err)
	}
	res, err = store.Copy(ctx, a, pg, store.CopyOptions{Force: true})
	if err != nil || res.Replaced == 0 {
		t.Fatalf("forced copy: %+v, %v", res, err)
	}

	// The copy goes on: a new check and a new collection get new ids.
	for _, db := range []string{pg, b} {
		s, err := store.Open(ctx, db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		id, err := s.SaveCheck(ctx, store.CheckResult{Site: "prod", At: t0.Add(72 * time.Hour), Status: "ok", JSON: []byte(`{}`)})
		if err != nil || id <= 1 {
			t.Errorf("%s: SaveCheck after the copy = %d, %v; want the id after the copied one", store.RedactDSN(db), id, err)
		}
		last, _ := s.AllocationsAt(ctx, "prod", t0.Add(72*time.Hour))
		next := storetest.Generate(1, storetest.Config{Site: "prod", At: t0.Add(72 * time.Hour), Users: 60, Professional: 20, Analyzer: 25,
			UserAccess: 5, Authoring: 15, CapacityUser: 6})
		if _, err := s.SaveSnapshot(ctx, next); err != nil || len(last) == 0 {
			t.Errorf("%s: a collection after the copy: %v", store.RedactDSN(db), err)
		}
		s.Close()
	}

	if _, err := store.Copy(ctx, a, a, store.CopyOptions{}); err == nil {
		t.Error("a copy onto itself was accepted")
	}
}
