package web

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/scriptlog"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// fakeBackend serves fixed data. Sites without a check or report return
// (nil, nil), as a real backend does before the first run.
type fakeBackend struct {
	mu      sync.Mutex
	sites   []SiteInfo
	checks  map[string]*check.Report
	history map[string][]CheckSummary
	reports map[string]*report.Report
	alerts  []AlertState
	// reportCalls counts Report calls, to show pages never ask for more.
	reportCalls int
}

func newFake() *fakeBackend {
	return &fakeBackend{checks: map[string]*check.Report{}, history: map[string][]CheckSummary{}, reports: map[string]*report.Report{}}
}

func (f *fakeBackend) known(site string) error {
	for _, s := range f.sites {
		if s.Name == site {
			return nil
		}
	}
	return fmt.Errorf("site %q: %w", site, ErrUnknownSite)
}

func (f *fakeBackend) Sites(context.Context) ([]SiteInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SiteInfo(nil), f.sites...), nil
}

func (f *fakeBackend) Check(_ context.Context, site string) (*check.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(site); err != nil {
		return nil, err
	}
	return f.checks[site], nil
}

func (f *fakeBackend) CheckHistory(_ context.Context, site string, limit int) ([]CheckSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(site); err != nil {
		return nil, err
	}
	h := f.history[site]
	return h[:min(limit, len(h))], nil
}

func (f *fakeBackend) Report(_ context.Context, site string) (*report.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reportCalls++
	if err := f.known(site); err != nil {
		return nil, err
	}
	return f.reports[site], nil
}

func (f *fakeBackend) Alerts(context.Context) ([]AlertState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.alerts, nil
}

// checkedAt is the fixed clock of the test fixtures.
var checkedAt = time.Date(2026, 11, 20, 7, 30, 0, 0, time.UTC)

// failingCheck runs a real check against a simulated site whose License
// Monitor fails on REST authentication (HTTP 401), with a fixed clock and
// server name so the result is deterministic.
func failingCheck(t testing.TB) *check.Report {
	t.Helper()
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30, Scenario: "lm-failing-rest-401",
		Now: func() time.Time { return checkedAt }})
	r := inspect.Run(context.Background(), site.Client(t), inspect.Options{Site: "prod", Server: "https://qlik.corp.example:4242",
		ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}, Now: site.Now})
	if r.ScriptLog == nil || r.ScriptLog.Diagnosis == nil || r.ScriptLog.Diagnosis.Code != "rest-auth" {
		t.Fatalf("simulated lm-failing-rest-401 check has no rest-auth diagnosis: %+v", r.ScriptLog)
	}
	r.Took, r.TookMS = 0, 0 // the only nondeterministic field
	return r
}

// hostileCheck is a failing check whose texts try to inject markup.
func hostileCheck() *check.Report {
	d := &scriptlog.Diagnosis{
		Outcome: scriptlog.OutcomeFailed, Code: "rest-auth", Title: "REST <b>auth</b> failed",
		Hint:       `Fix <script>alert("hint")</script>`,
		Statement:  scriptlog.Statement{ScriptLine: 12, FirstLine: 40, Text: `SQL SELECT "<script>alert(1)</script>" FROM JSON;`},
		Connection: scriptlog.Connection{Name: "monitor_apps_REST_<img src=x onerror=alert(2)>"},
		Error:      "HTTP protocol error 401 <script>alert('err')</script>",
		Context: []scriptlog.Line{
			{N: 39, Kind: scriptlog.KindMessage, Text: "LIB CONNECT TO 'x'"},
			{N: 40, ScriptLine: 12, Kind: scriptlog.KindStatement, Text: `SQL SELECT "<script>alert(1)</script>" FROM JSON;`},
			{N: 41, Kind: scriptlog.KindMessage, Text: "Error: <script>alert('log')</script>"},
		},
	}
	return &check.Report{Site: "evil<script>", Server: "https://x", CheckedAt: checkedAt, Status: check.Critical,
		Summary: "<script>alert('summary')</script>",
		Findings: []check.Finding{{Code: "script-rest-auth", Severity: check.Critical, Title: "<script>alert('finding')</script>",
			Evidence: []string{"<script>alert('evidence')</script>"}, Hint: "<script>alert('fix')</script>"}},
		ScriptLog: &check.ScriptLog{Bytes: 100, Diagnosis: d},
	}
}

