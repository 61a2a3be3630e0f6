package forecast

// DaysPerMonth converts per-day rates to per-month rates (365.25 / 12).
const DaysPerMonth = 365.25 / 12

// ols returns the least-squares slope and intercept of y against x.
func ols(x, y []float64) (slope, intercept float64) {
	n := float64(len(x))
	if len(x) < 2 {
		if len(y) == 1 {
			return 0, y[0]
		}
		return 0, 0
	}
	var sx, sy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
	}
	mx, my := sx/n, sy/n
	var sxx, sxy float64
	for i := range x {
		dx := x[i] - mx
		sxx += dx * dx
		sxy += dx * (y[i] - my)
	}
	if sxx == 0 {
		return 0, my
	}
	slope = sxy / sxx
	return slope, my - slope*mx
}

// recentSlope is the OLS growth per month over the observed days among the last `window` days.
// It is the plain "growth per month" a report shows next to the model's forecast; with fewer than
// two observed days in the window it is 0.
func recentSlope(d daily, window int) float64 {
	n := len(d.values)
	var x, y []float64
	for i := max(0, n-window); i < n; i++ {
		if d.observed[i] {
			x = append(x, float64(i))
			y = append(y, d.values[i])
		}
	}
	s, _ := ols(x, y)
	return s * DaysPerMonth
}
