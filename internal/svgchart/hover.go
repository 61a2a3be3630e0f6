package svgchart

import (
	"math"
	"slices"
	"strings"
	"time"
)

// minColumn is the narrowest hover column in viewBox units; dates closer than this share one.
const minColumn = 4.0

// drawHover lays invisible full-height columns over the plot, one per date (or per group of
// dates closer than minColumn), each with a <title> listing every series' value there. Native
// tooltips then work anywhere in the plot, without JavaScript and without thousands of tiny
// hit targets.
func drawHover(w *buf, l *tsLayout, fcName string) {
	if fcName == "" {
		fcName = "forecast"
	}
	// Distinct x positions of all data.
	// Distinct instants as Unix nanoseconds: sorting integers is much cheaper than time.Time.
	ts := make([]int64, 0, l.points)
	for _, s := range l.series {
		for _, p := range s.Points {
			if finite(p.V) && !p.T.IsZero() {
				ts = append(ts, p.T.UnixNano())
			}
		}
	}
	for _, b := range l.hoverBands {
		ts = append(ts, b.T.UnixNano())
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if len(ts) == 0 {
		return
	}
	// Group dates into columns at least minColumn wide.
	type group struct{ from, to time.Time }
	var groups []group
	for _, n := range ts {
		t := time.Unix(0, n).In(l.loc)
		if k := len(groups); k > 0 && l.x(t)-l.x(groups[k-1].from) < minColumn {
			groups[k-1].to = t
			continue
		}
		groups = append(groups, group{t, t})
	}
	cursor := make([]int, len(l.series))
	bc := 0
	var sb strings.Builder
	w.s(`<g class="sc-hover" fill="#FFFFFF" fill-opacity="0">`)
	for gi, g := range groups {
		x0 := l.left
		if gi > 0 {
			x0 = (l.x(groups[gi-1].to) + l.x(g.from)) / 2
		}
		x1 := l.right
		if gi+1 < len(groups) {
			x1 = (l.x(g.to) + l.x(groups[gi+1].from)) / 2
		}
		sb.Reset()
		sb.WriteString(g.from.Format(time.DateOnly))
		if !g.to.Equal(g.from) {
			sb.WriteString(" to ")
			sb.WriteString(g.to.Format(time.DateOnly))
		}
		for si, s := range l.series {
			lo, hi, n, recon := math.Inf(1), math.Inf(-1), 0, false
			for ; cursor[si] < len(s.Points) && !s.Points[cursor[si]].T.After(g.to); cursor[si]++ {
				p := s.Points[cursor[si]]
				if !finite(p.V) {
					continue
				}
				lo, hi, n = math.Min(lo, p.V), math.Max(hi, p.V), n+1
				recon = recon || p.Reconstructed
			}
			if n == 0 {
				continue
			}
			sb.WriteString("\n")
			sb.WriteString(nameOr(s.Name, "series "+itoa(si+1)))
			sb.WriteString(": ")
			sb.WriteString(rangeText(lo, hi))
			if recon {
				sb.WriteString(" (reconstructed)")
			}
		}
		for ; bc < len(l.hoverBands) && !l.hoverBands[bc].T.After(g.to); bc++ {
			if bc+1 < len(l.hoverBands) && !l.hoverBands[bc+1].T.After(g.to) {
				continue // show the last forecast day of the column
			}
			b := l.hoverBands[bc]
			sb.WriteString("\n")
			sb.WriteString(fcName)
			sb.WriteString(": ")
			sb.WriteString(formatValue(math.Round(b.Mean)))
			if finite(b.Lo) && finite(b.Hi) {
				sb.WriteString(" (")
				sb.WriteString(rangeText(math.Round(b.Lo), math.Round(b.Hi)))
				sb.WriteString(")")
			}
		}
		w.rect("sc-hit", x0, l.top, x1-x0, l.bot-l.top, "><title>")
		w.esc(sb.String())
		w.s("</title></rect>")
	}
	w.s("</g>")
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func rangeText(lo, hi float64) string {
	if lo == hi {
		return formatValue(lo)
	}
	return formatValue(lo) + "–" + formatValue(hi)
}
