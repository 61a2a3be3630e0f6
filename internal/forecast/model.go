package forecast

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Model is a fitted forecast for one series. It is immutable after Fit and safe for concurrent use.
type Model struct {
	// Alpha, Beta and Phi are the chosen smoothing parameters (Phi per day; 1 = undamped).
	Alpha, Beta, Phi float64
	// Level and Trend are the Holt model's smoothed state on LastDay; Trend is in units per day.
	// The point forecast also weighs in the random walk with drift (see DriftWeight).
	Level, Trend float64
	// FirstDay and LastDay bound the history used (midnight, location of the latest point).
	FirstDay, LastDay time.Time
	// LastValue is the latest observed value.
	LastValue float64
	// RMSE is the root mean square one-step error on observed days.
	RMSE float64
	// Points counts observed days used; ReconstructedPoints how many of them were reconstructed.
	Points, ReconstructedPoints int
	// DriftWeight is the weight of the random walk with drift in the combined forecast (the
	// Holt model has 1 − DriftWeight); it falls as the history grows.
	DriftWeight float64
	// HorizonDays, IntervalLevel and Paths echo the resolved options.
	HorizonDays   int
	IntervalLevel float64
	Paths         int

	hist    daily
	sims    []float64 // day-major: sims[(k-1)*Paths+p] is path p on day LastDay+k
	mean    []float64 // point forecast per day ahead (index k-1)
	start   float64   // the point forecast's starting value on LastDay (day 0)
	lo, hi  []float64 // interval bounds per day ahead
	slope30 float64
	slope90 float64
}

// Band is the forecast for one day: the point forecast and its prediction interval.
type Band struct {
	Day          time.Time
	Mean, Lo, Hi float64
}

// blockLen is the moving-block length of the residual bootstrap: one week keeps weekday patterns
// and short runs of correlated errors together.
const blockLen = 7

// Fit fits damped-trend exponential smoothing to the series and simulates Options.Bootstrap future
// paths up to Options.Horizon. It returns a *HistoryError (errors.Is ErrNotEnoughHistory) when the
// series is too short, and a plain error for invalid options or values.
func Fit(series []Point, opts Options) (*Model, error) {
	c, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("fit forecast: %w", err)
	}
	d, err := resample(series, c.includeRecon)
	if err != nil {
		return nil, fmt.Errorf("fit forecast: %w", err)
	}
	if err := checkHistory(d, c); err != nil {
		return nil, err
	}
	return fitDaily(d, c), nil
}

// fitDaily fits a series that already passed checkHistory.
func fitDaily(d daily, c config) *Model {
	y, obs := d.values, d.observed
	l0, b0 := initialState(y)
	p := choose(y, obs, l0, b0, c.phi)
	level, trend, errs := filter(y, obs, p, l0, b0)

	m := &Model{
		Alpha: p.alpha, Beta: p.beta, Phi: p.phi,
		Level: level, Trend: trend,
		FirstDay: d.first, LastDay: d.day(len(y) - 1),
		LastValue: d.last(), Points: d.points, ReconstructedPoints: max(0, d.recon),
		HorizonDays: c.horizon, IntervalLevel: c.level, Paths: c.paths,
		hist:    d,
		slope30: recentSlope(d, 30),
		slope90: recentSlope(d, 90),
	}

	// Residual pool: observed one-step errors after a short burn-in (the seed state is rough),
	// centred so the interval is centred on the point forecast, and inflated by sqrt(n/(n-k)) for
	// the k fitted quantities because in-sample errors understate out-of-sample ones.
	burn := min(blockLen, len(y)/4)
	var pool []float64
	var ss float64
	for t := 1; t < len(errs); t++ {
		if math.IsNaN(errs[t]) {
			continue
		}
		ss += errs[t] * errs[t]
		if t > burn {
			pool = append(pool, errs[t])
		}
	}
	if n := d.points - 1; n > 0 {
		m.RMSE = math.Sqrt(ss / float64(n))
	}
	if len(pool) == 0 {
		pool = []float64{0}
	}
	var mean float64
	for _, e := range pool {
		mean += e
	}
	mean /= float64(len(pool))
	k := 4.0 // α, β, initial level, initial trend
	if p.phi < 1 {
		k++
	}
	scale := 1.0
	if n := float64(len(pool)); n > k+1 {
		scale = math.Sqrt(n / (n - k))
	}
	for i := range pool {
		pool[i] = (pool[i] - mean) * scale
	}

	if !c.holtOnly {
		m.DriftWeight = 1 - holtWeight(len(y))
	}
	m.simulate(pool, p, c.seed, fitDrift(y, obs))
	return m
}

