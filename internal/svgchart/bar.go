package svgchart

import (
	"html/template"
	"io"
	"math"
	"strings"
)

// Bar is one category of a BarChart.
type Bar struct {
	Label string
	Value float64
	// Class is added to the bar for the dashboard stylesheet; Color overrides the chart colour.
	Class, Color string
}

// BarChart draws categories as horizontal bars, in the order given, e.g. allocations by idle
// bucket (0–30, 30–60, 60–90, 90+ days) or counts per license type.
type BarChart struct {
	// Width defaults to 480. Height defaults to fit the bars (24 per bar plus axes).
	Width, Height int
	Title         string
	// ValueLabel names the unit of the values, e.g. "allocations"; it is drawn under the axis.
	ValueLabel string
	Bars       []Bar
	// Color is the default bar colour.
	Color string
	// Desc overrides the generated accessible description.
	Desc string
}

// SVG returns the bar chart markup for html/template.
func (c *BarChart) SVG() template.HTML {
	return template.HTML(c.build()) // #nosec G203 -- generated markup, all text escaped
}

// Render writes the bar chart as an <svg> element.
func (c *BarChart) Render(w io.Writer) error { return render(w, c.build()) }

func (c *BarChart) description() string {
	if c.Desc != "" {
		return c.Desc
	}
	if len(c.Bars) == 0 {
		return nameOr(c.Title, "Bar chart") + ": " + noData
	}
	parts := make([]string, len(c.Bars))
	for i, b := range c.Bars {
		parts[i] = b.Label + ": " + formatValue(b.Value)
	}
	s := strings.Join(parts, ", ")
	if c.ValueLabel != "" {
		s += " " + c.ValueLabel
	}
	if c.Title != "" {
		s = c.Title + ": " + s
	}
	return s
}

const barPitch = 24.0

func (c *BarChart) build() []byte {
	wd := sizeOr(c.Width, 480)
	top := 10.0
	if c.Title != "" {
		top += 22
	}
	bottom := 22.0
	if c.ValueLabel != "" {
		bottom += 14
	}
	n := len(c.Bars)
	ht := sizeOr(c.Height, int(top+math.Max(1, float64(n))*barPitch+bottom))
	w := &buf{b: make([]byte, 0, 2048)}
	w.open("bar", int(wd), int(ht), nameOr(c.Title, "Bar chart"), c.description())
	if c.Title != "" {
		w.text("sc-title", 8, 20, "", `font-size="14" font-weight="600"`, c.Title)
	}
	if n == 0 {
		w.noDataText(wd/2, (top+ht-bottom)/2+5)
		w.close()
		return w.b
	}
	// Label column fits the longest label, capped at 40% of the width (longer labels overflow
	// to the left but stay readable in the tooltip).
	labelW := 0.0
	vmin, vmax := 0.0, 0.0
	for _, b := range c.Bars {
		labelW = math.Max(labelW, textWidth(b.Label, 11))
		if finite(b.Value) {
			vmin, vmax = math.Min(vmin, b.Value), math.Max(vmax, b.Value)
		}
	}
	left := 8 + math.Min(labelW, wd*0.4) + 8
	right := wd - 12
	bot := ht - bottom
	pitch := (bot - top) / float64(n)
	maxTicks := int(math.Max(2, math.Min(8, (right-left)/70)))
	yt := niceNumberTicks(vmin, vmax, maxTicks)
	// The value text at the end of the longest bar needs room inside the plot.
	valW := 0.0
	for _, b := range c.Bars {
		valW = math.Max(valW, textWidth(formatValue(b.Value), 11))
	}
	plotRight := math.Max(left+20, right-valW-6)
	x := func(v float64) float64 { return left + (v-yt.Lo)/(yt.Hi-yt.Lo)*(plotRight-left) }

	w.s(`<g class="sc-axis sc-x">`)
	for _, v := range yt.Values {
		xv := x(v)
		w.line("sc-grid", xv, top, xv, bot, `stroke="`+colGrid+`" stroke-width="1"`)
		w.text("sc-tick", xv, bot+14, "middle", `font-size="11" fill="`+colMuted+`"`, formatNum(v, yt.Decimals))
	}
	if c.ValueLabel != "" {
		w.text("sc-xlabel", (left+plotRight)/2, bot+28, "middle", `font-size="11" fill="`+colMuted+`"`, c.ValueLabel)
	}
	w.s("</g>")
	col := c.Color
	if col == "" {
		col = palette[0]
	}
	zero := x(0)
	for i, b := range c.Bars {
		y := top + float64(i)*pitch
		bh := math.Max(2, pitch*0.7)
		cy := y + pitch/2
		w.s(`<g class="sc-bar`)
		if b.Class != "" {
			w.s(" ")
			w.esc(b.Class)
		}
		w.s(`">`)
		w.text("sc-bar-label", left-8, cy+4, "end", `font-size="11"`, b.Label)
		bc := b.Color
		if bc == "" {
			bc = col
		}
		v := b.Value
		if finite(v) {
			x0, x1 := zero, x(v)
			if x1 < x0 {
				x0, x1 = x1, x0
			}
			w.rect("sc-bar-rect", x0, cy-bh/2, math.Max(x1-x0, 0.5), bh, `fill="`+html_(bc)+`"><title>`)
			w.esc(b.Label + ": " + formatValue(v))
			w.s("</title></rect>")
			w.text("sc-bar-value", math.Max(x(v), zero)+4, cy+4, "", `font-size="11"`, formatValue(v))
		} else {
			w.text("sc-bar-value", zero+4, cy+4, "", `font-size="11" fill="`+colMuted+`"`, "no data")
		}
		w.s("</g>")
	}
	w.line("sc-baseline", zero, top, zero, bot, `stroke="`+colAxis+`" stroke-width="1"`)
	w.close()
	return w.b
}
