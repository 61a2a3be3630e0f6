package svgchart

import (
	"math"
	"strings"
	"time"
)

// description summarises the chart in one sentence for screen readers and for anyone whose
// email client does not render SVG, e.g. "Professional from 2024-01-01 to 2026-11-26, 310 to
// 460; licensed 500; forecast to 2027-11-26: 540 (480–600); run-out 2027-05-03 (2027-04-10 to
// 2027-07-20)".
func (c *TimeSeriesChart) description(l *tsLayout) string {
	if c.Desc != "" {
		return c.Desc
	}
	if !l.hasData {
		return nameOr(c.Title, "Chart") + ": " + noData
	}
	var parts []string
	for i, s := range l.series {
		name := nameOr(s.Name, "series "+itoa(i+1))
		var first, last time.Time
		lo, hi, n, recon := math.Inf(1), math.Inf(-1), 0, 0
		for _, p := range s.Points {
			if !finite(p.V) || p.T.IsZero() {
				continue
			}
			if n == 0 {
				first = p.T
			}
			last = p.T
			lo, hi, n = math.Min(lo, p.V), math.Max(hi, p.V), n+1
			if p.Reconstructed {
				recon++
			}
		}
		switch n {
		case 0:
			parts = append(parts, name+": "+noData)
			continue
		case 1:
			parts = append(parts, name+" "+formatValue(lo)+" on "+first.Format(time.DateOnly))
		default:
			parts = append(parts, name+" from "+first.Format(time.DateOnly)+" to "+last.Format(time.DateOnly)+", "+
				formatValue(lo)+" to "+formatValue(hi))
		}
		if recon > 0 {
			parts[len(parts)-1] += " (" + itoa(recon) + " reconstructed)"
		}
	}
	for _, th := range c.Thresholds {
		if finite(th.Value) {
			parts = append(parts, thresholdText(th))
		}
	}
	if n := len(l.hoverBands); n > 0 {
		b := l.hoverBands[n-1]
		s := nameOr(c.Forecast.Name, "forecast") + " to " + b.T.Format(time.DateOnly) + ": " + formatValue(math.Round(b.Mean))
		if finite(b.Lo) && finite(b.Hi) {
			s += " (" + rangeText(math.Round(b.Lo), math.Round(b.Hi)) + ")"
		}
		parts = append(parts, s)
	}
	for _, m := range c.Markers {
		if m.T.IsZero() || m.Label == "" {
			continue
		}
		s := m.Label
		if !m.From.IsZero() && !m.To.IsZero() {
			s += " (" + m.From.Format(time.DateOnly) + " to " + m.To.Format(time.DateOnly) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
