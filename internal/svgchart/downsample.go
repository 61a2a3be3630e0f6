package svgchart

import "math"

// downsample reduces a time-sorted series to about one point per pixel column: the time range
// [t0, t1] is cut into cols/2 equal buckets and each bucket keeps its minimum and maximum, in
// time order (min-max decimation). Peaks and dips survive, which matters for capacity charts
// where the maximum is the story; the series' first and last points are always kept, and a gap
// (non-finite value) inside a bucket is kept as one point so the line still breaks there.
// Reconstructed flags travel with their points. Series with no more points than columns are
// returned unchanged.
func downsample(pts []Point, cols int, t0, t1 float64) []Point {
	buckets := cols / 2
	if buckets < 1 || len(pts) <= cols || t1 <= t0 {
		return pts
	}
	out := make([]Point, 0, 2*buckets+4)
	scale := float64(buckets) / (t1 - t0)
	for i := 0; i < len(pts); {
		b := int(math.Floor((unixF(pts[i].T) - t0) * scale))
		j := i + 1
		for j < len(pts) && int(math.Floor((unixF(pts[j].T)-t0)*scale)) == b {
			j++
		}
		out = appendBucket(out, pts[i:j], i == 0, j == len(pts))
		i = j
	}
	return out
}

// appendBucket appends the bucket's extremes (and a gap marker, and the first or last point of
// the whole series) in time order, each once.
func appendBucket(out []Point, b []Point, first, last bool) []Point {
	if len(b) <= 2 {
		return append(out, b...)
	}
	lo, hi, gap := -1, -1, -1
	for k, p := range b {
		if !finite(p.V) {
			if gap < 0 {
				gap = k
			}
			continue
		}
		if lo < 0 || p.V < b[lo].V {
			lo = k
		}
		if hi < 0 || p.V > b[hi].V {
			hi = k
		}
	}
	keep := [5]int{lo, hi, gap, -1, -1}
	if first {
		keep[3] = 0
	}
	if last {
		keep[4] = len(b) - 1
	}
	// Sort the five indexes (insertion sort; tiny) and append each once.
	for x := 1; x < len(keep); x++ {
		for y := x; y > 0 && keep[y] < keep[y-1]; y-- {
			keep[y], keep[y-1] = keep[y-1], keep[y]
		}
	}
	prev := -1
	for _, k := range keep {
		if k >= 0 && k != prev {
			out = append(out, b[k])
			prev = k
		}
	}
	return out
}
