package forecast

import (
	"math"
	"math/rand/v2"
	"time"
)

var day0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// linear builds n daily points ending at `end` with the given growth per day.
func linear(n int, end, perDay float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{Day: day0.AddDate(0, 0, i), Value: end - perDay*float64(n-1-i)}
	}
	return pts
}

// noisySeries simulates a license series the way the coverage test needs it: a linear trend with
// a random slope, Gaussian noise, a little weekly seasonality and, in some series, one step change
// (an onboarding wave or a clean-up) that may fall in the history or in the future.
// It returns hist days of points and the true values of the following future days.
type simSeries struct {
	hist   []Point
	future []float64 // future[k-1] is the value k days after the last point
	step   bool
}

func noisySeries(rng *rand.Rand, histDays, futureDays int) simSeries {
	base := 50 + rng.Float64()*950
	slope := -0.1 + rng.Float64()*1.1 // -3 .. +30 per month
	sigma := 0.5 + rng.Float64()*3.5
	weekly := rng.Float64() * 1.5
	phase := rng.Float64() * 2 * math.Pi
	stepAt, step := -1, 0.0
	if rng.Float64() < 0.3 {
		stepAt = rng.IntN(histDays + futureDays)
		step = (5 + rng.Float64()*25) * float64(1-2*rng.IntN(2))
	}
	value := func(t int) float64 {
		v := base + slope*float64(t) + weekly*math.Sin(2*math.Pi*float64(t)/7+phase) + rng.NormFloat64()*sigma
		if stepAt >= 0 && t >= stepAt {
			v += step
		}
		return v
	}
	s := simSeries{hist: make([]Point, histDays), future: make([]float64, futureDays), step: stepAt >= 0}
	for t := range histDays {
		s.hist[t] = Point{Day: day0.AddDate(0, 0, t), Value: value(t)}
	}
	for k := range futureDays {
		s.future[k] = value(histDays + k)
	}
	return s
}
