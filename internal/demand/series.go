package demand

import (
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Preference is the order in which sources are trusted: events read from
// the Qlik Sense logs, then imported counts, then the QRS estimate.
var Preference = []string{license.DenialsFromLogs, license.DenialsFromImport, license.DenialsEstimated}

// Choose returns the most trusted source that has any day in days (all of
// one type, as store.Denials returns them) and that source's days, in
// order; "" and nil when there is none. Sources are never summed: they
// count the same refusals with different confidence.
func Choose(days []license.DenialDay) (string, []license.DenialDay) {
	for _, src := range Preference {
		var out []license.DenialDay
		for _, d := range days {
			if d.Source == src {
				out = append(out, d)
			}
		}
		if len(out) > 0 {
			return src, out
		}
	}
	return "", nil
}

// Windows of the waiting model (see Waiting).
const (
	// EstimateWindowDays is how long a user counted by the estimate is
	// assumed to keep waiting for a seat.
	EstimateWindowDays = 30
	// EventWindowDays is the window whose busiest day measures the people
	// waiting, for sources that count refusals per day.
	EventWindowDays = 7
)

// WindowDays is the waiting window of a source.
func WindowDays(source string) int {
	if source == license.DenialsEstimated {
		return EstimateWindowDays
	}
	return EventWindowDays
}

// Waiting is the unmet demand from one source's days (one type) that is
// still waiting on each day asked for. The two kinds of source count
// different things, so they are read differently:
//
//   - the QRS estimate counts each refused user once, on the day the user
//     appeared; the users counted in the EstimateWindowDays days up to a day
//     are taken as still waiting that day (later they are assumed to have
//     got a seat, and then count as allocated, or to have given up);
//   - logs and imported counts record refusals every day a person tries;
//     the busiest day of the EventWindowDays days up to a day is taken as the
//     people waiting (distinct users that day when known, else denial
//     events, which overstate people who retried the same day).
//
// Both are lower bounds on the people who wanted a seat (not everyone tries
// every week; a refused user without a QRS record is not estimated).
type Waiting struct {
	source string
	window int
	per    map[time.Time]float64
}

// NewWaiting prepares Waiting over the days of one source.
func NewWaiting(source string, days []license.DenialDay) *Waiting {
	w := &Waiting{source: source, window: WindowDays(source), per: make(map[time.Time]float64, len(days))}
	for _, d := range days {
		v := float64(d.Denials)
		if d.UsersKnown {
			v = float64(d.Users)
		}
		w.per[license.Day(d.Day)] += v
	}
	return w
}

// At returns the unmet demand still waiting on the UTC day of t.
func (w *Waiting) At(t time.Time) float64 {
	if w == nil || len(w.per) == 0 {
		return 0
	}
	day := license.Day(t)
	var sum, peak float64
	for k := range w.window {
		v := w.per[day.AddDate(0, 0, -k)]
		sum += v
		peak = max(peak, v)
	}
	if w.source == license.DenialsEstimated {
		return sum
	}
	return peak
}

// Point is one day of a type's series as the report reads it.
type Point struct {
	Day       time.Time
	Allocated float64
	Licensed  float64
}

// AtCapacity reports whether the type was full on the point's day: seats
// (or passes) allocated up to the licensed total, so that nobody more could
// get one.
func AtCapacity(p Point) bool { return p.Licensed > 0 && p.Allocated >= p.Licensed }

// Series returns the daily demand of a type: allocated plus the unmet demand
// still waiting, on the days the type was full; allocated alone on the other
// days (a refusal needs a full type, and once seats are free the waiting
// users get one and count as allocated). The result has one value per point.
func Series(pts []Point, w *Waiting) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.Allocated
		if AtCapacity(p) {
			out[i] += w.At(p.Day)
		}
	}
	return out
}

// PlateauStart returns the index of the first point of the trailing run of
// days at capacity, or len(pts) when the last point is not at capacity.
func PlateauStart(pts []Point) int {
	i := len(pts)
	for i > 0 && AtCapacity(pts[i-1]) {
		i--
	}
	return i
}
