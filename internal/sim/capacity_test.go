package sim_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// checkCapacity asserts the license rules on one ground truth: no type
// beyond its total (allocations in quarantine hold a seat), no excess
// without a reduction, no capacity use past the pool without overage.
func checkCapacity(t *testing.T, when string, g sim.GroundTruth, reduced, overage bool, prev *[2]int) {
	t.Helper()
	for i, c := range []sim.Counts{g.Professional, g.Analyzer} {
		held := c.Allocated + c.Quarantined
		switch {
		case !reduced && held > c.Total:
			t.Fatalf("%s: type %d holds %d allocations (%d allocated, %d quarantined), license total %d", when, i, held, c.Allocated, c.Quarantined, c.Total)
		case reduced && held > c.Total && held > prev[i]:
			t.Fatalf("%s: type %d grew from %d to %d allocations while over its total %d", when, i, prev[i], held, c.Total)
		case !reduced && c.Excess != 0:
			t.Fatalf("%s: %d excess allocations without a license reduction", when, c.Excess)
		case c.Excess != max(c.Allocated-c.Total, 0):
			t.Fatalf("%s: excess %d, allocated %d, total %d", when, c.Excess, c.Allocated, c.Total)
		}
		prev[i] = held
	}
	if u := g.UserAccess; u.Total > 0 && u.Allocated+u.Quarantined > u.Total {
		t.Fatalf("%s: %d user access passes of %d tokens", when, u.Allocated+u.Quarantined, u.Total)
	}
	if !overage && g.AnalyzerMinutesUsed > g.AnalyzerMinutesAssigned {
		t.Fatalf("%s: %d capacity minutes used of %d without overage", when, g.AnalyzerMinutesUsed, g.AnalyzerMinutesAssigned)
	}
}

// TestNeverBeyondTheLicense advances sites of many seeds and growth settings
// day by day, releasing allocations on the way as an admin would, and checks
// the rules after every simulated day.
func TestNeverBeyondTheLicense(t *testing.T) {
	configs := []struct {
		scenario string
		users    int
		history  int
		model    string
	}{
		{"healthy", 80, 30, "lef"},
		{"at-capacity", 150, 60, "lef"},
		{"at-capacity", 60, 120, "signed-key"},
		{"license-reduced", 120, 45, "lef"},
		{"capacity-exhausted", 200, 30, ""},
		{"tokens", 100, 30, ""},
	}
	for _, c := range configs {
		for seed := int64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("%s-%d-%d-%s-%d", c.scenario, c.users, c.history, c.model, seed), func(t *testing.T) {
				s := newSite(t, sim.Options{Seed: seed, Users: c.users, HistoryDays: c.history, Scenario: c.scenario, QuarantineModel: c.model})
				h := s.Handler()
				reduced := c.scenario == "license-reduced"
				prev := [2]int{1 << 30, 1 << 30}
				checkCapacity(t, "build", s.GroundTruth(), reduced, false, &prev)
				for day := 1; day <= 28; day++ {
					s.Advance(24 * time.Hour)
					if day%7 == 0 {
						// release the two least recently used Professional
						// allocations: the seats must not be handed out twice
						rows := list(t, h, "/qrs/license/professionalaccesstype/full?orderby=lastUsed&filter="+q("quarantined eq false"))
						for _, r := range rows[:min(2, len(rows))] {
							call(t, h, "DELETE", "/qrs/license/professionalaccesstype/"+r["id"].(string), "")
						}
					}
					checkCapacity(t, fmt.Sprintf("day %d", day), s.GroundTruth(), reduced, false, &prev)
				}
			})
		}
	}
}

