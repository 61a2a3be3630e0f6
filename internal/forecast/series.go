package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Point is one daily observation of a license type, for example allocated Professional seats.
type Point struct {
	// Day is the calendar day of the snapshot; only its date (in its own location) is used, and
	// several points on one day collapse to the latest.
	Day time.Time
	// Value is the measured quantity, such as allocated seats.
	Value float64
	// Reconstructed marks a lower bound backfilled from allocation createdDate values rather than
	// a snapshot taken on that day. See Options.IncludeReconstructed.
	Reconstructed bool
}

// daily is a series resampled to exactly one value per calendar day. Days without an observation
// are filled by linear interpolation between the neighbouring observations and marked unobserved:
// they feed the smoothing recursion but never its error sum or residual pool.
type daily struct {
	first    time.Time // midnight of the first day, in the location of the last point
	values   []float64
	observed []bool
	points   int // observed days
	recon    int // observed days whose value is a reconstructed point
	excluded int // reconstructed points left out
}

// dayNumber counts calendar days since 1970-01-01 for the date of t in t's own location, so that
// day arithmetic is immune to DST and time zones.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// day returns the calendar day i days after the first day.
func (d *daily) day(i int) time.Time {
	y, m, dd := d.first.Date()
	return time.Date(y, m, dd+i, 0, 0, 0, 0, d.first.Location())
}

func (d *daily) last() float64 { return d.values[len(d.values)-1] }

// truncate returns the series up to and including index i, which must be an observed day (so no
// value interpolated from later data survives).
func (d *daily) truncate(i int) daily {
	t := daily{first: d.first, values: d.values[:i+1], observed: d.observed[:i+1]}
	for _, o := range t.observed {
		if o {
			t.points++
		}
	}
	t.recon = -1 // unknown after truncation; only used for reporting on full fits
	return t
}

// resample validates the points and turns them into a daily series.
func resample(series []Point, includeRecon bool) (daily, error) {
	type obs struct {
		day   int
		at    time.Time
		value float64
		recon bool
	}
	var d daily
	pts := make([]obs, 0, len(series))
	var loc *time.Location
	var lastAt time.Time
	for i, p := range series {
		if p.Day.IsZero() {
			return d, fmt.Errorf("read point %d: day is not set", i)
		}
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			return d, fmt.Errorf("read point %d (%s): value %v is not a finite number", i, p.Day.Format(time.DateOnly), p.Value)
		}
		if p.Reconstructed && !includeRecon {
			d.excluded++
			continue
		}
		if loc == nil || p.Day.After(lastAt) {
			loc, lastAt = p.Day.Location(), p.Day
		}
		pts = append(pts, obs{dayNumber(p.Day), p.Day, p.Value, p.Reconstructed})
	}
	if len(pts) == 0 {
		return d, nil
	}
	// Sort by day; on one day a measured point beats a reconstructed one, then the latest wins.
	slices.SortStableFunc(pts, func(a, b obs) int {
		switch {
		case a.day != b.day:
			return a.day - b.day
		case a.recon != b.recon:
			if a.recon {
				return -1
			}
			return 1
		}
		return a.at.Compare(b.at)
	})
	dedup := pts[:0]
	for _, p := range pts {
		if n := len(dedup); n > 0 && dedup[n-1].day == p.day {
			dedup[n-1] = p
			continue
		}
		dedup = append(dedup, p)
	}
	first, lastDay := dedup[0].day, dedup[len(dedup)-1].day
	n := lastDay - first + 1
	d.values = make([]float64, n)
	d.observed = make([]bool, n)
	y, m, dd := time.Unix(int64(first)*86400, 0).UTC().Date()
	d.first = time.Date(y, m, dd, 0, 0, 0, 0, loc)
	for k, p := range dedup {
		i := p.day - first
		d.values[i], d.observed[i] = p.value, true
		d.points++
		if p.recon {
			d.recon++
		}
		if k > 0 { // interpolate the gap since the previous observation
			prev := dedup[k-1]
			j := prev.day - first
			for g := j + 1; g < i; g++ {
				f := float64(g-j) / float64(i-j)
				d.values[g] = prev.value + f*(p.value-prev.value)
			}
		}
	}
	return d, nil
}

// checkHistory returns a *HistoryError when the series is shorter than the configured minimum.
func checkHistory(d daily, c config) error {
	if d.points == 0 || len(d.values) < c.minDays || d.points < c.minPoints {
		return &HistoryError{Days: len(d.values), Points: d.points, NeedDays: c.minDays, NeedPoints: c.minPoints, Excluded: d.excluded}
	}
	return nil
}