// simulate fills the point forecast, the simulated paths and the per-day interval bounds.
//
// The forecast combines two models, weighted by the length of the history (see holtWeight): the
// Holt model, whose paths come from the block bootstrap of its own one-step errors, and a random
// walk with drift, whose spread includes the uncertainty of the estimated drift and so grows
// linearly in h when the history is short. The point forecast is the weighted mean of the two.
// The interval combines the two by rank (Vincentization): on every day the r-th smallest Holt
// outcome is paired with the r-th smallest of a fixed set of normal quantiles scaled by the drift
// model's standard error, so each bound is the weighted mean of the two models' bounds, and the
// interval keeps the shape the bootstrap found (skew, jumps, weekday batches). The paths behind
// run-out dates add each path's own drift error to its Holt path in the same way.
func (m *Model) simulate(pool []float64, p smoothing, seed uint64, dm drift) {
	h, paths := m.HorizonDays, m.Paths
	w := 1 - m.DriftWeight
	m.start = w*m.Level + (1-w)*dm.last
	holt := make([]float64, h)
	mean := make([]float64, h) // before the floor
	damp, cum := 1.0, 0.0
	for k := range h {
		damp *= p.phi
		cum += damp
		holt[k] = m.Level + cum*m.Trend
		mean[k] = w*holt[k] + (1-w)*dm.mean(k+1)
	}

	rng := rand.New(rand.NewPCG(seed, 0x6c69636d6f6e)) // second word: "licmon"
	block := min(blockLen, len(pool))
	m.sims = make([]float64, h*paths)
	for path := range paths {
		l, b := m.Level, m.Trend
		pos, left := 0, 0
		for k := range h {
			if left == 0 {
				pos, left = rng.IntN(len(pool)-block+1), block
			}
			e := pool[pos]
			pos++
			left--
			f := l + p.phi*b
			m.sims[k*paths+path] = f + e
			l = f + p.alpha*e
			b = p.phi*b + p.beta*e
		}
	}
	// The drift model's spread: evenly spaced standard normal quantiles (symmetric, so its share of
	// the band is centred on the forecast and never collapses by chance), one per path for the
	// whole path, since an error in the drift persists. They are dealt out in the order of the
	// paths on the last day, so each path's drift error goes with its Holt outcome.
	z := make([]float64, paths)
	for r := range z {
		z[r] = math.Sqrt2 * math.Erfinv(2*(float64(r)+0.5)/float64(paths)-1)
	}
	zPath := make([]float64, paths)
	last := m.sims[(h-1)*paths:]
	byLast := make([]int, paths)
	for i := range byLast {
		byLast[i] = i
	}
	slices.SortStableFunc(byLast, func(a, b int) int { return cmp.Compare(last[a], last[b]) })
	for r, i := range byLast {
		zPath[i] = z[r]
	}

	m.mean, m.lo, m.hi = make([]float64, h), make([]float64, h), make([]float64, h)
	qlo, qhi := (1-m.IntervalLevel)/2, 1-(1-m.IntervalLevel)/2
	zlo, zhi := quantile(z, qlo), quantile(z, qhi)
	buf := make([]float64, paths)
	var up, down float64 // widest half-widths so far
	for k := range h {
		row := m.sims[k*paths : (k+1)*paths]
		copy(buf, row)
		slices.Sort(buf)
		// The band pairs the sorted Holt outcomes with the sorted normal quantiles, so each bound
		// is the weighted mean of the two models' bounds (Vincentization). A Holt bound on the
		// wrong side of its own forecast (a skewed residual pool) counts as the forecast itself,
		// so the random walk's part keeps lo < mean < hi.
		sd := (1 - w) * dm.sd(k+1)
		hi := mean[k] + w*max(0, quantile(buf, qhi)-holt[k]) + sd*zhi
		lo := mean[k] - w*max(0, holt[k]-quantile(buf, qlo)) + sd*zlo
		for i, v := range row {
			row[i] = floor(mean[k] + w*(v-holt[k]) + sd*zPath[i])
		}
		// The band never narrows with the horizon (what is uncertain in a month is no more certain
		// in two), and always contains the point forecast, even when a skewed residual pool puts
		// most Holt paths on one side of it. Only then are the bounds floored at zero.
		up = max(up, hi-mean[k])
		down = max(down, mean[k]-lo)
		m.mean[k], m.lo[k], m.hi[k] = floor(mean[k]), floor(mean[k]-down), floor(mean[k]+up)
	}
}

