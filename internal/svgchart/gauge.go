package svgchart

import (
	"html/template"
	"io"
	"math"
	"strconv"
)

// Gauge is a small semicircle showing "allocated X of Y licensed, Z% used", coloured by
// warning and critical levels, with an optional run-out line underneath. It draws a grey track
// (the whole license) and the value arc on it, nothing else.
type Gauge struct {
	// Width and Height are the viewBox size; default 160 wide and as high as its text needs. It
	// is never drawn larger than that, and a layout that gives it at least 150 px keeps its
	// smallest text (12 units) at 11 px or more.
	Width, Height int
	// Label names what is measured, e.g. "Professional". It is drawn above the arc.
	Label string
	// Value is the used amount and Max the capacity (e.g. allocated and licensed seats).
	Value, Max float64
	// Warn and Crit are the fractions of Max from which the gauge turns amber and red; defaults
	// 0.8 and 0.95.
	Warn, Crit float64
	// RunOut is a short note under the numbers, e.g. "run-out 2027-05-03".
	RunOut string
	// Of is the word after "X of Y"; default "licensed" (e.g. "minutes" for a capacity pool).
	Of string
	// Desc overrides the generated accessible description.
	Desc string
}

// SVG returns the gauge markup for html/template.
func (g *Gauge) SVG() template.HTML {
	return template.HTML(g.build()) // #nosec G203 -- generated markup, all text escaped
}

// Render writes the gauge as an <svg> element.
func (g *Gauge) Render(w io.Writer) error { return render(w, g.build()) }

func (g *Gauge) levels() (warn, crit float64) {
	warn, crit = g.Warn, g.Crit
	if !finite(warn) || warn <= 0 {
		warn = 0.8
	}
	if !finite(crit) || crit <= 0 {
		crit = 0.95
	}
	if crit < warn {
		crit = warn
	}
	return warn, crit
}

// Gauge states, as State returns them and the gauge's CSS classes name them.
const (
	GaugeOK           = "ok"
	GaugeWarning      = "warning"
	GaugeCritical     = "critical"
	GaugeOver         = "over"          // more used than licensed
	GaugeNoneLicensed = "none-licensed" // something used, nothing licensed
	GaugeNoData       = "no-data"
)

// State is the gauge's level: over the license, critical, warning or ok by
// its Warn and Crit levels, none-licensed or no-data. A site card takes its
// license verdict from it, so the card and the gauge never disagree.
func (g *Gauge) State() string {
	if !g.valid() {
		if g.overAllocated() {
			return GaugeNoneLicensed
		}
		return GaugeNoData
	}
	st, _ := g.state(g.Value / g.Max)
	return st
}

// state returns the CSS state name and colour for fraction f. Over the
// license has its own colour and words: 101% must not look like 95%.
func (g *Gauge) state(f float64) (string, string) {
	warn, crit := g.levels()
	switch {
	case f > 1:
		return "over", colOver
	case f >= crit:
		return "critical", colCrit
	case f >= warn:
		return "warning", colWarn
	}
	return "ok", colOK
}

// overAllocated is usage without any capacity: something is allocated but nothing licensed.
func (g *Gauge) overAllocated() bool {
	return finite(g.Value) && finite(g.Max) && g.Max <= 0 && g.Value > 0
}

func (g *Gauge) valid() bool { return finite(g.Value) && finite(g.Max) && g.Max > 0 }

func (g *Gauge) description() string {
	if g.Desc != "" {
		return g.Desc
	}
	name := nameOr(g.Label, "Usage")
	if !g.valid() {
		if g.overAllocated() {
			return name + ": " + formatValue(g.Value) + " allocated, none licensed"
		}
		return name + ": " + noData
	}
	f := g.Value / g.Max
	st, _ := g.state(f)
	s := name + ": " + formatValue(g.Value) + " of " + formatValue(g.Max) + " licensed, " + pct(f) + " used (" + stateWords(st) + ")"
	if g.RunOut != "" {
		s += "; " + g.RunOut
	}
	return s
}

func pct(f float64) string {
	return strconv.FormatFloat(math.Floor(f*100+0.5), 'f', 0, 64) + "%"
}

