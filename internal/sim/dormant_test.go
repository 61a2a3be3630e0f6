package sim_test

import (
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// idleAllocations counts the Professional and Analyzer allocations not used
// for 30 days.
func idleAllocations(t *testing.T, scenario string) (idle, all int) {
	s := newSite(t, sim.Options{Users: 2000, Scenario: scenario})
	h := s.Handler()
	for _, p := range []string{"/qrs/license/professionalaccesstype/full", "/qrs/license/analyzeraccesstype/full"} {
		for _, a := range list(t, h, p) {
			lu, err := time.Parse("2006-01-02T15:04:05.000Z", a["lastUsed"].(string))
			if err != nil {
				t.Fatal(err)
			}
			all++
			if fixedNow.Sub(lu) >= 30*24*time.Hour {
				idle++
			}
		}
	}
	return idle, all
}

// TestIdleAllocationsScenario: the idle-allocations preset (what the reclaim
// benchmark runs) has about twice the stale allocations of a healthy site
// with the same seed, and a dormantPercent out of range is refused.
func TestIdleAllocationsScenario(t *testing.T) {
	hi, ha := idleAllocations(t, "healthy")
	ii, ia := idleAllocations(t, "idle-allocations")
	if ii < 3*hi/2 || ii*100 < ia*15 {
		t.Errorf("idle-allocations: %d of %d allocations idle for 30 days, healthy %d of %d: want about twice, and at least 15%%", ii, ia, hi, ha)
	}
	if _, err := sim.New(sim.Options{Scenario: writeScenario(t, "dormantPercent: 120\n")}); err == nil {
		t.Error("dormantPercent 120 accepted")
	}
}
