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
	// Width and Height are the viewBox size; default 720×280. The chart scales with its
	// container (width="100%").
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
	l := &tsLayout{w: sizeOr(c.Width, 720), h: sizeOr(c.Height, 280), loc: time.UTC}
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
		l.fcColor = palette[0]
		if len(l.colors) > 0 {
			l.fcColor = l.colors[0]
		}
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

	// Vertical layout: title, legend rows, plot, tick labels with a year line.
	l.top = 10
	if c.Title != "" {
		l.top += 22
	}
	l.bot = l.h - 36
	plotH := l.bot - l.top - 20 // legend guess for tick density
	maxIntervals := int(math.Max(2, math.Min(10, plotH/26)))
	l.yt = niceNumberTicks(vmin, vmax, maxIntervals)
	l.y0, l.y1 = l.yt.Lo, l.yt.Hi

	// Left margin fits the widest tick label and the rotated axis label.
	labelW := 0.0
	for _, v := range l.yt.Values {
		labelW = math.Max(labelW, textWidth(formatNum(v, l.yt.Decimals), 11))
	}
	l.left = 8 + labelW + 6
	if c.YLabel != "" {
		l.left += 16
	}
	l.right = l.w - 16

	l.legend = c.legendItems(l)
	l.legendRows = layoutLegend(l.legend, l.left, l.right, l.top)
	l.top += float64(l.legendRows) * 18
	if l.legendRows > 0 {
		l.top += 4
	}
	if l.bot-l.top < 20 {
		l.bot = l.top + 20 // absurdly small heights still draw something
	}

	maxTicks := int(math.Max(2, (l.right-l.left)/80))
	l.xt = niceDateTicks(time.Unix(int64(l.t0), 0).In(l.loc), time.Unix(int64(math.Ceil(l.t1)), 0).In(l.loc), maxTicks)

	if c.Downsample {
		cols := int(l.right - l.left)
		for i := range l.series {
			l.series[i].Points = downsample(l.series[i].Points, cols, l.t0, l.t1)
		}
	}
	return l
}

func cmpPoint(a, b Point) int { return a.T.Compare(b.T) }

func (c *TimeSeriesChart) build() []byte {
	l := c.layout()
	w := &buf{b: make([]byte, 0, 8192+64*l.points)}
	w.open("timeseries", int(l.w), int(l.h), c.title(), c.description(l))
	if c.Title != "" {
		w.text("sc-title", 8, 20, "", `font-size="14" font-weight="600"`, c.Title)
	}
	if !l.hasData {
		w.noDataText(l.w/2, l.h/2)
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
		w.text("sc-tick", l.left-6, y+4, "end", `font-size="11" fill="`+colMuted+`"`, formatNum(v, l.yt.Decimals))
	}
	if c.YLabel != "" {
		cx, cy := 12.0, (l.top+l.bot)/2
		w.s(`<text class="sc-ylabel" x="`)
		w.f(cx)
		w.s(`" y="`)
		w.f(cy)
		w.s(`" text-anchor="middle" font-size="11" fill="`, colMuted, `" transform="rotate(-90 `)
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
		anchor, tw := "middle", textWidth(t.Label, 11)
		switch {
		case x+tw/2 > l.w-2:
			anchor = "end"
		case x-tw/2 < 2:
			anchor = "start"
		}
		w.text("sc-tick", x, l.bot+16, anchor, `font-size="11" fill="`+colMuted+`"`, t.Label)
		if t.Sub != "" {
			w.text("sc-tick sc-year", x, l.bot+29, anchor, `font-size="11" fill="`+colMuted+`"`, t.Sub)
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
		w.s(`<path class="sc-band" d="`, string(p.d), `" fill="`)
		w.esc(l.fcColor)
		w.s(`" fill-opacity="0.18" stroke="none"/>`)
	}
	p = path{}
	for _, run := range runs(len(l.bands), func(i int) bool { return finite(l.bands[i].Mean) }) {
		p.move(l.x(l.bands[run[0]].T), l.y(l.bands[run[0]].Mean))
		for i := run[0] + 1; i < run[1]; i++ {
			p.line(l.x(l.bands[i].T), l.y(l.bands[i].Mean))
		}
	}
	if len(p.d) > 0 {
		w.s(`<path class="sc-forecast-mean" d="`, string(p.d), `" fill="none" stroke="`)
		w.esc(l.fcColor)
		w.s(`" stroke-width="1.5" stroke-dasharray="6 4"/>`)
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
		w.s(`<path class="sc-area" d="`, string(p.d), `" fill="`)
		w.esc(col)
		w.s(`" fill-opacity="0.15" stroke="none"/>`)
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
		w.s(`<path class="sc-line" d="`, string(real.d), `" fill="none" stroke="`)
		w.esc(col)
		w.s(`" stroke-width="2" stroke-linejoin="round"`, dash, `/>`)
	}
	if len(recon.d) > 0 {
		w.s(`<path class="sc-line sc-reconstructed" d="`, string(recon.d), `" fill="none" stroke="`)
		w.esc(col)
		w.s(`" stroke-width="2" stroke-opacity="0.55" stroke-dasharray="2 3"/>`)
	}
	// Dots make short series and isolated points visible; long series would only get noisy.
	dots := isolated
	if countOK(pts, ok) <= 60 {
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
			w.s(` sc-reconstructed`)
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
	for _, th := range c.Thresholds {
		if !finite(th.Value) {
			continue
		}
		y := l.y(th.Value)
		w.s(`<g class="sc-threshold">`)
		w.line("sc-threshold-line", l.left, y, l.right, y, `stroke="`+html_(thresholdColor(th))+`" stroke-width="1.5" stroke-dasharray="4 3"`)
		ly := y - 5
		if ly-11 < l.top { // too close to the legend: label below the line
			ly = y + 14
		}
		w.text("sc-threshold-label", l.left+4, ly, "", `font-size="11" fill="`+html_(thresholdColor(th))+`"`, thresholdText(th))
		w.s("</g>")
	}
}

func (c *TimeSeriesChart) drawMarkers(w *buf, l *tsLayout) {
	// Labels go right of their line unless that would leave the plot, and drop a row when they
	// would overlap an earlier label (e.g. "today" next to a near run-out date).
	type span struct {
		x0, x1 float64
		row    int
	}
	var placed []span
	for _, m := range c.Markers {
		if m.T.IsZero() {
			continue
		}
		x := l.x(m.T)
		col := html_(markerColor(m))
		w.s(`<g class="sc-marker">`)
		w.line("sc-marker-line", x, l.top, x, l.bot, `stroke="`+col+`" stroke-width="1" stroke-dasharray="2 2"`)
		if m.Label != "" {
			tw := textWidth(m.Label, 11)
			anchor, tx, x0 := "start", x+4, x+4
			if x+4+tw > l.right {
				anchor, tx, x0 = "end", x-4, x-4-tw
			}
			row := 0
			for again := true; again; {
				again = false
				for _, p := range placed {
					if p.row == row && x0 < p.x1+4 && x0+tw > p.x0-4 {
						row++
						again = true
					}
				}
			}
			placed = append(placed, span{x0, x0 + tw, row})
			w.text("sc-marker-label", tx, l.top+12+float64(row)*14, anchor, `font-size="11" fill="`+col+`"`, m.Label)
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