// synthReport builds a deterministic report model of a site with users
// users and days of daily history (the first third reconstructed), the
// shape report.Build produces: per-type history, a forecast band to the
// horizon, a plan and candidate lists proportional to the users.
func synthReport(site string, users, days int, asOf time.Time) *report.Report {
	rng := rand.New(rand.NewPCG(uint64(users), uint64(days)))
	horizon := asOf.AddDate(1, 0, 0)
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Site: site, AsOf: asOf, DataAt: asOf.Add(-90 * time.Minute),
		HorizonEnd: horizon, HorizonDays: int(horizon.Sub(asOf).Hours() / 24),
		Settings: report.Settings{InactivityDays: 90, HeadroomPct: 10, AuthoringDays: 90, AnalyzerMinutes: 360,
			QuarantineDays: 7, KeepMarkers: []string{"keep"}, IntervalLevel: 0.8, WhatIfDays: []int{30, 60, 90}},
		License: &report.LicenseInfo{Model: "signed-key", Name: "Example Corp"},
		Notes:   []string{"History before the first collection is reconstructed from allocation dates (lower bounds)."},
	}
	type spec struct {
		typ      license.Type
		share    float64 // of users allocated today
		licensed float64
	}
	for i, s := range []spec{{license.Professional, 0.3, 0.34}, {license.Analyzer, 0.6, 0.7}} {
		t := report.TypeReport{Type: s.typ, Label: s.typ.Label(), PerUser: true}
		t.Licensed = int64(float64(users) * s.licensed)
		t.Allocated = int64(float64(users) * s.share)
		t.Remaining = t.Licensed - t.Allocated
		t.Quarantined = int64(users / 500)
		start := float64(t.Allocated) * 0.7
		perDay := (float64(t.Allocated) - start) / float64(days)
		first := asOf.AddDate(0, 0, -days+1).Truncate(24 * time.Hour)
		t.History = make([]report.HistoryPoint, days)
		for d := range days {
			v := start + perDay*float64(d) + rng.NormFloat64()*float64(users)*0.001
			if d == days-1 {
				v = float64(t.Allocated)
			}
			t.History[d] = report.HistoryPoint{Day: first.AddDate(0, 0, d), Allocated: int64(math.Round(v)),
				Licensed: t.Licensed, Reconstructed: d < days/3}
		}
		g := perDay * 30.44
		t.Growth30PerMonth, t.Growth90PerMonth = &g, &g
		left := float64(t.Remaining) / perDay
		out := asOf.AddDate(0, 0, int(left))
		early, late := asOf.AddDate(0, 0, int(left*0.8)), asOf.AddDate(0, 0, int(left*1.3))
		t.Forecast = report.Forecast{Status: "runs-out", Reason: fmt.Sprintf("allocations grow %.1f a month and reach the %d licensed on %s", perDay*30.44, t.Licensed, day(out)),
			Date: &out, Earliest: &early, Latest: &late, DaysLeft: ref(int(left)), Probability: ref(0.8), Method: "damped-trend", Points: days - days/3}
		for d := 1; d <= rep.HorizonDays; d++ {
			m := float64(t.Allocated) + perDay*float64(d)
			w := float64(d) * perDay * 0.3
			t.Forecast.Band = append(t.Forecast.Band, report.BandPoint{Day: asOf.AddDate(0, 0, d).Truncate(24 * time.Hour), Mean: m, Lo: m - w, Hi: m + w})
		}
		if i == 1 {
			t.Forecast.Status, t.Forecast.Reason, t.Forecast.Date, t.Forecast.Earliest, t.Forecast.Latest = "not-within-horizon", "no run-out within the horizon", nil, nil, nil
			t.Forecast.DaysLeft = nil
		}
		t.Usage = &report.Usage{Used7: t.Allocated / 3, Used30: t.Allocated / 2, Used90: t.Allocated * 3 / 4, NeverUsed: t.Allocated / 20,
			Unused30: t.Allocated / 2, Unused60: t.Allocated / 3, Unused90: t.Allocated / 4}
		rep.Types = append(rep.Types, t)
	}
	rep.Types = append(rep.Types, report.TypeReport{Type: license.AnalyzerCapacity, Label: license.AnalyzerCapacity.Label(),
		Licensed: 10000, Allocated: 6200, Remaining: 3800, Forecast: report.Forecast{Status: report.StatusNotApplicable, Reason: "capacity minutes renew every month"}})
	runs := time.Date(asOf.Year(), asOf.Month(), 28, 0, 0, 0, 0, time.UTC)
	rep.Capacity = &report.CapacityMonth{Month: asOf.Format("2006-01"), Licensed: 10000, Used: 6200, LastMonth: ref(int64(9100)), Users: users / 50,
		BurnPerDay: 310, Projected: 9300, RunsOut: &runs, Reason: "at 310 minutes a day the pool lasts until the 28th"}
	logs, est := license.DenialsFromLogs, license.DenialsEstimated
	rep.UnmetDemand = report.UnmetDemand{Available: true, Note: "refusals per type from one source each", Types: []report.UnmetType{
		{Type: license.Professional, Label: "Professional", Source: &logs, AtCapacity: true, WindowDays: 30, Denials: ref(int64(57)), Waiting: ref(12.0),
			Sources: []report.UnmetSource{{Source: logs, Denials: 57, Days: 20}, {Source: est, Denials: 9, Days: 40}},
			Note:    "57 refusals in the last 30 days (source: logs, refusals read from the Qlik Sense logs)"},
		{Type: license.Analyzer, Label: "Analyzer", Source: &est, Estimate: true, WindowDays: 30, Denials: ref(int64(3)), Waiting: ref(0.0),
			Sources: []report.UnmetSource{{Source: est, Denials: 3, Days: 5}}, Note: "3 refusals in the last 30 days (source: qrs-estimate); an estimate, not measured refusals"},
		{Type: license.AnalyzerCapacity, Label: license.AnalyzerCapacity.Label(), WindowDays: 30, Sources: []report.UnmetSource{},
			Note: "not measured: no access denials are recorded for this type"},
	}}
	rep.Plan = report.Plan{Summary: fmt.Sprintf("reclaim %d Professional first; no purchase needed", users/40)}
	rep.WhatIf = []report.WhatIf{{Days: 90, Types: []report.WhatIfType{{Type: license.Professional, Free: int64(users / 40)}}}}

	mk := func(kind string, n int, typ license.Type) []report.Candidate {
		out := make([]report.Candidate, n)
		for i := range n {
			created := asOf.AddDate(0, 0, -400-i%300)
			c := report.Candidate{Kind: kind, UserGUID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), Directory: "CORP",
				UserID: fmt.Sprintf("user%06d", i), Name: fmt.Sprintf("User %d", i), Type: typ,
				AllocationID: fmt.Sprintf("a%07d", i), Created: &created, IdleDays: 400 - i%300, Reason: "unused for 90+ days"}
			if i%5 != 0 {
				lu := asOf.AddDate(0, 0, -c.IdleDays)
				c.LastUsed = &lu
			}
			if kind == report.KindCapacity {
				c.Minutes, c.MinutesMonth, c.Reason = int64(2000-i), asOf.Format("2006-01"), "above the Analyzer break-even"
			}
			out[i] = c
		}
		return out
	}
	rep.Candidates = report.Candidates{
		Reclaim:   mk(report.KindReclaim, users/4, license.Professional),
		Downgrade: mk(report.KindDowngrade, users/10, license.Professional),
		Dual:      mk(report.KindDual, users/1000, license.Analyzer),
		Capacity:  mk(report.KindCapacity, users/50, ""),
	}
	return rep
}