func (g *Gauge) build() []byte {
	// The value lines: "425 of 500 licensed", split in two when too wide for the box.
	wd := sizeOr(g.Width, 160)
	var lines []string
	if g.valid() {
		nums, tail := formatValue(g.Value)+" of "+formatValue(g.Max), nameOr(g.Of, "licensed")
		if st, _ := g.state(g.Value / g.Max); st == GaugeOver {
			nums, tail = nums+",", formatValue(g.Value-g.Max)+" over"
		}
		lines = []string{nums + " " + tail}
		if textWidth(lines[0], fontSmall) > wd-8 {
			lines = []string{nums, tail}
		}
	}
	// Geometry: the arc fills the width; the text goes inside and under it.
	r := wd/2 - 16
	if r < 10 {
		r = 10
	}
	sw := math.Max(6, r/4)
	cy := 20 + sw/2 + r
	runOut := wrapText(g.RunOut, wd-8, fontSmall)
	defHt := cy + 6 + float64(len(lines)+len(runOut))*legendRow
	ht := sizeOr(g.Height, int(math.Ceil(defHt)))
	if g.Height > 0 && cy > ht-8 { // a box too low for the width: shrink the arc to fit
		r = math.Max(10, ht-28-sw/2)
		cy = 20 + sw/2 + r
	}
	cx := wd / 2
	w := &buf{b: make([]byte, 0, 2048)}
	w.open("gauge", int(wd), int(ht), nameOr(g.Label, "Usage")+" gauge", g.description())
	if g.Label != "" {
		w.text("sc-title", cx, 13, "middle", small+` font-weight="600"`, g.Label)
	}
	arc := func(class string, f0, f1 float64, col, extra string) {
		f0, f1 = clamp01(f0), clamp01(f1)
		if f1 <= f0 {
			return
		}
		x0, y0 := arcPoint(cx, cy, r, f0)
		x1, y1 := arcPoint(cx, cy, r, f1)
		w.s(`<path class="`, class, `" d="M`)
		w.f(x0)
		w.s(" ")
		w.f(y0)
		w.s("A")
		w.f(r)
		w.s(" ")
		w.f(r)
		w.s(" 0 0 1 ")
		w.f(x1)
		w.s(" ")
		w.f(y1)
		w.s(`" fill="none" stroke="`, col, `" `, extra, `/>`)
	}
	sws := fnum(sw)
	arc("sc-gauge-track", 0, 1, "#E5E5E5", `stroke-width="`+sws+`"`)
	if !g.valid() {
		msg := noData
		if g.overAllocated() {
			msg = "none licensed"
		}
		w.text("sc-nodata", cx, cy-4, "middle", small+` fill="`+colMuted+`"`, msg)
		w.close()
		return w.b
	}
	f := g.Value / g.Max
	st, col := g.state(f)
	w.s(`<g class="sc-gauge-value sc-`, st, `"><title>`)
	w.esc(g.description())
	w.s("</title>")
	arc("sc-gauge-bar", 0, f, col, `stroke-width="`+sws+`"`)
	w.s("</g>")
	w.text("sc-gauge-pct sc-"+st, cx, cy-3, "middle", `font-size="`+fnum(math.Max(fontTitle, math.Round(r/2.4)))+`" font-weight="700" fill="`+col+`"`, pct(f))
	y := cy + 4 + fontSmall
	for _, ln := range lines {
		w.text("sc-gauge-of", cx, y, "middle", small+` fill="`+colMuted+`"`, ln)
		y += legendRow
	}
	for _, ln := range runOut {
		w.text("sc-gauge-runout", cx, y, "middle", small+` fill="`+colText+`"`, ln)
		y += legendRow
	}
	w.close()
	return w.b
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

// arcPoint is the point at fraction f along the upper semicircle, from left (0) to right (1).
func arcPoint(cx, cy, r, f float64) (float64, float64) {
	a := math.Pi * (1 - f)
	return cx + r*math.Cos(a), cy - r*math.Sin(a)
}

// stateWords says a state for a reader.
func stateWords(st string) string {
	if st == GaugeOver {
		return "over the license"
	}
	return st
}
