package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// plateau saves 120 days of Professional history growing 2 a day from 400
// until it reaches the licensed 500 on day 50, then held there: the shape a
// full type has while demand goes on.
func plateau(t *testing.T, st store.Store) time.Time {
	t.Helper()
	return counterHistory(t, st, 120, 500, func(d int) int64 { return min(500, 400+2*int64(d)) }, nil)
}

func denials(t *testing.T, st store.Store, source string, from, days int, perDay, users int64) {
	t.Helper()
	var ds []license.DenialDay
	for d := from; d < from+days; d++ {
		ds = append(ds, license.DenialDay{Day: t0.AddDate(0, 0, d), Type: license.Professional, Denials: perDay, Users: users, UsersKnown: users > 0})
	}
	if err := st.SaveDenials(context.Background(), "s", source, ds); err != nil {
		t.Fatal(err)
	}
}

// TestPlateauAtTotalIsNotFlatDemand (issue example 1): allocated stops at
// the licensed total while demand goes on; a forecast fitted to that plateau
// said "flat" exactly when the site turned users away. Without denials the
// report fits the history before the plateau and says so; it never reads
// the plateau as flat demand.
func TestPlateauAtTotalIsNotFlatDemand(t *testing.T) {
	st := openStore(t)
	plateau(t, st)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	f := p.Forecast
	if f.Status == string(forecast.StatusFlatOrDeclining) || f.Series != SeriesBeforeCapacity {
		t.Fatalf("forecast %s on %q: %s; want it fitted before the plateau, not flat", f.Status, f.Series, f.Reason)
	}
	if f.Demand == nil || f.Demand.Mean < 700 {
		t.Fatalf("demand at the horizon %+v, want the pre-plateau growth of 60 a month carried on (> 700)", f.Demand)
	}
	if l := r.Plan.Lines[0]; l.Buy == 0 || !strings.Contains(l.RestsOn, "before the type reached its total") {
		t.Fatalf("plan %+v; want a purchase resting on the history before the plateau", l)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "the plateau measures the license, not demand") {
		t.Fatalf("notes do not say why the plateau is left out: %q", r.Notes)
	}
}

