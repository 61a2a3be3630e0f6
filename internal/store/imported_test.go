package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

func utcDay(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// measuredDay is the site's measured value of typ on the day of at.
func measuredDay(t *testing.T, s store.Store, typ license.Type, at time.Time) license.HistoryDay {
	t.Helper()
	pts, err := s.CounterSeries(context.Background(), "prod", typ, at, at)
	if err != nil || len(pts) != 1 || pts[0].Imported || pts[0].Reconstructed {
		t.Fatalf("measured %s on %s: %+v, %v", typ, at, pts, err)
	}
	return license.HistoryDayOf(pts[0])
}

type seriesPoint struct {
	Day                     string
	Allocated, Licensed     int64
	Imported, Reconstructed bool
}

func series(t *testing.T, s store.Store, site string, typ license.Type, from, to time.Time) []seriesPoint {
	t.Helper()
	pts, err := s.CounterSeries(context.Background(), site, typ, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var out []seriesPoint
	for _, p := range pts {
		a, l := p.Seats()
		out = append(out, seriesPoint{p.Day.Format(time.DateOnly), a, l, p.Imported, p.Reconstructed})
	}
	return out
}

// TestImportPrecedence: in the series a measured collection beats an
// imported value, which beats a reconstructed one; a row that contradicts
// a collection is reported and not stored, one that agrees is fine.
func TestImportPrecedence(t *testing.T) { forEachBackend(t, testImportPrecedence) }

func testImportPrecedence(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := be.open(t, store.Options{})
	mustSave(t, s, small(1, t0)) // 2026-11-02 06:00, the first collection
	pro, ana := license.Professional, license.Analyzer
	if err := s.SaveReconstructed(ctx, "prod", []license.DailyCounters{
		{Day: utcDay(10, 30), Type: pro, Allocated: 5, Total: 12},
		{Day: utcDay(10, 31), Type: pro, Allocated: 6, Total: 12},
		{Day: utcDay(11, 1), Type: pro, Allocated: 7, Total: 12},
	}); err != nil {
		t.Fatal(err)
	}
	mp, ma := measuredDay(t, s, pro, t0), measuredDay(t, s, ana, t0)
	agree := mp
	agree.UsedKnown = false // an empty optional column contradicts nothing
	disagree := ma
	disagree.Allocated++
	disagree.Denied, disagree.DeniedKnown = 9, true
	rows := []license.HistoryDay{
		{Day: utcDay(10, 20), Type: pro, Licensed: 10, Allocated: 4, Used: 3, UsedKnown: true},
		{Day: utcDay(10, 31), Type: pro, Licensed: 10, Allocated: 8},
		{Day: utcDay(10, 31), Type: ana, Licensed: 20, Allocated: 11, Denied: 3, DeniedKnown: true},
		agree,
		disagree,
	}
	res, err := s.ImportHistory(ctx, "prod", rows, store.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &store.ImportResult{New: 3, Measured: 1, DenialsWritten: 1, First: utcDay(10, 20), Last: utcDay(11, 2),
		Conflicts: []store.ImportConflict{{Measured: ma, Imported: disagree, Columns: []string{"allocated"}}}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	got := series(t, s, "prod", pro, utcDay(10, 1), utcDay(11, 2))
	a, l := mp.Allocated, mp.Licensed
	if diff := cmp.Diff([]seriesPoint{
		{"2026-10-20", 4, 10, true, false},
		{"2026-10-30", 5, 12, false, true},
		{"2026-10-31", 8, 10, true, false}, // imported beats reconstructed
		{"2026-11-01", 7, 12, false, true},
		{"2026-11-02", a, l, false, false},
	}, got); diff != "" {
		t.Errorf("professional series (-want +got):\n%s", diff)
	}
	// The conflicting row's denied count was not stored either.
	den, err := s.Denials(ctx, "prod", ana, utcDay(10, 1), utcDay(11, 2))
	if err != nil || len(den) != 1 || den[0].Denials != 3 || den[0].Source != license.DenialsFromImport || den[0].UsersKnown {
		t.Errorf("denials %+v, %v", den, err)
	}

	// A later collection of an imported day wins over the import.
	if _, err := s.ImportHistory(ctx, "prod", []license.HistoryDay{{Day: utcDay(11, 5), Type: pro, Licensed: 99, Allocated: 98}},
		store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	at := utcDay(11, 5).Add(7 * time.Hour)
	mustSave(t, s, small(1, at))
	if got := series(t, s, "prod", pro, utcDay(11, 5), utcDay(11, 5)); len(got) != 1 || got[0].Imported || got[0].Licensed == 99 {
		t.Errorf("11-05 after its collection: %+v", got)
	}
}

// TestImportIdempotent: the same rows twice change nothing; corrected rows
// replace the earlier import of their days and leave the others.
func TestImportIdempotent(t *testing.T) { forEachBackend(t, testImportIdempotent) }

func testImportIdempotent(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := be.open(t, store.Options{})
	var rows []license.HistoryDay
	for d := 1; d <= 10; d++ {
		rows = append(rows, license.HistoryDay{Day: utcDay(3, d), Type: license.Professional, Licensed: 50, Allocated: int64(30 + d),
			Quarantined: 1, QuarantinedKnown: true, Denied: int64(d % 2), DeniedKnown: true})
	}
	res, err := s.ImportHistory(ctx, "lab", rows, store.ImportOptions{})
	if err != nil || !res.SiteCreated || res.New != 10 || res.DenialsWritten != 10 {
		t.Fatalf("first import %+v, %v", res, err)
	}
	res, err = s.ImportHistory(ctx, "lab", rows, store.ImportOptions{})
	if err != nil || res.SiteCreated || res.New != 0 || res.Changed != 0 || res.Unchanged != 10 || res.DenialsWritten != 0 {
		t.Fatalf("same rows again: %+v, %v", res, err)
	}

	fixed := []license.HistoryDay{rows[2], rows[3], rows[4]}
	fixed[0].Allocated = 7                                     // a corrected count
	fixed[1].QuarantinedKnown, fixed[1].Quarantined = false, 0 // now unknown
	fixed[2].Denied = 40                                       // only the denied count
	res, err = s.ImportHistory(ctx, "lab", fixed, store.ImportOptions{})
	if err != nil || res.Changed != 3 || res.Unchanged != 0 || res.DenialsWritten != 1 {
		t.Fatalf("corrected rows: %+v, %v", res, err)
	}
	got, err := s.ImportedHistory(ctx, "lab", utcDay(1, 1), utcDay(12, 31))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]license.HistoryDay, 0, len(rows))
	for i, r := range rows {
		r.Denied, r.DeniedKnown = 0, false // denials are read with Denials
		if i >= 2 && i <= 4 {
			r = fixed[i-2]
			r.Denied, r.DeniedKnown = 0, false
		}
		want = append(want, r)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("imported history (-want +got):\n%s", diff)
	}
	den, err := s.Denials(ctx, "lab", license.Professional, utcDay(3, 5), utcDay(3, 5))
	if err != nil || len(den) != 1 || den[0].Denials != 40 {
		t.Errorf("denials of 03-05 %+v, %v", den, err)
	}
	first, last, err := s.ImportedRange(ctx, "lab")
	if err != nil || !first.Equal(utcDay(3, 1)) || !last.Equal(utcDay(3, 10)) {
		t.Errorf("range %s..%s, %v", first, last, err)
	}
}

// TestImportOnlySite: a site with imported history and no collection is a
// site like any other: listed, in the stats, with a series.
func TestImportOnlySite(t *testing.T) { forEachBackend(t, testImportOnlySite) }

func testImportOnlySite(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := be.open(t, store.Options{})
	rows := []license.HistoryDay{
		{Day: utcDay(1, 1), Type: license.UserAccess, Licensed: 40, Allocated: 30, Quarantined: 2, QuarantinedKnown: true},
		{Day: utcDay(2, 1), Type: license.UserAccess, Licensed: 40, Allocated: 33},
	}
	// A dry run writes nothing, not even the new site.
	res, err := s.ImportHistory(ctx, "hist", rows, store.ImportOptions{DryRun: true})
	if err != nil || res.New != 2 || !res.SiteCreated {
		t.Fatalf("dry run %+v, %v", res, err)
	}
	if sites, _ := s.Sites(ctx); len(sites) != 0 {
		t.Fatalf("a dry run created %v", sites)
	}
	if _, _, err := s.ImportedRange(ctx, "hist"); !errors.Is(err, store.ErrUnknownSite) {
		t.Fatalf("range after a dry run: %v", err)
	}

	if _, err := s.ImportHistory(ctx, "hist", rows, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if sites, err := s.Sites(ctx); err != nil || !cmp.Equal(sites, []string{"hist"}) {
		t.Errorf("sites %v, %v", sites, err)
	}
	if got := series(t, s, "hist", license.UserAccess, utcDay(1, 1), utcDay(12, 31)); !cmp.Equal(got, []seriesPoint{
		{"2026-01-01", 30, 40, true, false}, {"2026-02-01", 33, 40, true, false}}) {
		t.Errorf("series %+v", got)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sites) != 1 || st.Sites[0].Collections != 0 || !st.Sites[0].ImportedFrom.Equal(utcDay(1, 1)) ||
		!st.Sites[0].ImportedTo.Equal(utcDay(2, 1)) {
		t.Errorf("site stats %+v", st.Sites)
	}
	var rowsStat int64 = -1
	for _, tb := range st.Tables {
		if tb.Name == "imported_daily" {
			rowsStat = tb.Rows
		}
	}
	if rowsStat != 2 {
		t.Errorf("imported_daily rows in stats = %d", rowsStat)
	}
}

// TestImportRejectsBadRows: the store checks what it is given even though
// the CSV reader already did, and stores nothing of a bad batch.
func TestImportRejectsBadRows(t *testing.T) { forEachBackend(t, testImportRejectsBadRows) }

func testImportRejectsBadRows(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := be.open(t, store.Options{})
	ok := license.HistoryDay{Day: utcDay(1, 1), Type: license.Analyzer, Licensed: 1, Allocated: 1}
	for _, bad := range []license.HistoryDay{
		{Day: utcDay(1, 2), Type: "tokens", Licensed: 1},
		{Day: utcDay(1, 2), Type: license.Analyzer, Allocated: -1},
		ok,
	} {
		if _, err := s.ImportHistory(ctx, "prod", []license.HistoryDay{ok, bad}, store.ImportOptions{}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if sites, _ := s.Sites(ctx); len(sites) != 0 {
		t.Errorf("a rejected batch left %v", sites)
	}
}