// fixture is the standard fake: "prod" fails (real simulated check, model
// of 400 users), "test" is not checked or collected yet.
func fixture(t testing.TB) *fakeBackend {
	t.Helper()
	f := newFake()
	chk := failingCheck(t)
	f.sites = []SiteInfo{
		{Name: "prod", Server: chk.Server, LastCheck: chk.CheckedAt, Status: chk.Status, Summary: chk.Summary, LastCollect: checkedAt.Add(-5 * time.Hour)},
		{Name: "test", Server: "https://qlik-test.corp.example:4242"},
	}
	f.checks["prod"] = chk
	for i := range 30 {
		st, sum := check.Critical, chk.Summary
		if i >= 3 {
			st, sum = check.OK, "Reload License Monitor is working"
		}
		f.history["prod"] = append(f.history["prod"], CheckSummary{At: checkedAt.Add(-time.Duration(i) * 15 * time.Minute), Status: st, Summary: sum, DurationMS: int64(800 + i)})
	}
	f.reports["prod"] = synthReport("prod", 400, 60, checkedAt)
	f.alerts = []AlertState{
		{Key: "prod/lm-task-failed", Site: "prod", Rule: "lm-task-failed", Severity: "critical", Status: AlertFiring,
			Title: "License Monitor reload failed: " + chk.Summary, Since: checkedAt.Add(-30 * time.Minute), LastSent: checkedAt.Add(-30 * time.Minute)},
		{Key: "prod/available-low/professional", Site: "prod", Rule: "available-low", Severity: "warning", Status: AlertResolved,
			Title: "Professional available below 10%", Since: checkedAt.Add(-48 * time.Hour)},
	}
	return f
}

func ref[T any](v T) *T { return &v }
