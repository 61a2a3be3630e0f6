package report

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

var t0 = time.Date(2025, 1, 1, 6, 0, 0, 0, time.UTC)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// counterHistory saves one snapshot a day whose Professional counters follow
// alloc(day), against a licensed total, with the given per-user state on the
// last day only (earlier days have no allocations: the series comes from the
// counters).
func counterHistory(t *testing.T, st store.Store, days int, total int64, alloc func(d int) int64, last *license.Snapshot) time.Time {
	t.Helper()
	ctx := context.Background()
	var at time.Time
	for d := range days {
		at = t0.AddDate(0, 0, d)
		s := &license.Snapshot{Site: "s", At: at, License: license.SiteLicense{Model: license.ModelSignedKey, Name: "test"}}
		if d == days-1 && last != nil {
			s.Users, s.Allocations, s.Authoring, s.Capacity = last.Users, last.Allocations, last.Authoring, last.Capacity
		}
		a := alloc(d)
		s.Counters = []license.Counters{{Type: license.Professional, Enabled: true, Total: total, Allocated: a, Available: total - a}}
		if last != nil && d == days-1 && len(last.Counters) > 0 {
			s.Counters = last.Counters
		}
		if _, err := st.SaveSnapshot(ctx, s); err != nil {
			t.Fatalf("save day %d: %v", d, err)
		}
	}
	return at
}

func typeOf(t *testing.T, r *Report, typ license.Type) TypeReport {
	t.Helper()
	for _, x := range r.Types {
		if x.Type == typ {
			return x
		}
	}
	t.Fatalf("report has no %s type: %+v", typ, r.Types)
	return TypeReport{}
}

// TestRunOutTwentyMonths: growth of 10 a month from 300 of 500 runs out in
// about 20 months; the horizon must reach that far.
func TestRunOutTwentyMonths(t *testing.T) {
	st := openStore(t)
	perDay := 10 / (365.25 / 12)
	days := 180
	last := counterHistory(t, st, days, 500, func(d int) int64 {
		return int64(math.Round(300 - perDay*float64(days-1-d)))
	}, nil)
	r, err := Build(context.Background(), st, "s", Options{HorizonEnd: last.AddDate(3, 0, 0), NoBacktest: true})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	if p.Allocated != 300 || p.Licensed != 500 {
		t.Fatalf("allocated/licensed = %d/%d, want 300/500", p.Allocated, p.Licensed)
	}
	if p.Forecast.Status != string(forecast.StatusRunsOut) || p.Forecast.Date == nil {
		t.Fatalf("forecast %+v, want runs-out", p.Forecast)
	}
	months := p.Forecast.Date.Sub(last).Hours() / 24 / (365.25 / 12)
	if math.Abs(months-20) > 1 {
		t.Fatalf("runs out in %.1f months (%s), want 20 ± 1", months, p.Forecast.Date.Format(time.DateOnly))
	}
	if p.Growth90PerMonth == nil || math.Abs(*p.Growth90PerMonth-10) > 0.5 {
		t.Fatalf("growth %v/month, want 10", p.Growth90PerMonth)
	}
	if p.Forecast.Earliest == nil || p.Forecast.Earliest.After(*p.Forecast.Date) {
		t.Fatalf("interval %v–%v does not bound %v", p.Forecast.Earliest, p.Forecast.Latest, p.Forecast.Date)
	}
	if p.Forecast.Band == nil || p.Forecast.Demand == nil {
		t.Fatal("no forecast band or demand")
	}
	// Demand at the 3-year horizon: 300 + 36×10 = 660 → buy for it.
	if d := p.Forecast.Demand.Mean; math.Abs(d-660) > 10 {
		t.Fatalf("demand at horizon %.1f, want about 660", d)
	}
}

