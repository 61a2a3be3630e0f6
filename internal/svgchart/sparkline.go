package svgchart

import (
	"html/template"
	"io"
	"math"
	"slices"
	"time"
)

// Sparkline is a tiny line without axes for table cells, with a dot on the latest value.
type Sparkline struct {
	// Width and Height default to 120×24.
	Width, Height int
	// Name is used in the accessible title and tooltip, e.g. "Professional allocated".
	Name   string
	Points []Point
	// Color defaults to the first palette colour.
	Color string
	// FromZero puts zero at the bottom instead of the data minimum; use it when the absolute
	// level matters more than the shape.
	FromZero bool
	// Desc overrides the generated accessible description.
	Desc string
}

// SVG returns the sparkline markup for html/template.
func (s *Sparkline) SVG() template.HTML {
	return template.HTML(s.build()) // #nosec G203 -- generated markup, all text escaped
}

// Render writes the sparkline as an <svg> element.
func (s *Sparkline) Render(w io.Writer) error { return render(w, s.build()) }

func (s *Sparkline) points() []Point {
	pts := make([]Point, 0, len(s.Points))
	for _, p := range s.Points {
		if finite(p.V) && !p.T.IsZero() {
			pts = append(pts, p)
		}
	}
	slices.SortStableFunc(pts, cmpPoint)
	return pts
}

func (s *Sparkline) description(pts []Point) string {
	if s.Desc != "" {
		return s.Desc
	}
	name := nameOr(s.Name, "Trend")
	switch len(pts) {
	case 0:
		return name + ": " + noData
	case 1:
		return name + " " + formatValue(pts[0].V) + " on " + pts[0].T.Format(time.DateOnly)
	}
	a, b := pts[0], pts[len(pts)-1]
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	return name + " " + formatValue(a.V) + " on " + a.T.Format(time.DateOnly) + " to " + formatValue(b.V) + " on " +
		b.T.Format(time.DateOnly) + " (range " + rangeText(lo, hi) + ")"
}

func (s *Sparkline) build() []byte {
	wd, ht := sizeOr(s.Width, 120), sizeOr(s.Height, 24)
	pts := s.points()
	desc := s.description(pts)
	w := &buf{b: make([]byte, 0, 1024)}
	w.open("sparkline", int(wd), int(ht), nameOr(s.Name, "Trend"), desc)
	if len(pts) == 0 {
		w.text("sc-nodata", wd/2, ht/2+4, "middle", `font-size="10" fill="`+colMuted+`"`, noData)
		w.close()
		return w.b
	}
	col := html_(nameOr(s.Color, palette[0]))
	const pad = 3.0 // room for the end dot
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	if s.FromZero {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	t0, t1 := unixF(pts[0].T), unixF(pts[len(pts)-1].T)
	x := func(t time.Time) float64 {
		if t1 == t0 {
			return wd / 2
		}
		return pad + (unixF(t)-t0)/(t1-t0)*(wd-2*pad)
	}
	y := func(v float64) float64 {
		if hi == lo {
			return ht / 2 // a flat line sits in the middle
		}
		return ht - pad - (v-lo)/(hi-lo)*(ht-2*pad)
	}
	pts = downsample(pts, int(wd), t0, t1)
	var d path
	d.move(x(pts[0].T), y(pts[0].V))
	for _, p := range pts[1:] {
		d.line(x(p.T), y(p.V))
	}
	if len(pts) > 1 {
		w.s(`<path class="sc-line" d="`, string(d.d), `" fill="none" stroke="`, col, `" stroke-width="1.5" stroke-linejoin="round"/>`)
	}
	last := pts[len(pts)-1]
	w.s(`<circle class="sc-dot" cx="`)
	w.f(x(last.T))
	w.s(`" cy="`)
	w.f(y(last.V))
	w.s(`" r="2" fill="`, col, `"/>`)
	// One tooltip for the whole sparkline: per-point targets would dwarf the line itself.
	w.rect("sc-hit", 0, 0, wd, ht, `fill="#FFFFFF" fill-opacity="0"><title>`)
	w.esc(desc)
	w.s("</title></rect>")
	w.close()
	return w.b
}