// TestAtCapacityWithEstimatedAndLoggedDenials: a site at capacity with both
// the QRS estimate and logged refusals plans on demand from the logs (the
// sources are never summed), and every output says so.
func TestAtCapacityWithEstimatedAndLoggedDenials(t *testing.T) {
	st := openStore(t)
	plateau(t, st)
	denials(t, st, license.DenialsEstimated, 50, 70, 2, 2)
	denials(t, st, license.DenialsFromLogs, 100, 20, 10, 30)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	if p.Forecast.Series != SeriesDemand || p.Forecast.Status == string(forecast.StatusFlatOrDeclining) {
		t.Fatalf("forecast %s on %q, want it fitted to demand", p.Forecast.Status, p.Forecast.Series)
	}
	u := p.Unmet
	if u == nil || u.Source == nil || *u.Source != license.DenialsFromLogs || u.Estimate || *u.Denials != 200 || *u.Waiting != 30 {
		t.Fatalf("unmet %+v, want logs: 200 refusals in 30 days, 30 people waiting (busiest day's users)", u)
	}
	if len(u.Sources) != 2 || u.Sources[1].Source != license.DenialsEstimated || u.Sources[1].Denials != 60 {
		t.Fatalf("sources %+v, want logs then the estimate's 60", u.Sources)
	}
	l := r.Plan.Lines[0]
	if l.Unmet != 30 || l.Demand < 530 || !strings.Contains(l.RestsOn, "allocated + 30 unmet, logs") {
		t.Fatalf("plan %+v, want demand of at least 500 allocated + 30 waiting, resting on the logs", l)
	}
	if last := p.History[len(p.History)-1]; last.Demand == nil || *last.Demand != 530 {
		t.Fatalf("last history point %+v, want demand 530", last)
	}

	var txt, js, csv, html bytes.Buffer
	if err := WriteText(&txt, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fitted to demand (allocated + unmet demand still waiting)", "200 refusals, source logs; 30 still waiting today",
		"also recorded, not used: qrs-estimate 60", " incl. 30 unmet", "before the source starts on 2025-04-11, are left out"} {
		if !strings.Contains(unwrapped(txt.String()), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
	_ = WriteJSON(&js, r)
	var doc struct {
		UnmetDemand struct {
			Available bool
			Types     []struct {
				Type, Source string
				Estimate     bool
				Denials      *int64
				Waiting      *float64
			}
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.UnmetDemand.Available || len(doc.UnmetDemand.Types) != 1 || doc.UnmetDemand.Types[0].Source != "logs" || *doc.UnmetDemand.Types[0].Denials != 200 {
		t.Fatalf("JSON unmetDemand %+v", doc.UnmetDemand)
	}
	_ = WriteCSV(&csv, r)
	if !strings.Contains(csv.String(), ",demand,forecast,logs,200,30,") {
		t.Errorf("CSV lacks the series, basis and unmet demand columns:\n%s", csv.String())
	}
	_ = WriteHTML(&html, r)
	if !strings.Contains(html.String(), `id="unmet"`) || !strings.Contains(html.String(), "demand (allocated + unmet)") {
		t.Errorf("HTML lacks the unmet-demand table or the demand line of the chart")
	}
}

// TestEstimateIsLabelled: with only the QRS estimate, the figure says it is
// an estimate wherever it is shown.
func TestEstimateIsLabelled(t *testing.T) {
	st := openStore(t)
	plateau(t, st)
	denials(t, st, license.DenialsEstimated, 50, 70, 2, 2)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	u := typeOf(t, r, license.Professional).Unmet
	// 30 days × 2 users, all still waiting by the estimate's model.
	if u.Source == nil || *u.Source != license.DenialsEstimated || !u.Estimate || *u.Waiting != 60 {
		t.Fatalf("unmet %+v", u)
	}
	var txt bytes.Buffer
	_ = WriteText(&txt, r)
	if !strings.Contains(unwrapped(txt.String()), "source qrs-estimate (an estimate: users who appeared without a seat while the type was full)") ||
		!strings.Contains(r.Plan.Lines[0].RestsOn, "qrs-estimate, an estimate") {
		t.Fatalf("estimate not labelled:\n%s\n%s", txt.String(), r.Plan.Lines[0].RestsOn)
	}
}

// TestNegativeLowerBoundAndDegenerateInterval (issue example 2): the demo's
// one-year Professional demand {"mean": 1272.6, "lo": -298, "hi": 1272.6}
// had a negative seat count and an upper bound equal to the mean, which the
// plan used as "demand with uncertainty".
func TestNegativeLowerBoundAndDegenerateInterval(t *testing.T) {
	d := demandOf(t0, 1272.6, -298, 1272.6, 0.8)
	if d.Lo == nil || *d.Lo != 0 || d.Hi != nil || d.Mean != 1272.6 || d.Level != 0.8 {
		t.Fatalf("demand %+v (lo %v hi %v), want lo clipped to 0 and no upper bound", d, d.Lo, d.Hi)
	}
	tr := TypeReport{Type: license.Professional, Label: "Professional", Licensed: 1200, Allocated: 1100, Forecast: Forecast{Demand: d}}
	l := planLine(tr, 0, 0, 10, 0)
	if l.Basis != BasisForecastMean || l.Demand != 1272.6 || l.Required != 1400 || l.Buy != 200 {
		t.Fatalf("plan %+v, want the mean planned with headroom only", l)
	}
	if !strings.Contains(l.RestsOn, "no upper bound above it") {
		t.Fatalf("rests on %q, want it to say the interval is missing", l.RestsOn)
	}
	var js bytes.Buffer
	_ = WriteJSON(&js, &Report{Types: []TypeReport{tr}})
	if !strings.Contains(js.String(), `"lo": 0,`) || !strings.Contains(js.String(), `"hi": null`) {
		t.Fatalf("JSON demand:\n%s", js.String())
	}
	// A real interval is planned at its upper end.
	tr.Forecast.Demand = demandOf(t0, 1272.6, 1100, 1400, 0.8)
	if l := planLine(tr, 0, 0, 10, 0); l.Basis != BasisForecast || l.Demand != 1400 {
		t.Fatalf("plan %+v, want the upper bound", l)
	}
}

// oneCollection saves the first collection of a site: Professional 100
// licensed, 96 allocated (created over the last 200 days, all used
// yesterday, 80 of them by users who author nothing), Analyzer 200
// licensed, 150 allocated, and the reconstructed backfill.
func oneCollection(t *testing.T, st store.Store) {
	t.Helper()
	at := t0.AddDate(1, 0, 0)
	s := &license.Snapshot{Site: "s", At: at, License: license.SiteLicense{Model: license.ModelSignedKey}}
	add := func(i int, typ license.Type) {
		u := user(i, "CORP")
		s.Users = append(s.Users, u)
		s.Allocations = append(s.Allocations, license.Allocation{ID: fmt.Sprintf("a%03d", i), Type: typ, UserGUID: u.ID,
			Directory: "CORP", UserID: u.UserID, Created: at.AddDate(0, 0, -200+2*(i%100)), LastUsed: at.AddDate(0, 0, -1)})
	}
	for i := range 96 {
		add(i, license.Professional)
		if i >= 80 {
			s.Authoring = append(s.Authoring, license.Authoring{UserGUID: user(i, "CORP").ID, AppsOwned: 1, LastAuthored: at.AddDate(0, 0, -3)})
		}
	}
	for i := 100; i < 250; i++ {
		add(i, license.Analyzer)
	}
	s.Counters = []license.Counters{
		{Type: license.Professional, Enabled: true, Total: 100, Allocated: 96, Available: 4},
		{Type: license.Analyzer, Enabled: true, Total: 200, Allocated: 150, Available: 50},
		{Type: license.AnalyzerCapacity, Enabled: true, Total: 600, Used: 30, Available: 570},
	}
	ctx := context.Background()
	if _, err := st.SaveSnapshot(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveReconstructed(ctx, "s", license.Reconstruct(s, time.Time{})); err != nil {
		t.Fatal(err)
	}
}

// TestOneCollectionIsNotAPurchase (issue example 3): after one collection
// the plan said "buy 113 Professional" from the headroom alone while most
// Professional users were downgrade candidates, and with
// --include-reconstructed it nearly doubled the license from lower-bound
// history without a warning.
func TestOneCollectionIsNotAPurchase(t *testing.T) {
	st := openStore(t)
	oneCollection(t, st)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := r.Plan.Lines[0]
	// 96 × 1.1 = 105.6 → 106 required of 100: 6 short of headroom, no purchase.
	if l.Type != license.Professional || l.Basis != BasisCurrent || l.Shortfall != 6 || l.Buy != 0 {
		t.Fatalf("plan %+v, want today's count plus headroom, not a purchase", l)
	}
	if want := "no purchase supported by a forecast; no forecast yet for Professional (6): today's count plus 10% headroom exceeds the licensed total by that many, which is not a purchase need"; r.Plan.Summary != want {
		t.Fatalf("summary %q\nwant %q", r.Plan.Summary, want)
	}
	v := r.Plan.WithDowngrades
	if v == nil || v.Moves != 80 || v.Lines[0].Demand != 16 || v.Lines[0].Spare != 82 || v.Lines[1].Demand != 230 {
		t.Fatalf("with downgrades %+v, want 80 moved: Professional demand 16 (82 spare), Analyzer 230", v)
	}
	var txt bytes.Buffer
	_ = WriteText(&txt, r)
	if !strings.Contains(txt.String(), "none (no forecast)") || !strings.Contains(txt.String(), "WITH DOWNGRADES: with 80 Professional users moved to Analyzer") {
		t.Fatalf("text:\n%s", txt.String())
	}

	r, err = Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1, IncludeReconstructed: true})
	if err != nil {
		t.Fatal(err)
	}
	l = r.Plan.Lines[0]
	if l.Buy != 0 || l.BuyWithReconstructed == nil || *l.BuyWithReconstructed < 20 {
		t.Fatalf("plan %+v (with reconstructed %v), want no purchase and the reconstructed answer shown beside it", l, l.BuyWithReconstructed)
	}
	notes := strings.Join(r.Notes, "\n")
	if want := fmt.Sprintf("would change the purchase from 0 to %d (+%d)", *l.BuyWithReconstructed, *l.BuyWithReconstructed); !strings.Contains(notes, want) ||
		!strings.Contains(notes, "understate the past and overstate growth") {
		t.Fatalf("notes %q lack %q and why", notes, want)
	}
}

// TestUnknownIsNotZero (issue example 4): growth showed as 0.0/0.0 and
// capacity as "last month 0" when these were unknown.
func TestUnknownIsNotZero(t *testing.T) {
	st := openStore(t)
	oneCollection(t, st)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range r.Types {
		if tr.Growth30PerMonth != nil || tr.Growth90PerMonth != nil {
			t.Errorf("%s growth %v/%v after one collection, want unknown", tr.Type, tr.Growth30PerMonth, tr.Growth90PerMonth)
		}
	}
	if r.Capacity == nil || r.Capacity.LastMonth != nil {
		t.Fatalf("capacity %+v, want last month unknown", r.Capacity)
	}
	var txt, js, csv, html bytes.Buffer
	var wide bytes.Buffer
	_ = WriteText(&txt, r)
	_ = WriteTextWith(&wide, r, TextOptions{Wide: true})
	_ = WriteJSON(&js, r)
	_ = WriteCSV(&csv, r)
	_ = WriteHTML(&html, r)
	if !strings.Contains(txt.String(), "growth a month: – over 30 days, – over 90 days") || !strings.Contains(txt.String(), "(last month –)") ||
		!strings.Contains(wide.String(), " –/–\n") || strings.Contains(txt.String()+wide.String(), "0.0") {
		t.Errorf("text shows unknown as 0:\n%s\n%s", txt.String(), wide.String())
	}
	if !strings.Contains(js.String(), `"growth30PerMonth": null`) || !strings.Contains(js.String(), `"lastMonthMinutes": null`) {
		t.Errorf("JSON shows unknown as a number")
	}
	if !strings.Contains(html.String(), "(last month –)") || !strings.Contains(html.String(), ">– / –</td>") {
		t.Errorf("HTML shows unknown as 0")
	}
	if strings.Contains(strings.Split(csv.String(), "\n")[1], ",0,0,not-enough-history") {
		t.Errorf("CSV shows unknown growth as 0:\n%s", csv.String())
	}
}

// unwrapped joins the wrapped lines of the text report back into one line
// of single spaces, so a test can look for a phrase wherever it wraps.
func unwrapped(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestGrowthAtTotalSaysWhatGrew: the demo showed Professional growing
// "+23.7/+23.7" a month next to an allocation held flat at its total for
// two months. At the total the growth is that of the series the forecast
// is fitted to, so every table says which: demand, or the history before
// the type became full.
func TestGrowthAtTotalSaysWhatGrew(t *testing.T) {
	// the HTML template escapes "+"
	inHTML := func(html string, p TypeReport) bool {
		return strings.Contains(html, strings.ReplaceAll(growthText(p, " / "), "+", "&#43;"))
	}
	row := func(r *Report) (txt, html string) {
		t.Helper()
		var tb, hb bytes.Buffer
		var block bytes.Buffer
		if err := WriteText(&block, r); err != nil {
			t.Fatal(err)
		}
		if w := growthOf(typeOf(t, r, license.Professional)); !strings.Contains(unwrapped(block.String()), "over 90 days ("+w+")") {
			t.Errorf("the 80-column report does not say the growth is %q:\n%s", w, block.String())
		}
		if err := WriteTextWith(&tb, r, TextOptions{Wide: true}); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&hb, r); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(tb.String(), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "Professional ") {
				return l, hb.String()
			}
		}
		t.Fatalf("no Professional row in\n%s", tb.String())
		return "", ""
	}
	st := openStore(t)
	plateau(t, st)
	r, err := Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := typeOf(t, r, license.Professional)
	txt, html := row(r)
	want := growthText(p, "/")
	if p.Growth30PerMonth == nil || !strings.HasSuffix(want, " before full") || !strings.HasSuffix(txt, want) || !inHTML(html, p) {
		t.Fatalf("growth at the total without denials shown as %q (in the HTML: %v); want it marked as the history before the type became full",
			txt, inHTML(html, p))
	}

	denials(t, st, license.DenialsFromLogs, 30, 90, 10, 30)
	r, err = Build(context.Background(), st, "s", Options{NoBacktest: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p = typeOf(t, r, license.Professional)
	txt, html = row(r)
	if want := growthText(p, "/"); p.Forecast.Series != SeriesDemand || !strings.HasSuffix(want, " demand") || !strings.HasSuffix(txt, want) || !inHTML(html, p) {
		t.Fatalf("growth at the total with logged refusals shown as %q (series %q); want it marked as demand", txt, p.Forecast.Series)
	}
}
