// Package synth generates daily license-allocation series with known futures, so that forecasts
// can be scored against what really happened next. The same generator feeds the forecast
// package's calibration test and the side-by-side benchmark in bench/forecast (licmon against R's
// ets and a random walk with drift), so both measure the same thing.
//
// The series imitate what a Qlik site's allocated-seat count does: growth shapes a site really
// shows (linear, saturating roll-out, step onboarding, clean-up drop, yearly hiring season, noisy
// drift, decline, acceleration), allocations made in batches on weekdays and flat at weekends,
// integer counts that are never negative. Every series is determined by its seed.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Shape is a growth pattern of the underlying demand for seats.
type Shape string

// The growth shapes generated, in the order Shapes lists them.
const (
	Linear       Shape = "linear"       // steady growth
	Saturating   Shape = "saturating"   // a roll-out levelling off
	Onboarding   Shape = "onboarding"   // steady growth plus one onboarding step (past or future)
	CleanUp      Shape = "cleanup"      // steady growth plus one clean-up drop (past or future)
	HiringSeason Shape = "hiring"       // growth plus a yearly hiring season
	NoisyDrift   Shape = "noisy-drift"  // growth whose rate wanders
	Decline      Shape = "decline"      // steady decline
	Acceleration Shape = "acceleration" // growth that speeds up
)

// Shapes lists every shape; Generate cycles through them.
var Shapes = []Shape{Linear, Saturating, Onboarding, CleanUp, HiringSeason, NoisyDrift, Decline, Acceleration}

// Group is a history length class.
type Group string

// History length classes: a new installation and an established one.
const (
	Short Group = "short" // 45 to 90 days of history
	Long  Group = "long"  // 8 to 20 months (240 to 600 days) of history
)

// Series is one generated series: History is what a forecaster sees, Future what happened next.
type Series struct {
	ID      string
	Shape   Shape
	Group   Group
	History []float64 // History[i] is day i (day 0 is the first day)
	Future  []float64 // Future[k-1] is k days after the last history day
}

// Generate returns n series of the group, each with futureDays of known future, cycling through
// Shapes. The same seed gives the same series.
func Generate(g Group, n, futureDays int, seed uint64) []Series {
	out := make([]Series, n)
	for i := range n {
		rng := rand.New(rand.NewPCG(seed, uint64(i)<<8|groupBits(g)))
		shape := Shapes[i%len(Shapes)]
		var hist int
		if g == Short {
			hist = 45 + rng.IntN(46)
		} else {
			hist = 240 + rng.IntN(361)
		}
		all := generate(rng, shape, hist+futureDays)
		out[i] = Series{
			ID: fmt.Sprintf("%s-%03d-%s", g, i, shape), Shape: shape, Group: g,
			History: all[:hist], Future: all[hist:],
		}
	}
	return out
}

func groupBits(g Group) uint64 {
	if g == Short {
		return 1
	}
	return 2
}

// generate draws one series of n days: an underlying demand curve for the shape, a persistent
// deviation from it (allocations lag and overshoot demand for weeks), and weekday batches.
func generate(rng *rand.Rand, shape Shape, n int) []float64 {
	level := math.Exp(math.Log(20) + rng.Float64()*(math.Log(2000)-math.Log(20))) // 20 .. 2000 seats, log-uniform
	// Growth per day relative to the level: 0.5% to 8% a month.
	rate := level * (0.005 + rng.Float64()*0.075) / 30.4
	demand := make([]float64, n)
	switch shape {
	case Linear:
		for t := range demand {
			demand[t] = level + rate*float64(t)
		}
	case Saturating:
		// A roll-out to a ceiling, started some time before the history begins; the time
		// constant sets how soon it levels off.
		tau := 60 + rng.Float64()*340
		start := -rng.Float64() * 0.5 * tau
		ceiling := rate * tau * (1 + rng.Float64())
		for t := range demand {
			demand[t] = level + ceiling*(1-math.Exp(-(float64(t)-start)/tau))
		}
	case Onboarding, CleanUp:
		size := level * (0.05 + rng.Float64()*0.2)
		if shape == CleanUp {
			size = -size
			rate *= 1.5 // seats pile up until someone cleans up
		}
		at := rng.IntN(n)
		for t := range demand {
			demand[t] = level + rate*float64(t)
			if t >= at {
				demand[t] += size
			}
		}
	case HiringSeason:
		// Most hires arrive in a two-month season each year (for example September and
		// October); a few leave through the year.
		amp := level * (0.03 + rng.Float64()*0.1)
		phase := rng.Float64() * 365
		for t := range demand {
			x := math.Mod(float64(t)+phase, 365)
			season := 0.0
			if x < 60 {
				season = amp * x / 60
			} else {
				season = amp * (1 - (x-60)/305)
			}
			demand[t] = level + 0.3*rate*float64(t) + season
		}
	case NoisyDrift:
		// The growth rate itself is a random walk: a site whose pace changes with projects.
		b, v := rate*(rng.Float64()*2-0.5), level
		step := rate * 0.08
		for t := range demand {
			demand[t] = v
			b += rng.NormFloat64() * step
			v += b
		}
	case Decline:
		for t := range demand {
			demand[t] = level + 0.5*rate*float64(60) - 0.5*rate*float64(t)
		}
	case Acceleration:
		// The growth rate doubles over 120 to 400 days.
		double := 120 + rng.Float64()*280
		for t := range demand {
			x := float64(t)
			demand[t] = level + rate*(x+x*x/(2*double))
		}
	}

	// Allocations deviate from demand persistently (AR(1), a few weeks' memory), are made in
	// batches on weekdays, and stay flat at weekends. A few sites also batch weekly.
	sigma := 0.5 + level*(0.002+rng.Float64()*0.015)
	ar := 0.9 + rng.Float64()*0.08
	weekly := rng.Float64() < 0.25
	batchDay := rng.IntN(5)
	weekday0 := rng.IntN(7)
	y := make([]float64, n)
	u := 0.0
	for t := range y {
		u = ar*u + math.Sqrt(1-ar*ar)*sigma*rng.NormFloat64()
		wd := (weekday0 + t) % 7 // 0..4 weekdays, 5 and 6 weekend
		target := math.Max(0, math.Round(demand[t]+u))
		switch {
		case t == 0:
			y[t] = target
		case wd >= 5, weekly && wd != batchDay:
			y[t] = y[t-1]
		default:
			y[t] = target
		}
	}
	return y
}
