package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const perMonth = 1 / DaysPerMonth

func TestRunOutLinearGrowth(t *testing.T) {
	// 10 per month, now at 300, 500 licensed: 200 seats left at 10/month is 20 months.
	series := linear(183, 300, 10*perMonth)
	r, err := RunOut(series, 500, Options{Horizon: 730 * Day})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusRunsOut || r.Date == nil {
		t.Fatalf("status %q date %v, want runs-out with a date; reason: %s", r.Status, r.Date, r.Reason)
	}
	months := float64(r.DaysLeft) / DaysPerMonth
	if math.Abs(months-20) > 1 {
		t.Errorf("runs out in %.2f months (%d days), want 20±1", months, r.DaysLeft)
	}
	if want := day0.AddDate(0, 0, 182+r.DaysLeft); !r.Date.Equal(want) {
		t.Errorf("date %s, want %s (last day + DaysLeft)", r.Date.Format(time.DateOnly), want.Format(time.DateOnly))
	}
	if r.Earliest == nil || r.Latest == nil || r.Earliest.After(*r.Date) || r.Latest.Before(*r.Date) {
		t.Errorf("interval %v..%v does not contain %v", r.Earliest, r.Latest, r.Date)
	}
	for name, s := range map[string]float64{"30": r.Slope30, "90": r.Slope90} {
		if math.Abs(s-10) > 1e-6 {
			t.Errorf("slope over %s days = %v per month, want 10", name, s)
		}
	}
	if r.Probability != 1 || r.Current != 300 || r.Capacity != 500 {
		t.Errorf("probability %v current %v capacity %v", r.Probability, r.Current, r.Capacity)
	}
	if !strings.Contains(r.Reason, r.Date.Format(time.DateOnly)) || !strings.Contains(r.Reason, "80% interval") {
		t.Errorf("reason %q should name the date and the interval", r.Reason)
	}
	t.Log(r.Reason)
}

func TestRunOutNoisyGrowthHasInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	series := linear(365, 400, 10*perMonth)
	for i := range series {
		series[i].Value += rng.NormFloat64() * 3
	}
	r, err := RunOut(series, 500, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 100 seats at 10/month: about 10 months, inside the default one-year horizon.
	if r.Status != StatusRunsOut {
		t.Fatalf("status %q, want runs-out: %s", r.Status, r.Reason)
	}
	if math.Abs(float64(r.DaysLeft)/DaysPerMonth-10) > 1.5 {
		t.Errorf("runs out in %d days, want about 10 months", r.DaysLeft)
	}
	if r.Earliest == nil || !r.Earliest.Before(*r.Date) {
		t.Errorf("earliest %v should be before the date %v for a noisy series", r.Earliest, r.Date)
	}
	if r.Latest != nil && !r.Latest.After(*r.Date) {
		t.Errorf("latest %v should be after the date %v", r.Latest, r.Date)
	}
	t.Log(r.Reason)
}

func TestRunOutFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, noise := range map[string]float64{"exact": 0, "noisy": 2} {
		t.Run(name, func(t *testing.T) {
			series := linear(200, 250, 0)
			for i := range series {
				series[i].Value += math.Round(rng.NormFloat64() * noise)
			}
			r, err := RunOut(series, 300, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != StatusNotWithinHorizon && r.Status != StatusFlatOrDeclining {
				t.Fatalf("status %q, want not-within-horizon or flat-or-declining: %s", r.Status, r.Reason)
			}
			if r.Date != nil || r.DaysLeft != -1 {
				t.Errorf("date %v days left %d, want none", r.Date, r.DaysLeft)
			}
			t.Log(r.Status, r.Reason)
		})
	}
}

func TestRunOutDeclining(t *testing.T) {
	r, err := RunOut(linear(120, 200, -5*perMonth), 300, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusFlatOrDeclining || r.Date != nil {
		t.Fatalf("status %q date %v, want flat-or-declining without date: %s", r.Status, r.Date, r.Reason)
	}
	if r.Slope90 >= 0 || !strings.Contains(r.Reason, "declining") {
		t.Errorf("slope %v reason %q", r.Slope90, r.Reason)
	}
}

func TestRunOutAlreadyExceeded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []Point
	}{
		{"above with long history", linear(100, 510, 1)},
		{"at capacity", linear(100, 500, 1)},
		{"above with short history", linear(3, 520, 1)}, // a fact, no forecast needed
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RunOut(tc.series, 500, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != StatusAlreadyExceeded || r.Date == nil || r.DaysLeft != 0 {
				t.Fatalf("got %q date %v days %d: %s", r.Status, r.Date, r.DaysLeft, r.Reason)
			}
			if !strings.Contains(r.Reason, "500") {
				t.Errorf("reason %q should name the capacity", r.Reason)
			}
		})
	}
}

