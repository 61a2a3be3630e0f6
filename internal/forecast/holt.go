package forecast

import "math"

// smoothing holds the parameters of damped-trend exponential smoothing in error-correction form:
//
//	forecast  f_t = l_{t-1} + φ·b_{t-1}
//	error     e_t = y_t − f_t
//	level     l_t = f_t + α·e_t
//	trend     b_t = φ·b_{t-1} + β·e_t
//
// β here is α·β* in the textbook (Holt) form, so 0 ≤ β ≤ α keeps the model admissible.
// φ = 1 is Holt's linear trend; φ < 1 makes the trend fade, by a factor φ per day.
type smoothing struct{ alpha, beta, phi float64 }

// Parameter grids. Daily license series are dominated by slow drift plus day-to-day noise, so
// small α and very small β matter most; φ is per day, so 0.99 already halves a trend in ~69 days.
var (
	alphaGrid = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1}
	betaGrid  = []float64{0, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}
	phiGrid   = []float64{1, 0.999, 0.998, 0.995, 0.99}
)

// initWindow is how many leading days seed the level and trend by least squares.
const initWindow = 28

// initialState seeds level and trend at day 0 from an OLS line through the first days.
func initialState(y []float64) (level, trend float64) {
	n := min(len(y), initWindow)
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	trend, level = ols(x, y[:n])
	return level, trend
}

// sse runs the recursion over the series and returns the sum of squared one-step errors on
// observed days. Interpolated days update the state but are not scored.
func sse(y []float64, obs []bool, p smoothing, l, b float64) float64 {
	var s float64
	for t := 1; t < len(y); t++ {
		f := l + p.phi*b
		e := y[t] - f
		if obs[t] {
			s += e * e
		}
		l = f + p.alpha*e
		b = p.phi*b + p.beta*e
	}
	return s
}

// filter runs the recursion and returns the final state and the one-step error of each day
// (NaN on unobserved days).
func filter(y []float64, obs []bool, p smoothing, l, b float64) (level, trend float64, errs []float64) {
	errs = make([]float64, len(y))
	errs[0] = math.NaN()
	for t := 1; t < len(y); t++ {
		f := l + p.phi*b
		e := y[t] - f
		if obs[t] {
			errs[t] = e
		} else {
			errs[t] = math.NaN()
		}
		l = f + p.alpha*e
		b = p.phi*b + p.beta*e
	}
	return l, b, errs
}

// choose picks α, β (and φ unless fixed) by minimising one-step SSE over the grid. Between the best
// undamped and the best damped fit it keeps the damped one only if it wins on BIC, i.e. if one
// extra parameter buys a real improvement: n·ln(SSE_damped/SSE_linear) + ln(n) < 0. One-step
// errors on daily data barely distinguish φ = 1 from φ = 0.995, yet a year ahead those differ a
// lot, so near-ties go to the simpler, undamped trend. BIC rather than AIC because with hundreds
// of daily errors AIC's fixed penalty of 2 picked a damped trend for about 9% of purely linear
// simulated series; BIC's ln(n) brings that to about 2% while still damping a levelling-off roll-out.
func choose(y []float64, obs []bool, l0, b0, fixedPhi float64) smoothing {
	phis := phiGrid
	if fixedPhi > 0 {
		phis = []float64{fixedPhi}
	}
	bestU, bestD := smoothing{}, smoothing{}
	sU, sD := math.Inf(1), math.Inf(1)
	for _, phi := range phis {
		for _, a := range alphaGrid {
			for _, b := range betaGrid {
				if b > a {
					break
				}
				p := smoothing{a, b, phi}
				s := sse(y, obs, p, l0, b0)
				if phi == 1 || fixedPhi > 0 {
					if s < sU {
						sU, bestU = s, p
					}
				} else if s < sD {
					sD, bestD = s, p
				}
			}
		}
	}
	if fixedPhi > 0 || math.IsInf(sD, 1) {
		return bestU
	}
	n := 0
	for _, o := range obs[1:] {
		if o {
			n++
		}
	}
	switch {
	case sU == 0:
		return bestU
	case sD == 0:
		return bestD
	case float64(n)*math.Log(sD/sU)+math.Log(float64(n)) < 0:
		return bestD
	}
	return bestU
}