// holtWeight is the weight of the Holt model in the combined forecast for a history of n days:
// n²/(n²+combineDays²). The Holt model adapts to changes of course that a random walk with drift
// (one slope for the whole history) cannot follow, but fitted on a few weeks it reads a week's
// batch of allocations as a trend. With 60 days of history the random walk with drift has 90% of
// the weight, with 180 days half, with a year 20%. docs/FORECASTING.md has the measurements
// behind the choice.
func holtWeight(n int) float64 {
	x := float64(n) / combineDays
	return x * x / (1 + x*x)
}

// combineDays is the history length at which the Holt model and the random walk with drift get
// equal weight.
const combineDays = 180

// floorScale is where the soft floor starts, in seats.
const floorScale = 1.0

// floor keeps a forecast value positive without changing the order of values: it is the identity
// above floorScale and c²/(2c−x) below it, which is continuous with slope 1 at c and tends to 0
// as x falls. Seat counts are never negative, and a strictly increasing map keeps lo < mean < hi.
func floor(x float64) float64 {
	const c = floorScale
	if x >= c {
		return x
	}
	return c * c / (2*c - x)
}

// quantile is the linearly interpolated (type 7) q-quantile of sorted data.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}

// Method describes the fitted model in one line, for reports.
func (m *Model) Method() string {
	trend := "undamped trend"
	if m.Phi < 1 {
		trend = fmt.Sprintf("damped trend φ=%.3f/day", m.Phi)
	}
	if m.DriftWeight == 0 {
		return fmt.Sprintf("Holt exponential smoothing, %s (α=%.3g, β=%.3g), %d-path block bootstrap, %.0f%% interval",
			trend, m.Alpha, m.Beta, m.Paths, m.IntervalLevel*100)
	}
	return fmt.Sprintf("Holt exponential smoothing, %s (α=%.3g, β=%.3g), %d-path block bootstrap, combined with a random walk with drift (weight %.2f for %d days of history), %.0f%% interval",
		trend, m.Alpha, m.Beta, m.Paths, m.DriftWeight, len(m.hist.values), m.IntervalLevel*100)
}

// Predict returns the point forecast and interval for a calendar day. Days in the history return
// the (resampled) observed value with a zero-width interval; days before the history or after the
// fitted horizon return a *HorizonError.
func (m *Model) Predict(day time.Time) (mean, lo, hi float64, err error) {
	k := dayNumber(day) - dayNumber(m.LastDay)
	n := len(m.hist.values)
	switch {
	case k < -(n - 1), k > m.HorizonDays:
		return 0, 0, 0, &HorizonError{Day: day, First: m.FirstDay, Last: m.LastDay, HorizonDays: m.HorizonDays}
	case k <= 0:
		v := m.hist.values[n-1+k]
		return v, v, v, nil
	}
	return m.mean[k-1], m.lo[k-1], m.hi[k-1], nil
}

// Path returns one Band per day from the day after LastDay up to horizon ahead (rounded up to
// whole days and capped at the fitted horizon), for charts.
func (m *Model) Path(horizon time.Duration) []Band {
	h := min(m.HorizonDays, max(0, int((horizon+Day-1)/Day)))
	out := make([]Band, h)
	for k := range h {
		out[k] = Band{Day: m.hist.day(len(m.hist.values) + k), Mean: m.mean[k], Lo: m.lo[k], Hi: m.hi[k]}
	}
	return out
}

// Slopes returns the least-squares growth per month over the last 30 and 90 days of history.
func (m *Model) Slopes() (slope30, slope90 float64) { return m.slope30, m.slope90 }