func TestRunOutNotEnoughHistory(t *testing.T) {
	sparse := []Point{}
	for i := range 5 {
		sparse = append(sparse, Point{Day: day0.AddDate(0, 0, 10*i), Value: float64(100 + i)})
	}
	for _, tc := range []struct {
		name   string
		series []Point
		reason string
	}{
		{"no points", nil, "no data points"},
		{"5 consecutive days", linear(5, 100, 1), "only 5 days of history; need at least 28"},
		{"5 points over 41 days", sparse, "only 5 data points; need at least 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := RunOut(tc.series, 500, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != StatusNotEnoughHistory || r.Reason != tc.reason || r.Date != nil {
				t.Fatalf("got %q %q, want not-enough-history %q", r.Status, r.Reason, tc.reason)
			}
		})
	}
	_, err := Fit(linear(5, 100, 1), Options{})
	var he *HistoryError
	if !errors.Is(err, ErrNotEnoughHistory) || !errors.As(err, &he) || he.Days != 5 {
		t.Fatalf("Fit error %v, want a *HistoryError matching ErrNotEnoughHistory", err)
	}
}

func TestRunOutGapsInHistory(t *testing.T) {
	// Weekly snapshots only (a collector that ran on Mondays): the trend must survive the gaps.
	full := linear(364, 300, 10*perMonth)
	var weekly []Point
	for i := 0; i < len(full); i += 7 {
		weekly = append(weekly, full[i])
	}
	weekly = append(weekly, full[len(full)-1])
	r, err := RunOut(weekly, 400, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusRunsOut || math.Abs(float64(r.DaysLeft)/DaysPerMonth-10) > 1 {
		t.Fatalf("status %q in %d days, want runs-out in about 10 months: %s", r.Status, r.DaysLeft, r.Reason)
	}
}

func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := noisySeries(rng, 400, 0).hist
	opts := Options{Seed: 42}
	a, err := RunOut(s, s[len(s)-1].Value+150, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RunOut(s, s[len(s)-1].Value+150, opts)
	if a.Reason != b.Reason || !eqTime(a.Earliest, b.Earliest) || !eqTime(a.Latest, b.Latest) || a.Probability != b.Probability {
		t.Fatalf("same seed, different results:\n%+v\n%+v", a, b)
	}
	m1, _ := Fit(s, opts)
	m2, _ := Fit(s, opts)
	p1, p2 := m1.Path(365*Day), m2.Path(365*Day)
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("day %d: %+v vs %+v", i, p1[i], p2[i])
		}
	}
	// A different seed must change the simulated band (proves the seed is used).
	m3, _ := Fit(s, Options{Seed: 43})
	p3 := m3.Path(365 * Day)
	same := true
	for i := range p1 {
		same = same && p1[i].Lo == p3[i].Lo && p1[i].Hi == p3[i].Hi
	}
	if same {
		t.Error("seed 42 and 43 gave identical bands")
	}
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestReconstructedPoints(t *testing.T) {
	// 200 days of real snapshots growing 5/month, preceded by 300 reconstructed days that claim
	// much steeper growth (lower bounds: removed allocations are invisible to createdDate).
	measured := linear(200, 300, 5*perMonth)
	var series []Point
	for i := 300; i > 0; i-- {
		series = append(series, Point{Day: day0.AddDate(0, 0, -i), Value: 100 + float64(300-i)*0.25, Reconstructed: true})
	}
	// A reconstructed point on a measured day must lose to the measurement.
	series = append(series, Point{Day: day0.AddDate(0, 0, 199), Value: 1, Reconstructed: true})
	series = append(series, measured...)

	without, err := RunOut(series, 400, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := RunOut(measured, 400, Options{})
	if without.Reason != plain.Reason || without.DaysLeft != plain.DaysLeft {
		t.Errorf("reconstructed points not ignored:\n%+v\n%+v", without, plain)
	}

	m, err := Fit(series, Options{IncludeReconstructed: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Points != 500 || m.ReconstructedPoints != 300 || !m.FirstDay.Equal(day0.AddDate(0, 0, -300)) || m.LastValue != 300 {
		t.Errorf("points %d reconstructed %d first %v last %v; want 500, 300, %v, 300",
			m.Points, m.ReconstructedPoints, m.FirstDay, m.LastValue, day0.AddDate(0, 0, -300))
	}

	// Only reconstructed history: ignored by default, with a hint in the reason.
	onlyRecon := series[:300]
	r, _ := RunOut(onlyRecon, 400, Options{})
	if r.Status != StatusNotEnoughHistory || !strings.Contains(r.Reason, "300 reconstructed points were left out") {
		t.Errorf("got %q %q", r.Status, r.Reason)
	}
}

func TestPredictAndPath(t *testing.T) {
	series := linear(120, 300, 1)
	m, err := Fit(series, Options{Horizon: 100 * Day})
	if err != nil {
		t.Fatal(err)
	}
	last := day0.AddDate(0, 0, 119)
	if mean, lo, hi, err := m.Predict(last.AddDate(0, 0, -19)); err != nil || mean != 281 || lo != 281 || hi != 281 {
		t.Errorf("in-sample predict = %v %v %v %v, want the observed 281", mean, lo, hi, err)
	}
	mean, lo, hi, err := m.Predict(last.AddDate(0, 0, 50))
	if err != nil || math.Abs(mean-350) > 1e-6 || lo > mean || hi < mean {
		t.Errorf("predict +50 = %v [%v, %v] %v, want 350", mean, lo, hi, err)
	}
	var he *HorizonError
	if _, _, _, err := m.Predict(last.AddDate(0, 0, 101)); !errors.As(err, &he) || !strings.Contains(err.Error(), "longer Options.Horizon") {
		t.Errorf("beyond horizon: %v", err)
	}
	if _, _, _, err := m.Predict(day0.AddDate(0, 0, -1)); !errors.As(err, &he) {
		t.Errorf("before history: %v", err)
	}
	p := m.Path(30 * Day)
	if len(p) != 30 || !p[0].Day.Equal(last.AddDate(0, 0, 1)) || !p[29].Day.Equal(last.AddDate(0, 0, 30)) {
		t.Fatalf("path has %d days from %v", len(p), p[0].Day)
	}
	if len(m.Path(1000*Day)) != 100 {
		t.Error("path must stop at the fitted horizon")
	}
}

func TestDamping(t *testing.T) {
	series := linear(365, 300, 10*perMonth)
	auto, err := Fit(series, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if auto.Phi != 1 {
		t.Errorf("clean linear growth chose φ=%v, want the undamped trend", auto.Phi)
	}
	damped, err := Fit(series, Options{Damping: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	a, _, _, _ := auto.Predict(day0.AddDate(0, 0, 364+365))
	d, _, _, _ := damped.Predict(day0.AddDate(0, 0, 364+365))
	if !(d < a) || !strings.Contains(damped.Method(), "damped trend φ=0.990") {
		t.Errorf("damped forecast %v should be below undamped %v; method %q", d, a, damped.Method())
	}

	// Growth that is levelling off (a saturating roll-out) should pick a damped trend.
	var sat []Point
	for i := range 400 {
		sat = append(sat, Point{Day: day0.AddDate(0, 0, i), Value: 500 - 400*math.Exp(-float64(i)/150)})
	}
	m, _ := Fit(sat, Options{})
	if m.Phi == 1 {
		t.Errorf("saturating growth chose an undamped trend (%s)", m.Method())
	}
}

func TestInvalidInput(t *testing.T) {
	good := linear(60, 100, 1)
	for _, tc := range []struct {
		name   string
		series []Point
		cap    float64
		opts   Options
		want   string
	}{
		{"level", good, 500, Options{Level: 80}, "invalid Options.Level 80"},
		{"damping", good, 500, Options{Damping: 1.5}, "invalid Options.Damping 1.5"},
		{"bootstrap", good, 500, Options{Bootstrap: 5}, "invalid Options.Bootstrap 5"},
		{"horizon", good, 500, Options{Horizon: 20 * 365 * Day}, "at most 3650 days"},
		{"capacity", good, math.NaN(), Options{}, "capacity NaN"},
		{"value", []Point{{Day: day0, Value: math.Inf(1)}}, 500, Options{}, "not a finite number"},
		{"day", []Point{{Value: 1}}, 500, Options{}, "day is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunOut(tc.series, tc.cap, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