func allDenials(s *sim.Site) []sim.Denial {
	return s.Denials(time.Time{}, s.Now().Add(time.Hour))
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestDenialsWhenFull(t *testing.T) {
	s := newSite(t, sim.Options{Users: 300, HistoryDays: 120, Scenario: "at-capacity"})
	h := s.Handler()
	ds := allDenials(s)
	if len(ds) == 0 {
		t.Fatal("a Professional license full for 60 days turned nobody away")
	}
	allocated := map[string]bool{}
	for _, a := range list(t, h, "/qrs/license/professionalaccesstype/full") {
		allocated[a["user"].(map[string]any)["id"].(string)] = true
	}
	firstDenied := map[string]time.Time{}
	for i, d := range ds {
		if i > 0 && d.At.Before(ds[i-1].At) {
			t.Fatalf("denials out of order at %d", i)
		}
		if d.Type != sim.DeniedProfessional || d.Reason != sim.DenialNoFreeAllocation || d.Command != "License user access" ||
			d.Result != 403 || d.ResultText != "Error: Access denied" || d.Node != s.Hostname() || !guidRE.MatchString(d.SessionID) {
			t.Fatalf("denial %+v", d)
		}
		want := fmt.Sprintf("Professional access denied for User: '%s\\%s', SessionID: '%s', Hostname: '%s', OperationType: 'UsageDenied'", d.UserDirectory, d.UserID, d.SessionID, d.ClientHost)
		if d.Message != want {
			t.Fatalf("message %q, want %q", d.Message, want)
		}
		if d.At.Before(fixedNow.AddDate(0, 0, -61)) || d.At.After(fixedNow) {
			t.Fatalf("denial at %v: the license filled up 60 days before %v", d.At, fixedNow)
		}
		if allocated[d.UserGUID] {
			t.Fatalf("user %s was denied but holds an allocation", d.UserID)
		}
		if _, ok := firstDenied[d.UserDirectory+"\\"+d.UserID]; !ok {
			firstDenied[d.UserDirectory+"\\"+d.UserID] = d.At
		}
		// the denied user exists in the QRS user list, without an allocation
		if i < 20 {
			u := object(t, h, "/qrs/user/"+d.UserGUID)
			if u["userId"] != d.UserID || u["userDirectory"] != d.UserDirectory {
				t.Fatalf("denied user %s: %v", d.UserID, u)
			}
		}
	}
	// demand persists: waiting users come back on later days
	retried := 0
	for _, d := range ds {
		if d.At.Sub(firstDenied[d.UserDirectory+"\\"+d.UserID]) > 24*time.Hour {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no denied user asked again on a later day")
	}
	// ground truth counts every denial, per day and type, and knows who waits
	g := s.GroundTruth()
	for _, u := range g.Users {
		first, denied := firstDenied[u.UserDirectory+"\\"+u.UserID]
		if denied != !u.DeniedSince.IsZero() || denied && (!u.DeniedSince.Equal(first) || u.Type != "") {
			t.Errorf("user %s: DeniedSince %v, first denial %v, allocation %q", u.UserID, u.DeniedSince, first, u.Type)
		}
	}
	sum := 0
	for _, d := range g.Denials {
		if d.Analyzer+d.AnalyzerTime+d.UserAccess != 0 {
			t.Errorf("day %v: denials of types with free seats: %+v", d.Day, d)
		}
		sum += d.Total()
	}
	if sum != len(ds) {
		t.Errorf("ground truth counts %d denials, Denials returns %d", sum, len(ds))
	}
	day := g.Denials[len(g.Denials)/2].Day
	if got := s.Denials(day, day.AddDate(0, 0, 1)); len(got) != g.Denials[len(g.Denials)/2].Total() {
		t.Errorf("Denials on %v: %d, per-day count %d", day, len(got), g.Denials[len(g.Denials)/2].Total())
	}

	// the simulated days go on denying
	s.Advance(7 * 24 * time.Hour)
	if n := len(s.Denials(fixedNow, s.Now())); n == 0 {
		t.Error("no denials in the week after the build on a full license")
	}
	// a larger license lets the waiting users in on their next request
	before := s.GroundTruth()
	if err := s.SetLicenseSize(before.Professional.Total+5, before.Analyzer.Total); err != nil {
		t.Fatal(err)
	}
	s.Advance(7 * 24 * time.Hour)
	after := s.GroundTruth()
	if after.Professional.Allocated+after.Professional.Quarantined <= before.Professional.Allocated+before.Professional.Quarantined ||
		after.Professional.Allocated+after.Professional.Quarantined > before.Professional.Total+5 {
		t.Errorf("after +5 seats: %+v (before %+v)", after.Professional, before.Professional)
	}
	got := 0
	for _, u := range after.Users {
		if _, waited := firstDenied[u.UserDirectory+"\\"+u.UserID]; waited && u.Type == "professional" {
			got++
		}
	}
	if got == 0 {
		t.Error("no waiting user got one of the new seats")
	}
	if err := s.SetLicenseSize(-1, 3); err == nil {
		t.Error("negative license size accepted")
	}
}

// TestCapacityPoolRunsOutAndRefills: without overage the month's pool stops
// capacity users once it is used up, until the 1st of the next month.
func TestCapacityPoolRunsOutAndRefills(t *testing.T) {
	s := newSite(t, sim.Options{Users: 600, HistoryDays: 30, Scenario: "capacity-exhausted"})
	h := s.Handler()
	monthEnd := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var prev [2]int
	for s.Now().Before(monthEnd.Add(-24 * time.Hour)) {
		s.Advance(24 * time.Hour)
		checkCapacity(t, s.Now().Format(time.DateOnly), s.GroundTruth(), false, false, &prev)
	}
	s.AdvanceTo(monthEnd.Add(-time.Hour))
	g := s.GroundTruth()
	if g.AnalyzerMinutesUsed < g.AnalyzerMinutesAssigned-18 {
		t.Fatalf("March used %d of %d minutes: a pool sized at 60%% of the use did not run out", g.AnalyzerMinutesUsed, g.AnalyzerMinutesAssigned)
	}
	march := s.Denials(fixedNow, monthEnd)
	denied := map[string]bool{}
	for _, d := range march {
		if d.Type != sim.DeniedAnalyzerTime || d.Reason != sim.DenialCapacityExhausted || !strings.HasPrefix(d.Message, "Analyzer time access denied for User: ") {
			t.Fatalf("denial %+v on a site with free Professional and Analyzer seats", d)
		}
		denied[d.UserGUID] = true
	}
	if len(denied) == 0 {
		t.Fatal("nobody denied after the pool ran out")
	}
	pool := list(t, h, "/qrs/license/analyzertimeaccesstype/full")[0]
	if pool["remainingMinutes"].(float64) != float64(g.AnalyzerMinutesAssigned-g.AnalyzerMinutesUsed) {
		t.Errorf("pool %v, ground truth used %d of %d", pool, g.AnalyzerMinutesUsed, g.AnalyzerMinutesAssigned)
	}
	// a new month: the pool is full again and the users denied in March get in
	s.AdvanceTo(monthEnd.Add(3 * 24 * time.Hour))
	if d := s.Denials(monthEnd, s.Now()); len(d) != 0 {
		t.Errorf("%d denials in the first days of a fresh pool", len(d))
	}
	g = s.GroundTruth()
	if g.AnalyzerMinutesUsed == 0 || g.AnalyzerMinutesUsed >= g.AnalyzerMinutesAssigned {
		t.Errorf("April used %d of %d minutes", g.AnalyzerMinutesUsed, g.AnalyzerMinutesAssigned)
	}
	back := 0
	for _, u := range list(t, h, "/qrs/license/analyzertimeaccessusage/full") {
		if denied[u["user"].(map[string]any)["id"].(string)] {
			back++
		}
	}
	if back == 0 {
		t.Error("no user denied in March used capacity in April")
	}
}

// TestCapacityOverage: a license that allows overage lets use go past the
// pool; QRS shows it as used minutes above the allocated ones and no
// remaining minutes, never as negative minutes.
func TestCapacityOverage(t *testing.T) {
	s := newSite(t, sim.Options{Users: 600, HistoryDays: 30, Scenario: "capacity-overage"})
	h := s.Handler()
	s.AdvanceTo(time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC))
	g := s.GroundTruth()
	if g.AnalyzerMinutesUsed <= g.AnalyzerMinutesAssigned {
		t.Fatalf("used %d of %d: no overage on a pool sized at 60%% of the use", g.AnalyzerMinutesUsed, g.AnalyzerMinutesAssigned)
	}
	if d := allDenials(s); len(d) != 0 {
		t.Errorf("%d denials on a license with overage, first %+v", len(d), d[0])
	}
	ov := object(t, h, "/qrs/license/accesstypeoverview")["analyzerTimeAccess"].(map[string]any)
	if int(ov["usedMinutes"].(float64)) != g.AnalyzerMinutesUsed || int(ov["allocatedMinutes"].(float64)) != g.AnalyzerMinutesAssigned || ov["unavailableMinutes"].(float64) < 0 {
		t.Errorf("overview %v, ground truth %d of %d", ov, g.AnalyzerMinutesUsed, g.AnalyzerMinutesAssigned)
	}
	pool := list(t, h, "/qrs/license/analyzertimeaccesstype/full")[0]
	if pool["remainingMinutes"].(float64) != 0 || int(pool["usedMinutes"].(float64)) != g.AnalyzerMinutesUsed {
		t.Errorf("pool %v", pool)
	}
	// overage needs a license that says so
	if _, err := sim.LoadScenario(writeScenario(t, "license:\n  kind: lef\n  analyzerOverage: true\n")); err == nil || !strings.Contains(err.Error(), "signed-key") {
		t.Errorf("overage on a LEF license: %v", err)
	}
}

// TestExcessOnlyAfterReduction: allocations never exceed the total by
// themselves; a smaller license flags the newest allocations beyond it and
// stops new ones.
func TestExcessOnlyAfterReduction(t *testing.T) {
	s := newSite(t, sim.Options{Users: 200, HistoryDays: 60})
	h := s.Handler()
	if g := s.GroundTruth(); g.Professional.Excess != 0 || g.Analyzer.Excess != 0 {
		t.Fatalf("excess on a healthy site: %+v %+v", g.Professional, g.Analyzer)
	}
	g := s.GroundTruth()
	if err := s.SetLicenseSize(g.Professional.Allocated-4, g.Analyzer.Total); err != nil {
		t.Fatal(err)
	}
	rows := list(t, h, "/qrs/license/professionalaccesstype/full?orderby=createdDate&filter="+q("quarantined eq false"))
	for i, r := range rows {
		if want := i >= len(rows)-4; r["excess"] != want {
			t.Fatalf("allocation %d of %d (created %v): excess %v, want %v", i, len(rows), r["createdDate"], r["excess"], want)
		}
	}
	if l := object(t, h, "/qrs/license"); !strings.Contains(l["keyDetails"].(string), fmt.Sprintf("Professional: %d\n", g.Professional.Allocated-4)) {
		t.Errorf("keyDetails after the change: %q", l["keyDetails"])
	}
	users := list(t, h, "/qrs/user?filter="+q("userId eq 'sa_api'"))
	w := call(t, h, "POST", "/qrs/license/professionalaccesstype", `{"user":{"id":"`+users[0]["id"].(string)+`"}}`)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "all are taken") {
		t.Errorf("POST beyond the license: %d %s", w.Code, w.Body.String())
	}
	before := s.GroundTruth().Professional
	s.Advance(5 * 24 * time.Hour)
	after := s.GroundTruth().Professional
	if after.Allocated+after.Quarantined > before.Allocated+before.Quarantined {
		t.Errorf("allocations grew from %d to %d over a reduced license", before.Allocated, after.Allocated)
	}
	if n := len(s.Denials(fixedNow, s.Now())); n == 0 {
		t.Error("no denials after the license was reduced below the allocations")
	}

	// the preset: a reduction during the history
	r := newSite(t, sim.Options{Users: 300, HistoryDays: 90, Scenario: "license-reduced"})
	lic := object(t, r.Handler(), "/qrs/license")
	if upd, _ := time.Parse(time.RFC3339, lic["modifiedDate"].(string)); !upd.Equal(fixedNow.AddDate(0, 0, -20)) {
		t.Errorf("license modified %v, want the reduction 20 days ago", upd)
	}
	if g := r.GroundTruth(); g.Professional.Excess == 0 || g.Analyzer.Excess == 0 {
		t.Errorf("license-reduced without excess: %+v %+v", g.Professional, g.Analyzer)
	}
}

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScenarioComposition(t *testing.T) {
	sc, err := sim.LoadScenario("lm-failing-rest-401+at-capacity")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "lm-failing-rest-401+at-capacity" || len(sc.Tasks) != 1 || sc.Tasks[0].Failure != sim.FailRest401 ||
		sc.License.ProfessionalFullDaysAgo != 60 || sc.License.AnalyzerRunOutDays == 0 {
		t.Errorf("composed scenario %+v", sc)
	}
	yml := writeScenario(t, "users: 90\nlicense:\n  analyzerMinutesShare: 0.5\ntasks:\n  - name: Reload Operations Monitor\n    failure: timeout\n")
	sc, err = sim.LoadScenario("lm-connection-missing+" + yml)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Tasks) != 2 || len(sc.Connections.Missing) != 1 || sc.Users != 90 || sc.License.AnalyzerMinutesShare != 0.5 {
		t.Errorf("preset+file %+v", sc)
	}
	for text, want := range map[string]string{
		"nope+at-capacity": `unknown scenario "nope"`,
		writeScenario(t, "license:\n  professional: 10\n  professionalFullDaysAgo: 5\n"): "set only one of professional, professionalFullDaysAgo and professionalRunOutDays",
		writeScenario(t, "license:\n  reduction: {daysAgo: 3, analyzerPercent: 95}\n"):   "percentages between 0 and 90",
		writeScenario(t, "demand: {retryShare: 2}\n"):                                    "retryShare between 0 and 1",
		"at-capacity+" + writeScenario(t, "license:\n  professional: 10\n"):              "set only one of professional",
		writeScenario(t, "license:\n  kind: tokens\n  analyzerOverage: true\n"):          "needs a signed-key license",
	} {
		if _, err := sim.LoadScenario(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", text, err, want)
		}
	}
}

