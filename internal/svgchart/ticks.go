package svgchart

import (
	"math"
	"time"
)

// numTicks is a "nice" value axis: a range that starts and ends on a tick, a step of 1, 2 or 5
// times a power of ten, and the number of decimals the labels need.
type numTicks struct {
	Lo, Hi, Step float64
	Decimals     int
	Values       []float64
}

// niceNumberTicks covers [lo, hi] with at most about maxIntervals steps of 1, 2 or 5 × 10^n.
// Degenerate ranges (empty, inverted, non-finite) widen to something drawable.
func niceNumberTicks(lo, hi float64, maxIntervals int) numTicks {
	if !finite(lo) || !finite(hi) {
		lo, hi = 0, 1
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if hi == lo {
		pad := math.Max(1, math.Abs(lo)*0.1)
		if lo >= 0 && lo-pad < 0 {
			hi = lo + pad // a zero-based axis stays zero-based
		} else {
			lo, hi = lo-pad, hi+pad
		}
	}
	if maxIntervals < 1 {
		maxIntervals = 1
	}
	raw := (hi - lo) / float64(maxIntervals)
	exp := math.Floor(math.Log10(raw))
	frac := raw / math.Pow(10, exp)
	var nice float64
	switch {
	case frac <= 1:
		nice = 1
	case frac <= 2:
		nice = 2
	case frac <= 5:
		nice = 5
	default:
		nice, exp = 1, exp+1
	}
	// Build the step from an exact mantissa so that 0.1 steps do not drift (0.30000000000000004).
	step := nice * math.Pow(10, exp)
	decimals := 0
	if exp < 0 {
		decimals = int(-exp)
	}
	first := math.Floor(lo/step + 1e-9)
	last := math.Ceil(hi/step - 1e-9)
	t := numTicks{Lo: first * step, Hi: last * step, Step: step, Decimals: decimals}
	for k := first; k <= last; k++ {
		v := k * step
		if decimals > 0 {
			p := math.Pow(10, float64(decimals))
			v = math.Round(k*nice*math.Pow(10, exp+float64(decimals))) / p
		}
		if v == 0 {
			v = 0 // no "-0"
		}
		t.Values = append(t.Values, v)
	}
	return t
}

// dateTick is one labelled tick on a time axis. Sub is a second label line (the year) shown on
// the first tick and wherever the year changes, so a reader never has to guess it.
type dateTick struct {
	T     time.Time
	Label string
	Sub   string
}

// dateUnit is one candidate tick spacing, from fine to coarse.
type dateUnit struct {
	name string
	// next returns the first tick at or after t (which is a midnight) and, called with a tick,
	// the following tick.
	first func(t time.Time) time.Time
	next  func(t time.Time) time.Time
	label func(t time.Time) string
	year  bool // whether labels need the year line
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// epochDay counts days since 1970-01-01 for t's calendar date, immune to DST.
func epochDay(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func addDays(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, t.Location())
}

func dayUnit(step int) dateUnit {
	return dateUnit{
		name: "day",
		first: func(t time.Time) time.Time {
			r := epochDay(t) % step
			if r == 0 {
				return t
			}
			return addDays(t, step-r)
		},
		next:  func(t time.Time) time.Time { return addDays(t, step) },
		label: func(t time.Time) string { return t.Format("Jan 2") },
		year:  true,
	}
}

var weekUnit = dateUnit{
	name: "week",
	first: func(t time.Time) time.Time {
		return addDays(t, (8-int(t.Weekday()))%7) // next Monday, or t itself
	},
	next:  func(t time.Time) time.Time { return addDays(t, 7) },
	label: func(t time.Time) string { return t.Format("Jan 2") },
	year:  true,
}

// halfMonthUnit ticks on the 1st and 15th, which reads better than every other Monday.
var halfMonthUnit = dateUnit{
	name: "half-month",
	first: func(t time.Time) time.Time {
		y, m, d := t.Date()
		switch {
		case d == 1 || d == 15:
			return t
		case d < 15:
			return time.Date(y, m, 15, 0, 0, 0, 0, t.Location())
		}
		return time.Date(y, m+1, 1, 0, 0, 0, 0, t.Location())
	},
	next: func(t time.Time) time.Time {
		y, m, d := t.Date()
		if d == 1 {
			return time.Date(y, m, 15, 0, 0, 0, 0, t.Location())
		}
		return time.Date(y, m+1, 1, 0, 0, 0, 0, t.Location())
	},
	label: func(t time.Time) string { return t.Format("Jan 2") },
	year:  true,
}

func monthUnit(step int) dateUnit {
	return dateUnit{
		name: "month",
		first: func(t time.Time) time.Time {
			y, m, d := t.Date()
			if d != 1 {
				m++
			}
			for (int(m)-1)%step != 0 {
				m++
			}
			return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
		},
		next: func(t time.Time) time.Time {
			return time.Date(t.Year(), t.Month()+time.Month(step), 1, 0, 0, 0, 0, t.Location())
		},
		label: func(t time.Time) string { return t.Format("Jan") },
		year:  true,
	}
}

func yearUnit(step int) dateUnit {
	return dateUnit{
		name: "year",
		first: func(t time.Time) time.Time {
			y := t.Year()
			if t.Month() != 1 || t.Day() != 1 {
				y++
			}
			for y%step != 0 {
				y++
			}
			return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
		},
		next: func(t time.Time) time.Time {
			return time.Date(t.Year()+step, 1, 1, 0, 0, 0, 0, t.Location())
		},
		label: func(t time.Time) string { return t.Format("2006") },
	}
}

var dateUnits = []dateUnit{
	dayUnit(1), dayUnit(2), weekUnit, halfMonthUnit,
	monthUnit(1), monthUnit(2), monthUnit(3), monthUnit(6),
	yearUnit(1), yearUnit(2), yearUnit(5), yearUnit(10), yearUnit(20), yearUnit(50),
	yearUnit(100), yearUnit(200), yearUnit(500), yearUnit(1000),
}

// niceDateTicks picks the finest calendar spacing that puts at most maxTicks ticks in
// [from, to], and labels them with English month names.
func niceDateTicks(from, to time.Time, maxTicks int) []dateTick {
	if to.Before(from) {
		from, to = to, from
	}
	if maxTicks < 2 {
		maxTicks = 2
	}
	start := midnight(from)
	if start.Before(from) {
		start = addDays(start, 1)
	}
	var ticks []time.Time
	var unit dateUnit
	for _, u := range dateUnits {
		unit = u
		ticks = ticks[:0]
		for t := u.first(start); !t.After(to); t = u.next(t) {
			ticks = append(ticks, t)
			if len(ticks) > maxTicks {
				break
			}
		}
		if len(ticks) <= maxTicks {
			break
		}
	}
	out := make([]dateTick, len(ticks))
	for i, t := range ticks {
		out[i] = dateTick{T: t, Label: unit.label(t)}
		if unit.year && (i == 0 || ticks[i-1].Year() != t.Year()) {
			out[i].Sub = t.Format("2006")
		}
	}
	return out
}
