package svgchart

import (
	"html"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

// Chart is implemented by every chart in this package.
type Chart interface {
	// Render writes the chart as one <svg> element.
	Render(w io.Writer) error
	// SVG returns the same markup for html/template. It is safe as template.HTML because the
	// markup is generated here and every caller-supplied string in it is escaped.
	SVG() template.HTML
}

// Default colours. The series palette is Okabe–Ito, which stays distinguishable with the common
// forms of colour blindness; yellow is left out because it has too little contrast on white.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"}

// Colours of the license charts, one meaning each, the same on the dashboard and in the HTML
// report (docs/CHARTS.md). Callers use these, never their own hex.
const (
	// ColorHistory is the measured history (allocated seats, minutes used).
	ColorHistory = "#0072B2"
	// ColorForecast is the forecast's band and mean line: never the history's colour.
	ColorForecast = "#009E73"
	// ColorLicensed is the licensed total (or the capacity pool) and the run-out mark.
	ColorLicensed = "#D55E00"
	// ColorDemand is demand that the license refused on top of allocated.
	ColorDemand = "#CC79A7"
)

// Font sizes in viewBox units. A chart is never drawn larger than its viewBox (max-width), and
// the dashboard and the report lay charts out so they are rarely drawn much smaller: at the
// narrowest column a wide chart gets (520 px for a 560 wide viewBox) 12 units are 11 px, and the
// narrow variant (360 wide) keeps them at 11 px or more on a 390 px phone.
const (
	fontSmall = 12.0
	fontTitle = 14.0
)

const (
	colText      = "#333333"
	colMuted     = "#666666"
	colGrid      = "#E5E5E5"
	colAxis      = "#999999"
	colThreshold = ColorLicensed
	colMarker    = "#444444"
	colOK        = "#0072B2"
	colWarn      = "#E69F00"
	colCrit      = "#D55E00"
	colOver      = "#882255" // over the license: darker and redder than critical, never the same orange
	fontFamily   = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
)

// noData is the text an empty chart shows.
const noData = "no data yet"

// buf accumulates SVG markup. Methods append; escaping happens in text and attr helpers only.
type buf struct{ b []byte }

func (w *buf) s(parts ...string) {
	for _, p := range parts {
		w.b = append(w.b, p...)
	}
}

// esc appends s XML-escaped, safe in both text content and quoted attribute values.
func (w *buf) esc(s string) { w.b = append(w.b, html.EscapeString(s)...) }

// f appends a coordinate rounded to one decimal, without a trailing ".0" and never "-0".
func (w *buf) f(v float64) { w.b = appendCoord(w.b, v) }

func appendCoord(b []byte, v float64) []byte {
	if !finite(v) {
		v = 0
	}
	t := math.Round(v * 10)
	if math.Abs(t) >= 1e15 { // beyond exact integer tenths; never a real coordinate
		return strconv.AppendFloat(b, t/10, 'f', -1, 64)
	}
	// Integer tenths formatted by hand: this runs for every path vertex and is several times
	// faster than strconv's float formatting, with the same output.
	n := int64(t)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/10, 10)
	if f := n % 10; f != 0 {
		b = append(b, '.', byte('0'+f))
	}
	return b
}

// open writes the root element with title and desc, which give the chart its accessible name
// and description.
func (w *buf) open(kind string, width, height int, title, desc string) {
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" class="sc sc-`, kind, `" viewBox="0 0 `)
	w.s(strconv.Itoa(width), " ", strconv.Itoa(height))
	w.s(`" width="100%" style="max-width:`, strconv.Itoa(width), `px;height:auto" role="img" font-family="`)
	w.esc(fontFamily)
	w.s(`" font-size="`, fnum(fontSmall), `" fill="`, colText, `">`)
	w.s("<title>")
	w.esc(title)
	w.s("</title><desc>")
	w.esc(desc)
	w.s("</desc>")
}

func (w *buf) close() { w.s("</svg>\n") }

// text writes a <text> element. anchor is "start", "middle" or "end"; extra holds further
// attributes already in markup form.
func (w *buf) text(class string, x, y float64, anchor, extra, s string) {
	w.s(`<text class="`, class, `" x="`)
	w.f(x)
	w.s(`" y="`)
	w.f(y)
	w.s(`"`)
	if anchor != "" && anchor != "start" {
		w.s(` text-anchor="`, anchor, `"`)
	}
	if extra != "" {
		w.s(" ", extra)
	}
	w.s(">")
	w.esc(s)
	w.s("</text>")
}

func (w *buf) line(class string, x1, y1, x2, y2 float64, extra string) {
	w.s(`<line class="`, class, `" x1="`)
	w.f(x1)
	w.s(`" y1="`)
	w.f(y1)
	w.s(`" x2="`)
	w.f(x2)
	w.s(`" y2="`)
	w.f(y2)
	w.s(`" `, extra, "/>")
}

func (w *buf) rect(class string, x, y, width, height float64, extra string) {
	w.s(`<rect class="`, class, `" x="`)
	w.f(x)
	w.s(`" y="`)
	w.f(y)
	w.s(`" width="`)
	w.f(math.Max(width, 0))
	w.s(`" height="`)
	w.f(math.Max(height, 0))
	w.s(`"`)
	if !strings.HasPrefix(extra, ">") {
		w.s(" ")
	}
	w.s(extra)
}

// noDataText writes the centred "no data yet" message.
func (w *buf) noDataText(x, y float64) {
	w.text("sc-nodata", x, y, "middle", `fill="`+colMuted+`" font-size="14"`, noData)
}

// render is the shared Render implementation: build in memory, write once.
func render(w io.Writer, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return err
	}
	return nil
}

// finite reports whether v is a usable number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// formatNum formats v with the given number of decimals and comma thousands separators:
// 123456 -> "123,456", 0.5 with one decimal -> "0.5".
func formatNum(v float64, decimals int) string {
	if !finite(v) {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	if neg && strings.Trim(intPart+frac, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteString(frac)
	return b.String()
}

// formatValue formats a data value for tooltips and descriptions: whole numbers without
// decimals, others with at most one.
func formatValue(v float64) string {
	if finite(v) && v == math.Trunc(v) {
		return formatNum(v, 0)
	}
	return formatNum(v, 1)
}

// textWidth estimates the rendered width of s at the given font size. There is no font metrics
// on the server; 0.6 em per character is a safe upper bound for digits in common sans fonts.
func textWidth(s string, size float64) float64 {
	return float64(len([]rune(s))) * size * 0.6
}