// TestFlatDoesNotRunOut: a flat series does not run out within the horizon
// and the plan needs no purchase.
func TestFlatDoesNotRunOut(t *testing.T) {
	st := openStore(t)
	counterHistory(t, st, 120, 500, func(int) int64 { return 300 }, nil)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	if p.Forecast.Status != string(forecast.StatusFlatOrDeclining) || p.Forecast.Date != nil {
		t.Fatalf("forecast %+v, want flat-or-declining without a date", p.Forecast)
	}
	if got := runoutText(p.Forecast); got != "does not run out within the horizon; flat or declining" {
		t.Fatalf("text %q", got)
	}
	if r.Plan.Lines[0].Buy != 0 || r.Plan.Lines[0].Required != 330 {
		t.Fatalf("plan %+v, want required 330 (300 + 10%%), buy 0", r.Plan.Lines[0])
	}
	if r.Plan.Summary != "no purchase needed: the licensed seats cover the forecast demand and headroom" {
		t.Fatalf("summary %q", r.Plan.Summary)
	}
}

// TestNotEnoughHistory says so plainly, plans on today's allocation and
// buys nothing on it: today's count plus headroom is not a purchase need.
func TestNotEnoughHistory(t *testing.T) {
	st := openStore(t)
	counterHistory(t, st, 10, 100, func(d int) int64 { return 95 + int64(d)/2 }, nil)
	r, err := Build(context.Background(), st, "s", Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	if p.Forecast.Status != string(forecast.StatusNotEnoughHistory) || p.Forecast.Reason != "only 10 days of history; need at least 28" {
		t.Fatalf("forecast %+v", p.Forecast)
	}
	l := r.Plan.Lines[0]
	// 99 allocated today, +10% → 108.9 → 109 required, 9 short of headroom.
	if l.Basis != BasisCurrent || l.Required != 109 || l.Shortfall != 9 || l.Buy != 0 {
		t.Fatalf("plan %+v", l)
	}
	if r.Plan.Summary != "no purchase supported by a forecast; no forecast yet for Professional (9): today's count plus 10% headroom exceeds the licensed total by that many, which is not a purchase need" {
		t.Fatalf("summary %q", r.Plan.Summary)
	}
}

func user(i int, dir string) license.User {
	return license.User{ID: fmt.Sprintf("u%03d", i), Directory: dir, UserID: fmt.Sprintf("user%03d", i), Name: fmt.Sprintf("User %d", i)}
}

// TestReclaimArithmetic builds a site by hand and checks every number of the
// plan, the what-ifs and the candidate lists.
func TestReclaimArithmetic(t *testing.T) {
	st := openStore(t)
	last := t0.AddDate(0, 0, 39)
	ago := func(d int) time.Time { return last.AddDate(0, 0, -d) }
	snap := &license.Snapshot{}
	add := func(u license.User, typ license.Type, created, used time.Time, mod func(*license.Allocation)) {
		snap.Users = append(snap.Users, u)
		a := license.Allocation{ID: "a-" + u.ID + "-" + string(typ), Type: typ, UserGUID: u.ID, Directory: u.Directory, UserID: u.UserID,
			Created: created, LastUsed: used}
		if mod != nil {
			mod(&a)
		}
		snap.Allocations = append(snap.Allocations, a)
	}
	old := ago(400)
	// Professional: 10 active, 3 idle 100 days, 2 never used (created 200
	// days ago), 1 idle 45 days, 1 idle 100 days but tagged keep, 1 INTERNAL
	// idle, 1 RootAdmin idle, 1 quarantined, 1 never used created 5 days ago.
	n := 0
	for range 10 {
		add(user(n, "CORP"), license.Professional, old, ago(1), nil)
		n++
	}
	for range 3 {
		add(user(n, "CORP"), license.Professional, old, ago(100), nil)
		n++
	}
	for range 2 {
		add(user(n, "CORP"), license.Professional, ago(200), time.Time{}, nil)
		n++
	}
	add(user(n, "CORP"), license.Professional, old, ago(45), nil)
	n++
	k := user(n, "CORP")
	k.Tags = []string{"Keep"}
	add(k, license.Professional, old, ago(100), nil)
	n++
	add(user(n, "INTERNAL"), license.Professional, old, ago(300), nil)
	n++
	ra := user(n, "CORP")
	ra.Roles = []string{"RootAdmin"}
	add(ra, license.Professional, old, ago(300), nil)
	n++
	add(user(n, "CORP"), license.Professional, old, ago(2), func(a *license.Allocation) { a.Quarantined, a.QuarantineEnd = true, ago(-5) })
	n++
	add(user(n, "CORP"), license.Professional, ago(5), time.Time{}, nil)
	n++
	// Analyzer: 4 active (one of them also Professional: user 0), 2 idle 70 days.
	for i := range 4 {
		u := user(n, "CORP")
		if i == 0 {
			u = user(0, "CORP")
		}
		add(u, license.Analyzer, old, ago(3), nil)
		n++
	}
	for range 2 {
		add(user(n, "CORP"), license.Analyzer, old, ago(70), nil)
		n++
	}
	// Authoring: users 0–4 authored recently; user 5 owns an app last changed
	// 200 days ago; the rest author nothing.
	for i := range 5 {
		snap.Authoring = append(snap.Authoring, license.Authoring{UserGUID: fmt.Sprintf("u%03d", i), AppsOwned: 1, LastAuthored: ago(10)})
	}
	snap.Authoring = append(snap.Authoring, license.Authoring{UserGUID: "u005", AppsOwned: 2, LastAuthored: ago(200)})
	// Capacity: one user over the break-even, one under.
	snap.Users = append(snap.Users, user(900, "CORP"), user(901, "CORP"))
	snap.Capacity = []license.CapacityUse{{UserGUID: "u900", Month: license.MonthOf(last), Minutes: 500}, {UserGUID: "u901", Month: license.MonthOf(last), Minutes: 100}}
	// Dedupe users (user 0 holds two allocations).
	seen := map[string]bool{}
	var us []license.User
	for _, u := range snap.Users {
		if !seen[u.ID] {
			seen[u.ID] = true
			us = append(us, u)
		}
	}
	snap.Users = us
	snap.Counters = []license.Counters{
		{Type: license.Professional, Enabled: true, Total: 22, Allocated: 21, Quarantined: 1, Available: 1},
		{Type: license.Analyzer, Enabled: true, Total: 10, Allocated: 6, Available: 4},
		{Type: license.AnalyzerCapacity, Enabled: true, Total: 1000, Used: 600, Available: 400},
	}
	counterHistory(t, st, 40, 22, func(int) int64 { return 21 }, snap)

	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, HeadroomPct: 10})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	u := p.Usage
	// Not quarantined: 20 Professional allocations.
	if u.Used7 != 10 || u.Used30 != 10 || u.Used90 != 11 || u.NeverUsed != 3 {
		t.Fatalf("used/never: %+v", u)
	}
	// Idle ≥ 90: 3 + 2 never (200 d) + keep + INTERNAL + RootAdmin = 8; ≥ 30 adds the 45-day one.
	if u.Unused90 != 8 || u.Unused60 != 8 || u.Unused30 != 9 {
		t.Fatalf("unused: %+v", u)
	}
	// Flat 21 allocated (counter history) → demand 21 → 21 × 1.1 = 23.1 → 24
	// required of 22 licensed: 2 short; 5 reclaimable at 90 days → reclaim 2.
	var pl PlanLine
	for _, l := range r.Plan.Lines {
		if l.Type == license.Professional {
			pl = l
		}
	}
	if pl.Required != 24 || pl.Shortfall != 2 || pl.Reclaimable != 5 || pl.Reclaim != 2 || pl.Buy != 0 {
		t.Fatalf("professional plan %+v", pl)
	}
	if r.Plan.Summary != "reclaim 2 Professional first; no purchase needed" {
		t.Fatalf("summary %q", r.Plan.Summary)
	}
	// What-if: 30 days frees 6 Professional (+ the 45-day one), excluded 3;
	// Analyzer frees 2 at 30 and 60 days, 0 at 90.
	wantFree := map[int][2]int64{30: {6, 2}, 60: {5, 2}, 90: {5, 0}}
	for _, w := range r.WhatIf {
		got := [2]int64{w.Types[0].Free, w.Types[1].Free}
		if got != wantFree[w.Days] || w.Types[0].Excluded != 3 {
			t.Fatalf("what-if %d days: %+v, want free %v and 3 excluded", w.Days, w.Types, wantFree[w.Days])
		}
	}
	if len(r.Candidates.Reclaim) != 5 || r.Candidates.Reclaim[0].LastUsed != nil {
		t.Fatalf("reclaim candidates %+v", r.Candidates.Reclaim)
	}
	// Downgrade: Professional, not reclaimable, not excluded, no authoring in
	// 90 days: users 5–9 (5 owns an app changed 200 days ago), the 45-day
	// one (15) and the new never-used one (20) → 7, least idle first.
	if got := guids(r.Candidates.Downgrade); fmt.Sprint(got) != "[u005 u006 u007 u008 u009 u020 u015]" {
		t.Fatalf("downgrade candidates %v", got)
	}
	if got := guids(r.Candidates.Dual); fmt.Sprint(got) != "[u000]" {
		t.Fatalf("dual %v", got)
	}
	if got := guids(r.Candidates.Capacity); fmt.Sprint(got) != "[u900]" {
		t.Fatalf("capacity candidates %v", got)
	}
	c := r.Capacity
	if c == nil || c.Licensed != 1000 || c.Used != 600 || c.Users != 2 {
		t.Fatalf("capacity %+v", c)
	}
	if r.UnmetDemand.Available {
		t.Fatal("unmet demand claims data the store does not have")
	}
}

