package forecast

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRunOut forecasts three years of daily points (1095) with the default options
// (500 bootstrap paths, 365-day horizon). Target: well under 100 ms per call on one core.
func BenchmarkRunOut(b *testing.B) {
	s := noisySeries(rand.New(rand.NewPCG(1, 1)), 1095, 0).hist
	capacity := s[len(s)-1].Value + 200
	for b.Loop() {
		if _, err := RunOut(s, capacity, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBacktest scores +30 and +90 days on three years of daily points.
func BenchmarkBacktest(b *testing.B) {
	s := noisySeries(rand.New(rand.NewPCG(1, 1)), 1095, 0).hist
	for b.Loop() {
		if _, err := Backtest(s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
