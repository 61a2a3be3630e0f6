package cli

import (
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// TestDemoScenarioTellsTheStory: the site the demo builds has a failing
// License Monitor, a Professional license that has been full and turning
// users away for about two months, and Analyzer room that lasts months,
// not years.
func TestDemoScenarioTellsTheStory(t *testing.T) {
	now := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)
	site, err := sim.New(sim.Options{Seed: 42, Users: 2000, HistoryDays: 730, Scenario: demoScenario, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if sc, err := sim.LoadScenario(demoScenario); err != nil || len(sc.Tasks) != 1 || sc.Tasks[0].Name != "Reload License Monitor" || sc.Tasks[0].Failure != sim.FailRest401 {
		t.Fatalf("the demo's License Monitor failure (steps 1-2) is gone: %+v %v", sc, err)
	}
	g := site.GroundTruth()
	if g.Professional.Allocated != g.Professional.Total || g.Professional.Excess != 0 {
		t.Errorf("Professional %+v: want full, without excess", g.Professional)
	}
	if free := g.Analyzer.Total - g.Analyzer.Allocated; free <= 0 || free > g.Analyzer.Total/10 {
		t.Errorf("Analyzer %+v: want a little room left", g.Analyzer)
	}
	denied := site.DenialsPerDay(now.AddDate(0, 0, -62), now)
	if len(denied) < 30 || !denied[0].Day.Before(now.AddDate(0, 0, -50)) {
		t.Errorf("denials on %d days since %v: want them on most days of the last two months", len(denied), denied)
	}
}