func guids(cs []Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.UserGUID)
	}
	return out
}

// TestPlanLine checks the documented arithmetic directly, including a
// shortfall larger than what reclaiming frees.
func TestPlanLine(t *testing.T) {
	tr := TypeReport{Type: license.Professional, Label: "Professional", Licensed: 500, Allocated: 480,
		Forecast: Forecast{Demand: &Demand{Mean: 560, Hi: ref(600.0), Level: 0.8}}}
	l := planLine(tr, 40, 3, 10, 0)
	// 600 × 1.1 = 660 → shortfall 160, reclaim 40, buy 120.
	if l.Required != 660 || l.Shortfall != 160 || l.Reclaim != 40 || l.Buy != 120 || l.ReclaimableLater != 3 {
		t.Fatalf("%+v", l)
	}
	if s := summary([]PlanLine{l, {Type: license.Analyzer, Buy: 3, Basis: BasisForecast}}, 10); s != "reclaim 40 Professional, then buy 120 Professional and 3 Analyzer" {
		t.Fatalf("summary %q", s)
	}
}

// TestQuarantineEffect: with a threshold shorter than the quarantine, a
// release of an allocation used within 7 days frees its seat only later.
func TestQuarantineEffect(t *testing.T) {
	asOf := t0
	allocs := []license.Allocation{
		{ID: "a", Type: license.Analyzer, UserGUID: "u1", Created: asOf.AddDate(-1, 0, 0), LastUsed: asOf.AddDate(0, 0, -3)},
		{ID: "b", Type: license.Analyzer, UserGUID: "u2", Created: asOf.AddDate(-1, 0, 0), LastUsed: asOf.AddDate(0, 0, -10)},
	}
	pop := newPopulation(allocs, nil, nil, asOf)
	free, later, excl := reclaimable(pop, license.Analyzer, 2)
	if free != 2 || later != 1 || excl != 0 {
		t.Fatalf("free %d later %d excluded %d, want 2 1 0", free, later, excl)
	}
	cs, _, _ := reclaimCandidates(pop, 2, 0)
	if cs[1].FreesAfter == nil || !cs[1].FreesAfter.Equal(asOf.AddDate(0, 0, 7)) || cs[0].FreesAfter != nil {
		t.Fatalf("frees after: %+v", cs)
	}
}

func TestParseHorizon(t *testing.T) {
	asOf := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{"12mo": "2027-01-31", "1y": "2027-01-31", "26w": "2026-08-01", "90d": "2026-05-01", "2026-12-31": "2026-12-31"} {
		got, err := ParseHorizon(in, asOf)
		if err != nil || got.Format(time.DateOnly) != want {
			t.Errorf("ParseHorizon(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12", "x mo", "0mo", "2025-01-01", "20y"} {
		if _, err := ParseHorizon(bad, asOf); err == nil {
			t.Errorf("ParseHorizon(%q) accepted", bad)
		}
	}
}

func TestUnknownSite(t *testing.T) {
	st := openStore(t)
	if _, err := Build(context.Background(), st, "nope", Options{}); err == nil {
		t.Fatal("no error for a site without history")
	}
	if _, err := Build(context.Background(), st, "nope", Options{InactivityDays: -1}); err == nil {
		t.Fatal("no error for a negative threshold")
	}
}

func ref[T any](v T) *T { return &v }
