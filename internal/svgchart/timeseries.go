package svgchart

import (
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// TimeSeriesChart is a line or area chart over dates with optional threshold lines, a forecast
// band and vertical markers. The zero value of every option is a sensible default.
type TimeSeriesChart struct {
	// Width and Height are the viewBox size; default 560×280. The chart scales with its
	// container (width="100%") but is never drawn larger than its viewBox, so its text is never
	// larger than intended; Responsive adds a narrow variant for phones.
	Width, Height int
	// Title is drawn at the top and is the accessible name.
	Title string
	// YLabel is the value axis label, e.g. "allocated seats".
	YLabel string
	// Desc overrides the generated accessible description.
	Desc       string
	Series     []Series
	Thresholds []Threshold
	Forecast   Forecast
	Markers    []Marker
	// YFromData starts the value axis near the data minimum instead of at zero.
	YFromData bool
	// Downsample reduces series longer than the plot is wide to about one point per pixel
	// column (the minimum and maximum of every two columns), which keeps every peak and dip
	// while shrinking the markup of long series, e.g. in an emailed report.
	Downsample bool
}

// SVG returns the chart markup for html/template.
func (c *TimeSeriesChart) SVG() template.HTML {
	return template.HTML(c.build()) // #nosec G203 -- generated markup, all text escaped
}

// Render writes the chart as an <svg> element.
func (c *TimeSeriesChart) Render(w io.Writer) error { return render(w, c.build()) }

// tsLayout holds the resolved geometry and scales of one rendering.
type tsLayout struct {
	w, h                  float64
	left, right, top, bot float64 // plot area edges
	t0, t1                float64 // x domain, Unix seconds
	y0, y1                float64 // y domain
	loc                   *time.Location
	series                []Series // sorted, optionally downsampled
	colors                []string
	fcColor               string
	bands                 []Band // drawn, including the anchor at the end of history
	hoverBands            []Band // as given, sorted, finite means only
	yt                    numTicks
	xt                    []dateTick
	legend                []legendItem
	legendRows            int
	parts                 []seriesParts // what drawSeries draws of each series
	labels                []markerLabel // marker labels, placed above the plot
	singleDay             bool          // every value is of one day: a summary, not a chart
	hasData               bool
	points                int // total points and bands, to size buffers
	first, last           time.Time
	anyRecon, anyForecast bool
}

func unixF(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

func (l *tsLayout) x(t time.Time) float64 {
	return l.left + (unixF(t)-l.t0)/(l.t1-l.t0)*(l.right-l.left)
}

func (l *tsLayout) y(v float64) float64 {
	return l.bot - (v-l.y0)/(l.y1-l.y0)*(l.bot-l.top)
}

func sizeOr(v, def int) float64 {
	if v <= 0 {
		return float64(def)
	}
	return float64(v)
}

func (c *TimeSeriesChart) layout() *tsLayout {
	l := &tsLayout{w: sizeOr(c.Width, 560), h: sizeOr(c.Height, 280), loc: time.UTC}
	// Sort a copy of each series; callers' slices are left alone.
	l.series = make([]Series, len(c.Series))
	l.colors = make([]string, len(c.Series))
	for i, s := range c.Series {
		pts := s.Points
		if !slices.IsSortedFunc(pts, cmpPoint) {
			pts = slices.Clone(pts)
			slices.SortStableFunc(pts, cmpPoint)
		}
		s.Points = pts
		l.series[i] = s
		l.colors[i] = s.Color
		if l.colors[i] == "" {
			l.colors[i] = palette[i%len(palette)]
		}
	}
	l.fcColor = c.Forecast.Color
	if l.fcColor == "" {
		l.fcColor = ColorForecast
	}
	for _, b := range c.Forecast.Bands {
		if finite(b.Mean) && !b.T.IsZero() {
			l.hoverBands = append(l.hoverBands, b)
		}
	}
	slices.SortStableFunc(l.hoverBands, func(a, b Band) int { return a.T.Compare(b.T) })
	l.bands = l.hoverBands
	// Start the forecast where the history ends: anchor it at the last measured value of the
	// first series so band and mean line join the history without a gap.
	if len(l.bands) > 0 && len(l.series) > 0 {
		pts := l.series[0].Points
		for k := len(pts) - 1; k >= 0; k-- {
			if finite(pts[k].V) && !pts[k].T.IsZero() {
				if pts[k].T.Before(l.bands[0].T) {
					p := pts[k]
					l.bands = append([]Band{{T: p.T, Mean: p.V, Lo: p.V, Hi: p.V}}, l.bands...)
				}
				break
			}
		}
	}

	// Domains.
	var tmin, tmax time.Time
	seenT := false
	addT := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if !seenT || t.Before(tmin) {
			tmin = t
		}
		if !seenT || t.After(tmax) {
			tmax = t
		}
		seenT = true
	}
	vmin, vmax := math.Inf(1), math.Inf(-1)
	addV := func(v float64) {
		if finite(v) {
			vmin, vmax = math.Min(vmin, v), math.Max(vmax, v)
		}
	}
	for _, s := range l.series {
		l.points += len(s.Points)
		for _, p := range s.Points {
			if finite(p.V) && !p.T.IsZero() {
				addT(p.T)
				addV(p.V)
				l.anyRecon = l.anyRecon || p.Reconstructed
			}
		}
	}
	for _, b := range l.bands {
		if finite(b.Mean) || finite(b.Lo) || finite(b.Hi) {
			addT(b.T)
			addV(b.Mean)
			addV(b.Lo)
			addV(b.Hi)
			l.anyForecast = true
		}
	}
	l.hasData = seenT
	if !l.hasData {
		return l
	}
	l.first, l.last = tmin, tmax
	if !tmax.After(tmin) && !l.anyForecast {
		// One day of data: a frame with one dot in it says less than the figures do.
		l.singleDay = true
		return l
	}
	l.loc = tmax.Location()
	for _, m := range c.Markers {
		addT(m.T)
		if !m.From.IsZero() && !m.To.IsZero() {
			addT(m.From)
			addT(m.To)
		}
	}
	for _, th := range c.Thresholds {
		addV(th.Value)
	}
	if !tmax.After(tmin) { // a single day: show it in the middle of three
		tmin, tmax = tmin.Add(-24*time.Hour), tmax.Add(24*time.Hour)
	}
	l.t0, l.t1 = unixF(tmin), unixF(tmax)
	if !c.YFromData {
		vmin, vmax = math.Min(vmin, 0), math.Max(vmax, 0)
	}

	// Vertical layout: title, legend rows, marker labels, plot, tick labels with a year line.
	l.top = 8
	if c.Title != "" {
		l.top += fontTitle + 10
	}
	l.bot = l.h - 40
	plotH := l.bot - l.top - 40 // legend and label guess for tick density
	maxIntervals := int(math.Max(2, math.Min(10, plotH/26)))
	l.yt = niceNumberTicks(vmin, vmax, maxIntervals)
	l.y0, l.y1 = l.yt.Lo, l.yt.Hi

	// Left margin fits the widest tick label and the rotated axis label.
	labelW := 0.0
	for _, v := range l.yt.Values {
		labelW = math.Max(labelW, textWidth(formatNum(v, l.yt.Decimals), fontSmall))
	}
	l.left = 8 + labelW + 6
	if c.YLabel != "" {
		l.left += fontSmall + 6
	}
	l.right = l.w - 12

	// Downsampling comes before the legend, which lists only what is drawn.
	if c.Downsample {
		cols := int(l.right - l.left)
		for i := range l.series {
			l.series[i].Points = downsample(l.series[i].Points, cols, l.t0, l.t1)
		}
	}
	l.parts = make([]seriesParts, len(l.series))
	for i := range l.series {
		l.parts[i] = partsOf(l.series[i])
	}

	l.legend = c.legendItems(l)
	l.legendRows = layoutLegend(l.legend, 8, l.right, l.top)
	l.top += float64(l.legendRows) * legendRow
	if l.legendRows > 0 {
		l.top += 2
	}
	labelRows := c.placeMarkerLabels(l)
	l.top += float64(labelRows)*labelRow + 4
	if l.bot-l.top < 20 {
		l.bot = l.top + 20 // absurdly small heights still draw something
	}

	maxTicks := int(math.Max(2, (l.right-l.left)/80))
	l.xt = niceDateTicks(time.Unix(int64(l.t0), 0).In(l.loc), time.Unix(int64(math.Ceil(l.t1)), 0).In(l.loc), maxTicks)
	return l
}

func cmpPoint(a, b Point) int { return a.T.Compare(b.T) }

// Drawing constants shared by the plot and its legend swatches.
const (
	areaOpacity = "0.15"
	bandOpacity = "0.25"
	// maxDots is the longest series drawn with a dot on every point.
	maxDots = 60
)

// small is the attribute of the small text (ticks, legend, labels).
var small = `font-size="` + fnum(fontSmall) + `"`

// seriesParts says what drawSeries draws of one series, so the legend lists exactly that: the
// measured line (or area), and the reconstructed segments.
type seriesParts struct{ real, recon bool }

// partsOf mirrors drawSeries: measured segments join two measured points, reconstructed
// segments touch a reconstructed one, isolated points get a dot, and short series get a dot on
// every point.
func partsOf(s Series) seriesParts {
	pts := s.Points
	ok := func(k int) bool { return finite(pts[k].V) && !pts[k].T.IsZero() }
	var p seriesParts
	allDots := s.Style != Step && countOK(pts, ok) <= maxDots
	for k := range pts {
		if !ok(k) {
			continue
		}
		prevOK := k > 0 && ok(k-1)
		nextOK := k+1 < len(pts) && ok(k+1)
		if s.Style == Area || allDots || (!prevOK && !nextOK) {
			// The area is filled under every point; dots are drawn as their point is.
			if pts[k].Reconstructed && s.Style != Area {
				p.recon = true
			} else {
				p.real = true
			}
		}
		if nextOK {
			if pts[k].Reconstructed || pts[k+1].Reconstructed {
				p.recon = true
			} else {
				p.real = true
			}
		}
	}
	return p
}

// singleDayLines are the figures and the note of a one-day chart.
func (c *TimeSeriesChart) singleDayLines(l *tsLayout) (values []legendItem, note []string) {
	for i, s := range l.series {
		for _, p := range s.Points {
			if finite(p.V) && !p.T.IsZero() {
				values = append(values, legendItem{color: l.colors[i], text: nameOr(s.Name, "series "+itoa(i+1)) + ": " + formatValue(p.V)})
				break
			}
		}
	}
	for _, th := range c.Thresholds {
		if finite(th.Value) {
			values = append(values, legendItem{color: thresholdColor(th), text: thresholdText(th)})
		}
	}
	note = wrapText("One collection so far: the history starts "+l.first.Format(time.DateOnly)+
		", and the chart is drawn from the second day on.", l.w-16, fontSmall)
	return values, note
}

const singleValueFont = 18.0

func (c *TimeSeriesChart) singleDayTop() float64 {
	if c.Title == "" {
		return 8
	}
	return 8 + fontTitle + 10
}

// singleDayHeight is the viewBox height a one-day chart needs: a summary is no taller than its
// text.
func (c *TimeSeriesChart) singleDayHeight(l *tsLayout) float64 {
	values, note := c.singleDayLines(l)
	return c.singleDayTop() + float64(len(values))*(singleValueFont+8) + 6 + float64(len(note))*legendRow + 4
}

// drawSingleDay is the chart of one collection: the figures in words instead of a frame with a
// dot in it, and when the history starts.
func (c *TimeSeriesChart) drawSingleDay(w *buf, l *tsLayout) {
	values, note := c.singleDayLines(l)
	y := c.singleDayTop()
	w.s(`<g class="sc-single">`)
	for _, v := range values {
		y += singleValueFont + 8
		w.text("sc-single-value", 8, y-6, "", `font-size="`+fnum(singleValueFont)+`" font-weight="700" fill="`+html_(v.color)+`"`, v.text)
	}
	y += 6
	for _, ln := range note {
		y += legendRow
		w.text("sc-single-note sc-label", 8, y-5, "", small+` fill="`+colMuted+`"`, ln)
	}
	w.s("</g>")
}

// wrapText breaks s into lines no wider than width at the given font size (by textWidth's
// estimate), between words; a word longer than a line gets a line of its own.
func wrapText(s string, width, size float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && textWidth(line+" "+word, size) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

func (c *TimeSeriesChart) build() []byte {
	l := c.layout()
	w := &buf{b: make([]byte, 0, 8192+64*l.points)}
	if l.singleDay {
		l.h = c.singleDayHeight(l)
	}
	w.open("timeseries", int(l.w), int(math.Ceil(l.h)), c.title(), c.description(l))
	if c.Title != "" {
		w.text("sc-title", 8, 8+fontTitle, "", `font-size="`+fnum(fontTitle)+`" font-weight="600"`, c.Title)
	}
	if !l.hasData {
		w.noDataText(l.w/2, l.h/2)
		w.close()
		return w.b
	}
	if l.singleDay {
		c.drawSingleDay(w, l)
		w.close()
		return w.b
	}
	drawLegend(w, l.legend)
	c.drawAxes(w, l)
	c.drawMarkerSpans(w, l)
	c.drawForecast(w, l)
	for i := range l.series {
		drawSeries(w, l, i)
	}
	c.drawThresholds(w, l)
	c.drawMarkers(w, l)
	drawHover(w, l, c.Forecast.Name)
	w.close()
	return w.b
}

func (c *TimeSeriesChart) title() string {
	if c.Title != "" {
		return c.Title
	}
	return "Time series chart"
}

func (c *TimeSeriesChart) drawAxes(w *buf, l *tsLayout) {
	w.s(`<g class="sc-axis sc-y">`)
	for _, v := range l.yt.Values {
		y := l.y(v)
		w.line("sc-grid", l.left, y, l.right, y, `stroke="`+colGrid+`" stroke-width="1"`)
		w.text("sc-tick", l.left-6, y+4, "end", small+` fill="`+colMuted+`"`, formatNum(v, l.yt.Decimals))
	}
	if c.YLabel != "" {
		cx, cy := 4+fontSmall, (l.top+l.bot)/2
		w.s(`<text class="sc-ylabel" x="`)
		w.f(cx)
		w.s(`" y="`)
		w.f(cy)
		w.s(`" text-anchor="middle" `, small, ` fill="`, colMuted, `" transform="rotate(-90 `)
		w.f(cx)
		w.s(" ")
		w.f(cy)
		w.s(`)">`)
		w.esc(c.YLabel)
		w.s("</text>")
	}
	w.s(`</g><g class="sc-axis sc-x">`)
	w.line("sc-baseline", l.left, l.bot, l.right, l.bot, `stroke="`+colAxis+`" stroke-width="1"`)
	for _, t := range l.xt {
		x := l.x(t.T)
		w.line("sc-tickmark", x, l.bot, x, l.bot+4, `stroke="`+colAxis+`" stroke-width="1"`)
		// Labels at the very edges would be clipped by the viewBox; align them inwards.
		anchor, tw := "middle", textWidth(t.Label, fontSmall)
		switch {
		case x+tw/2 > l.w-2:
			anchor = "end"
		case x-tw/2 < 2:
			anchor = "start"
		}
		w.text("sc-tick", x, l.bot+19, anchor, small+` fill="`+colMuted+`"`, t.Label)
		if t.Sub != "" {
			w.text("sc-tick sc-year", x, l.bot+34, anchor, small+` fill="`+colMuted+`"`, t.Sub)
		}
	}
	w.s("</g>")
}

func markerColor(m Marker) string {
	if m.Color != "" {
		return m.Color
	}
	return colMarker
}

func (c *TimeSeriesChart) drawMarkerSpans(w *buf, l *tsLayout) {
	for _, m := range c.Markers {
		if m.From.IsZero() || m.To.IsZero() {
			continue
		}
		x0, x1 := l.x(m.From), l.x(m.To)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		w.rect("sc-marker-span", x0, l.top, math.Max(x1-x0, 1), l.bot-l.top, `fill="`)
		w.esc(markerColor(m))
		w.s(`" fill-opacity="0.08"><title>`)
		w.esc(spanText(m))
		w.s("</title></rect>")
	}
}

func spanText(m Marker) string {
	s := m.From.Format(time.DateOnly) + " to " + m.To.Format(time.DateOnly)
	if m.Label != "" {
		s = m.Label + ": " + s
	}
	return s
}

func (c *TimeSeriesChart) drawForecast(w *buf, l *tsLayout) {
	if !l.anyForecast {
		return
	}
	w.s(`<g class="sc-forecast">`)
	// The band: upper edge forward, lower edge back, one polygon per run of finite bounds.
	var p path
	for _, run := range runs(len(l.bands), func(i int) bool { return finite(l.bands[i].Lo) && finite(l.bands[i].Hi) }) {
		p.move(l.x(l.bands[run[0]].T), l.y(l.bands[run[0]].Hi))
		for i := run[0] + 1; i < run[1]; i++ {
			p.line(l.x(l.bands[i].T), l.y(l.bands[i].Hi))
		}
		for i := run[1] - 1; i >= run[0]; i-- {
			p.line(l.x(l.bands[i].T), l.y(l.bands[i].Lo))
		}
		p.close()
	}
	if len(p.d) > 0 {
		w.s(`<path class="sc-band" data-series="fc" d="`, string(p.d), `" fill="`)
		w.esc(l.fcColor)
		w.s(`" fill-opacity="`, bandOpacity, `" stroke="none"/>`)
	}
	p = path{}
	for _, run := range runs(len(l.bands), func(i int) bool { return finite(l.bands[i].Mean) }) {
		p.move(l.x(l.bands[run[0]].T), l.y(l.bands[run[0]].Mean))
		for i := run[0] + 1; i < run[1]; i++ {
			p.line(l.x(l.bands[i].T), l.y(l.bands[i].Mean))
		}
	}
	if len(p.d) > 0 {
		w.s(`<path class="sc-forecast-mean" data-series="fc" d="`, string(p.d), `" fill="none" stroke="`)
		w.esc(l.fcColor)
		w.s(`" stroke-width="2" stroke-dasharray="6 4"/>`)
	}
	w.s("</g>")
}

// runs returns the [start, end) index ranges where ok holds.
func runs(n int, ok func(int) bool) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		if i < n && ok(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

func drawSeries(w *buf, l *tsLayout, i int) {
	s := l.series[i]
	col := l.colors[i]
	pts := s.Points
	ok := func(k int) bool { return finite(pts[k].V) && !pts[k].T.IsZero() }
	w.s(`<g class="sc-series sc-s`, itoa(i))
	if s.Class != "" {
		w.s(" ")
		w.esc(s.Class)
	}
	w.s(`">`)
	if s.Style == Area {
		p := path{d: make([]byte, 0, 8*len(pts))}
		base := l.y(math.Max(l.y0, math.Min(0, l.y1)))
		for _, run := range runs(len(pts), ok) {
			p.move(l.x(pts[run[0]].T), base)
			for k := run[0]; k < run[1]; k++ {
				if s.Style == Step && k > run[0] {
					p.line(l.x(pts[k].T), l.y(pts[k-1].V))
				}
				p.line(l.x(pts[k].T), l.y(pts[k].V))
			}
			p.line(l.x(pts[run[1]-1].T), base)
			p.close()
		}
		w.s(`<path class="sc-area" data-series="s`, itoa(i), `" d="`, string(p.d), `" fill="`)
		w.esc(col)
		w.s(`" fill-opacity="`, areaOpacity, `" stroke="none"/>`)
	}
	// Measured and reconstructed segments go to separate paths so each can have its own dash.
	real, recon := path{d: make([]byte, 0, 8*len(pts))}, path{}
	realEnd, reconEnd := -1, -1
	isolated := make([]int, 0)
	for k := range pts {
		if !ok(k) {
			continue
		}
		prevOK := k > 0 && ok(k-1)
		nextOK := k+1 < len(pts) && ok(k+1)
		if !prevOK && !nextOK {
			isolated = append(isolated, k)
		}
		if !nextOK {
			continue
		}
		a, b := pts[k], pts[k+1]
		ax, ay, bx, by := l.x(a.T), l.y(a.V), l.x(b.T), l.y(b.V)
		d, end := &real, &realEnd
		if a.Reconstructed || b.Reconstructed {
			d, end = &recon, &reconEnd
		}
		if *end != k {
			d.move(ax, ay)
		}
		if s.Style == Step {
			d.line(bx, ay)
		}
		d.line(bx, by)
		*end = k + 1
	}
	dash := ""
	if s.Style == Dashed {
		dash = ` stroke-dasharray="6 4"`
	}
	if len(real.d) > 0 {
		w.s(`<path class="sc-line" data-series="s`, itoa(i), `" d="`, string(real.d), `" fill="none" stroke="`)
		w.esc(col)
		w.s(`" stroke-width="2" stroke-linejoin="round"`, dash, `/>`)
	}
	if len(recon.d) > 0 {
		w.s(`<path class="sc-line sc-reconstructed" data-series="s`, itoa(i), `r" d="`, string(recon.d), `" fill="none" stroke="`)
		w.esc(col)
		w.s(`" stroke-width="2" stroke-opacity="0.6" stroke-dasharray="4 3"/>`)
	}
	// Dots make short series and isolated points visible; long series would only get noisy,
	// and a step line (a total) holds its value between changes, so its days are not points.
	dots := isolated
	if s.Style != Step && countOK(pts, ok) <= maxDots {
		dots = dots[:0]
		for k := range pts {
			if ok(k) {
				dots = append(dots, k)
			}
		}
	}
	for _, k := range dots {
		p := pts[k]
		w.s(`<circle class="sc-dot`)
		if p.Reconstructed {
			w.s(` sc-reconstructed" data-series="s`, itoa(i), `r`)
		} else {
			w.s(`" data-series="s`, itoa(i))
		}
		w.s(`" cx="`)
		w.f(l.x(p.T))
		w.s(`" cy="`)
		w.f(l.y(p.V))
		w.s(`" r="3" fill="`)
		if p.Reconstructed {
			w.s(`#FFFFFF" stroke="`)
			w.esc(col)
			w.s(`" stroke-width="1.5`)
		} else {
			w.esc(col)
		}
		w.s(`"><title>`)
		w.esc(pointText(s.Name, p))
		w.s("</title></circle>")
	}
	w.s("</g>")
}

func countOK(pts []Point, ok func(int) bool) int {
	n := 0
	for k := range pts {
		if ok(k) {
			n++
		}
	}
	return n
}

func pointText(name string, p Point) string {
	s := p.T.Format(time.DateOnly) + " " + name + ": " + formatValue(p.V)
	if p.Reconstructed {
		s += " (reconstructed)"
	}
	return s
}

func thresholdColor(th Threshold) string {
	if th.Color != "" {
		return th.Color
	}
	return colThreshold
}

func thresholdText(th Threshold) string {
	return strings.TrimSpace(th.Label + " " + formatValue(th.Value))
}

func (c *TimeSeriesChart) drawThresholds(w *buf, l *tsLayout) {
	for j, th := range c.Thresholds {
		if !finite(th.Value) {
			continue
		}
		y := l.y(th.Value)
		w.s(`<g class="sc-threshold">`)
		w.line("sc-threshold-line", l.left, y, l.right, y, `data-series="t`+itoa(j)+`" stroke="`+html_(thresholdColor(th))+`" stroke-width="2" stroke-dasharray="4 3"`)
		w.s("</g>")
	}
}

// markerLabel is a marker's label as placed above the plot.
type markerLabel struct {
	x      float64 // text anchor position
	anchor string
	x0, x1 float64 // extent, for collisions
	row    int
}

// Heights of a legend row and a marker-label row, in viewBox units.
const (
	legendRow = fontSmall + 7
	labelRow  = fontSmall + 4
)

// placeMarkerLabels puts every marker label in a strip above the plot, starting at its line
// (or ending there when it would leave the chart), one row further up when it would touch an
// earlier label. The strip holds no lines, so a label never crosses one. It returns the
// number of rows.
func (c *TimeSeriesChart) placeMarkerLabels(l *tsLayout) int {
	l.labels = make([]markerLabel, len(c.Markers))
	rows := 0
	for i, m := range c.Markers {
		l.labels[i].row = -1
		if m.T.IsZero() || m.Label == "" {
			continue
		}
		x := l.x(m.T)
		tw := textWidth(m.Label, fontSmall)
		lb := markerLabel{x: x - 1, anchor: "start", x0: x - 1, x1: x - 1 + tw}
		if lb.x1 > l.w-2 {
			lb = markerLabel{x: x + 1, anchor: "end", x0: x + 1 - tw, x1: x + 1}
		}
		if lb.x0 < 2 {
			lb = markerLabel{x: 2, anchor: "start", x0: 2, x1: 2 + tw}
		}
		for again := true; again; {
			again = false
			for _, p := range l.labels[:i] {
				if p.row == lb.row && lb.x0 < p.x1+6 && lb.x1 > p.x0-6 {
					lb.row++
					again = true
				}
			}
		}
		l.labels[i] = lb
		rows = max(rows, lb.row+1)
	}
	return rows
}

func (c *TimeSeriesChart) drawMarkers(w *buf, l *tsLayout) {
	for i, m := range c.Markers {
		if m.T.IsZero() {
			continue
		}
		x := l.x(m.T)
		col := html_(markerColor(m))
		w.s(`<g class="sc-marker">`)
		w.line("sc-marker-line", x, l.top, x, l.bot, `stroke="`+col+`" stroke-width="1.5" stroke-dasharray="3 3"`)
		if m.Dot && finite(m.Value) {
			w.s(`<circle class="sc-marker-dot" cx="`)
			w.f(x)
			w.s(`" cy="`)
			w.f(l.y(m.Value))
			w.s(`" r="5" fill="`, col, `" stroke="#FFFFFF" stroke-width="1.5"><title>`)
			w.esc(m.Label)
			w.s("</title></circle>")
		}
		if lb := l.labels[i]; lb.row >= 0 {
			// Row 0 sits right above the plot; further rows stack upwards.
			y := l.top - 5 - float64(lb.row)*labelRow
			w.text("sc-marker-label sc-label", lb.x, y, lb.anchor, small+` font-weight="600" fill="`+col+`"`, m.Label)
		}
		w.s("</g>")
	}
}

func html_(s string) string {
	var b buf
	b.esc(s)
	return string(b.b)
}

func itoa(i int) string { return string(appendCoord(nil, float64(i))) }

func fnum(v float64) string { return string(appendCoord(nil, v)) }

// Narrow variant size: a phone's column (about 360 px at 390 px wide) draws it at about its
// viewBox size, so its 12-unit text stays at 11 px or more.
const (
	NarrowWidth  = 360
	NarrowHeight = 300
	// NarrowBreakpoint is the viewport width up to which ResponsiveCSS shows the narrow variant.
	NarrowBreakpoint = 600
)

// ResponsiveCSS switches Responsive's two variants: the narrow one up to NarrowBreakpoint px of
// viewport width. The dashboard's stylesheet and the HTML report's <style> carry it; without it
// (an email client that drops <style>) only the wide variant shows.
const ResponsiveCSS = `@media (max-width: 600px) { .sc-pair .sc-wide { display: none !important; } .sc-pair .sc-narrow { display: block !important; } }`

// Responsive returns the chart twice: at its own size, and laid out again for a phone at
// NarrowWidth×NarrowHeight, hidden by an inline style that ResponsiveCSS lifts on narrow screens.
// A chart scaled down to a phone would shrink its text to a few pixels; laid out for the
// phone, ticks, legend and labels keep their size and get fewer and shorter instead.
func (c *TimeSeriesChart) Responsive() template.HTML {
	n := *c
	n.Width, n.Height = NarrowWidth, NarrowHeight
	b := make([]byte, 0, 16384)
	b = append(b, `<div class="sc-pair"><div class="sc-wide">`...)
	b = append(b, c.build()...)
	b = append(b, `</div><div class="sc-narrow" style="display:none">`...)
	b = append(b, n.build()...)
	b = append(b, `</div></div>`...)
	return template.HTML(b) // #nosec G203 -- generated markup, all text escaped
}