// TestQuarantinedSeatsFreeAtTheEnd: on a full license, released seats stay
// taken while in quarantine; when the quarantine ends, waiting users get them.
func TestQuarantinedSeatsFreeAtTheEnd(t *testing.T) {
	s := newSite(t, sim.Options{Users: 1500, HistoryDays: 120, Scenario: "at-capacity", QuarantineModel: "lef"})
	h := s.Handler()
	waiting := map[string]bool{}
	for _, d := range allDenials(s) {
		waiting[d.UserDirectory+"\\"+d.UserID] = true
	}
	// release the allocations of users who left within the last days: they
	// go into quarantine (used within 7 days) and their users do not return
	gone := map[string]bool{}
	for _, u := range list(t, h, "/qrs/user/full?filter="+q("inactive eq true or removedExternally eq true")) {
		gone[u["id"].(string)] = true
	}
	cut := fixedNow.AddDate(0, 0, -6).Format("2006-01-02T15:04:05.000Z")
	released := 0
	for _, r := range list(t, h, "/qrs/license/professionalaccesstype/full?filter="+q("lastUsed ge '"+cut+"'")) {
		if gone[r["user"].(map[string]any)["id"].(string)] {
			if w := call(t, h, "DELETE", "/qrs/license/professionalaccesstype/"+r["id"].(string), ""); w.Code != 204 {
				t.Fatalf("DELETE: %d", w.Code)
			}
			released++
		}
	}
	if released == 0 {
		t.Fatal("no recently active leaver to release: pick another seed")
	}
	g := s.GroundTruth().Professional
	if g.Quarantined != released || g.Allocated+g.Quarantined != g.Total {
		t.Fatalf("after releasing %d: %+v", released, g)
	}
	holders := func() map[string]bool {
		m := map[string]bool{}
		for _, u := range s.GroundTruth().Users {
			if u.Type == "professional" && !u.Quarantined {
				m[u.UserDirectory+"\\"+u.UserID] = true
			}
		}
		return m
	}
	before := holders()
	// until the first quarantine ends the seats stay taken; waiting users
	// are still denied
	first := time.Time{}
	for _, r := range list(t, h, "/qrs/license/professionalaccesstype/full?filter="+q("quarantined eq true")) {
		end, _ := time.Parse(time.RFC3339, r["quarantineEnd"].(string))
		if first.IsZero() || end.Before(first) {
			first = end
		}
	}
	if !first.After(fixedNow.Add(2 * time.Hour)) {
		t.Fatalf("quarantine ends %v, too close to %v", first, fixedNow)
	}
	s.AdvanceTo(first.Add(-time.Hour))
	for k := range holders() {
		if !before[k] && waiting[k] {
			t.Fatalf("waiting user %s got a seat that is still in quarantine", k)
		}
	}
	if n := len(s.Denials(fixedNow, s.Now())); n == 0 {
		t.Error("no denials while the released seats are in quarantine")
	}
	// after the quarantine the seats go to users who were waiting
	s.Advance(10 * 24 * time.Hour)
	got := 0
	for k := range holders() {
		if !before[k] && waiting[k] {
			got++
		}
	}
	if got == 0 {
		t.Error("no waiting user got a seat freed by the end of a quarantine")
	}
	if g := s.GroundTruth().Professional; g.Allocated+g.Quarantined > g.Total {
		t.Errorf("after the quarantine: %+v", g)
	}
}
