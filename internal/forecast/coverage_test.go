package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIntervalCoverageSimulated checks that the interval is honest: over 200 simulated noisy
// series, the 80% interval for the value 90 days ahead must contain the true value at least 75% of
// the time.
func TestIntervalCoverageSimulated(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 90))
	const n, ahead = 200, 90
	in, inSteady, nSteady := 0, 0, 0
	var ape float64
	for i := range n {
		s := noisySeries(rng, 120+rng.IntN(600), ahead)
		m, err := Fit(s.hist, Options{Horizon: ahead * Day, Seed: uint64(i)})
		if err != nil {
			t.Fatal(err)
		}
		mean, lo, hi, err := m.Predict(m.LastDay.AddDate(0, 0, ahead))
		if err != nil {
			t.Fatal(err)
		}
		truth := s.future[ahead-1]
		ok := truth >= lo && truth <= hi
		if ok {
			in++
		}
		if !s.step {
			nSteady++
			if ok {
				inSteady++
			}
		}
		ape += math.Abs(mean-truth) / math.Abs(truth)
	}
	cov := float64(in) / n
	t.Logf("80%% interval coverage at +%d days over %d simulated series: %.3f (MAPE %.2f%%); %.3f over the %d series without a step change",
		ahead, n, cov, 100*ape/n, float64(inSteady)/float64(nSteady), nSteady)
	if cov < 0.75 {
		t.Errorf("coverage %.3f, want at least 0.75", cov)
	}
}
