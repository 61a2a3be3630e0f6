package forecast

import (
	"math"
	"slices"
)

// drift is a random walk with drift fitted to a daily series: tomorrow is today plus the mean
// daily change, plus noise. Its forecast standard error k days ahead, √(σ_w²·k + σ²·k²/(n−1)),
// grows linearly in k through the second term: the uncertainty of a drift estimated from n days.
// That term is what makes short histories honest: 45 days cannot pin a year's growth down. It is
// R's forecast::rwf, except that the noise term uses σ_w, measured over weeks (at most σ).
type drift struct {
	last, slope, sigma float64
	noise              float64 // σ of the day-to-day noise, measured over weeks (see fitDrift)
	n                  int
}

// minSigma is the smallest daily noise assumed for a series that changes at all: a seat count is
// an integer, so even a perfectly regular history is only known to within rounding (the standard
// deviation of a uniform error of ±0.5 seat). A series that never changed keeps σ = 0: nothing in
// it suggests movement, and its band is the flat line itself.
var minSigma = 1 / math.Sqrt(12)

// fitDrift fits the random walk with drift as R's forecast::rwf(y, drift = TRUE) does: the
// drift is the mean daily change and σ the standard deviation of the daily changes around it
// (but at least minSigma unless the series is constant). Changes are taken between observed days
// only, each scaled to one day by the square root of its gap, so that days filled by
// interpolation cannot make the series look smoother than it is; without gaps this is rwf's σ.
func fitDrift(y []float64, obs []bool) drift {
	n := len(y)
	d := drift{last: y[n-1], n: n}
	if n < 3 || !slices.ContainsFunc(y, func(v float64) bool { return v != y[0] }) {
		return d
	}
	d.slope = (y[n-1] - y[0]) / float64(n-1) // the first and last days are always observed
	var ss float64
	pairs, prev := 0, 0
	for t := 1; t < n; t++ {
		if !obs[t] {
			continue
		}
		g := float64(t - prev)
		e := y[t] - y[prev] - g*d.slope
		ss += e * e / g
		pairs++
		prev = t
	}
	d.sigma = minSigma
	if pairs > 1 {
		d.sigma = max(minSigma, math.Sqrt(ss/float64(pairs-1)))
	}
	// The noise that accumulates over the horizon is measured from 7-day changes: allocations come
	// in weekday batches, so a Monday's jump after a flat weekend makes daily changes swing more
	// than weeks do, and σ of daily changes overstates how far the series wanders in a month. It
	// is never taken above σ; the drift's uncertainty keeps rwf's daily σ.
	d.noise = d.sigma
	var ss7 float64
	n7 := 0
	for t := 7; t < n; t++ {
		if obs[t] && obs[t-7] {
			e := y[t] - y[t-7] - 7*d.slope
			ss7 += e * e
			n7++
		}
	}
	if n7 >= 14 {
		d.noise = min(d.sigma, max(minSigma, math.Sqrt(ss7/float64(n7-1)/7)))
	}
	return d
}

// mean is the point forecast k days ahead.
func (d drift) mean(k int) float64 { return d.last + float64(k)*d.slope }

// sd is the forecast standard error k days ahead.
func (d drift) sd(k int) float64 {
	s := float64(k)
	return math.Sqrt(d.noise*d.noise*s + d.sigma*d.sigma*s*s/float64(max(d.n-1, 1)))
}
