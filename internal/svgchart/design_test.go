package svgchart

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// legendAndDrawn returns the data-series keys of a chart's legend entries
// (in order) and of everything it draws outside the legend, and the legend
// texts.
func legendAndDrawn(svg string) (legend, drawn, texts []string) {
	legendPart, plot := "", svg
	if i := strings.Index(svg, `<g class="sc-legend">`); i >= 0 {
		j := i + strings.Index(svg[i:], `</g></g>`) + len(`</g></g>`)
		legendPart, plot = svg[i:j], svg[:i]+svg[j:]
	}
	key := regexp.MustCompile(`data-series="([^"]+)"`)
	for _, m := range key.FindAllStringSubmatch(legendPart, -1) {
		legend = append(legend, m[1])
	}
	for _, m := range key.FindAllStringSubmatch(plot, -1) {
		if !slices.Contains(drawn, m[1]) {
			drawn = append(drawn, m[1])
		}
	}
	for _, m := range regexp.MustCompile(`class="sc-legend-text[^"]*"[^>]*>([^<]*)<`).FindAllStringSubmatch(legendPart, -1) {
		texts = append(texts, m[1])
	}
	return legend, drawn, texts
}

// TestLegendListsWhatIsDrawn: the legend has one entry for each thing the
// chart draws and nothing else: no reconstructed entry when no
// reconstructed segment is drawn (all-measured, or downsampled), no
// measured entry for a series drawn only as reconstructed, and each entry
// once.
func TestLegendListsWhatIsDrawn(t *testing.T) {
	d0 := day(2026, 1, 1)
	allRecon := history(d0, addDays(d0, 30), 1, 10, 20)
	for i := range allRecon {
		allRecon[i].Reconstructed = true
	}
	lastRecon := history(d0, addDays(d0, 30), 1, 10, 20)
	lastRecon[len(lastRecon)-1].Reconstructed = true
	cases := map[string]struct {
		c    *TimeSeriesChart
		want []string
	}{
		"forecast":      {forecastChart(7), []string{"s0", "fc", "t0"}},
		"reconstructed": {reconChart(), []string{"s0", "s0r", "s1"}},
		"three years":   {threeYears(), []string{"s0", "s1", "s2", "fc", "t0"}},
		"all reconstructed": {&TimeSeriesChart{Series: []Series{{Name: "backfilled", Points: allRecon},
			{Name: "licensed", Points: history(d0, addDays(d0, 30), 1, 30, 30), Style: Step}}}, []string{"s0r", "s1"}},
		"last day reconstructed": {&TimeSeriesChart{Series: []Series{{Name: "a", Points: lastRecon}}}, []string{"s0", "s0r"}},
		"unnamed series":         {&TimeSeriesChart{Series: []Series{{Points: lastRecon[:5]}, {Name: "b", Points: lastRecon[:5]}}}, []string{"s1"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, c := range []*TimeSeriesChart{tc.c, {}} {
				if c.Series == nil { // the same chart downsampled and in its phone layout
					n := *tc.c
					n.Downsample, n.Width, n.Height = true, NarrowWidth, NarrowHeight
					c = &n
				}
				legend, drawn, texts := legendAndDrawn(renderString(t, c))
				if !slices.Equal(legend, tc.want) {
					t.Errorf("legend %v, want %v", legend, tc.want)
				}
				named := slices.DeleteFunc(slices.Clone(drawn), func(k string) bool { return !slices.Contains(tc.want, k) })
				if len(named) != len(tc.want) {
					t.Errorf("drawn %v, legend %v: the legend lists something not drawn", drawn, legend)
				}
				seen := map[string]bool{}
				for _, s := range texts {
					if seen[s] {
						t.Errorf("legend names %q twice: %q", s, texts)
					}
					seen[s] = true
				}
			}
		})
	}
}

// TestForecastIsNotTheHistoryColour: the forecast band and mean default to
// their own colour, not the colour of the history they continue.
func TestForecastIsNotTheHistoryColour(t *testing.T) {
	svg := renderString(t, forecastChart(7))
	area := regexp.MustCompile(`class="sc-area"[^>]*fill="([^"]+)"`).FindStringSubmatch(svg)
	band := regexp.MustCompile(`class="sc-band"[^>]*fill="([^"]+)"`).FindStringSubmatch(svg)
	if area == nil || band == nil {
		t.Fatal("no area or no band drawn")
	}
	if area[1] == band[1] || band[1] != ColorForecast {
		t.Errorf("history fill %s, forecast band %s: want the band in %s", area[1], band[1], ColorForecast)
	}
	if _, _, texts := legendAndDrawn(svg); !slices.Contains(texts, "forecast, 80% interval") {
		t.Errorf("the legend does not give the interval's level: %q", texts)
	}
}

// TestMarkerLabelsStayOffThePlot: "as of" and a run-out a few days later
// get their labels above the plot, on separate rows when they would
// touch, so no label crosses a line; the run-out is marked with a dot on
// the licensed total.
func TestMarkerLabelsStayOffThePlot(t *testing.T) {
	for _, width := range []int{0, NarrowWidth} {
		c := forecastChart(7)
		c.Width = width
		c.Markers[1].T = addDays(c.Markers[0].T, 9) // a run-out close to "as of"
		l := c.layout()
		a, b := l.labels[0], l.labels[1]
		if a.row == b.row && a.x0 < b.x1 && b.x0 < a.x1 {
			t.Errorf("width %d: labels overlap: %+v %+v", width, a, b)
		}
		svg := renderString(t, c)
		for _, m := range regexp.MustCompile(`class="sc-marker-label[^"]*" x="[^"]+" y="([^"]+)"`).FindAllStringSubmatch(svg, -1) {
			if y, _ := strconv.ParseFloat(m[1], 64); y > l.top {
				t.Errorf("width %d: a marker label at y %.1f is inside the plot (top %.1f)", width, y, l.top)
			}
		}
		if strings.Contains(svg, "sc-threshold-label") {
			t.Error("a threshold label is drawn on the plot")
		}
		dot := regexp.MustCompile(`class="sc-marker-dot" cx="[^"]+" cy="([^"]+)"`).FindStringSubmatch(svg)
		if dot == nil {
			t.Fatal("no run-out dot")
		}
		if y, _ := strconv.ParseFloat(dot[1], 64); y-l.y(500) > 0.1 || l.y(500)-y > 0.1 {
			t.Errorf("the run-out dot is at y %s, the licensed total at %.1f", dot[1], l.y(500))
		}
	}
}

// TestTextIsNotTiny: every text is at least 12 viewBox units, which the
// layouts (a wide chart in a column of at least 520 px, the narrow one on
// a phone, a gauge in at least 150 px) turn into 11 px or more.
func TestTextIsNotTiny(t *testing.T) {
	for name, c := range goldenCases() {
		svg := renderString(t, c)
		for _, m := range regexp.MustCompile(`font-size="([^"]+)"`).FindAllStringSubmatch(svg, -1) {
			if v, _ := strconv.ParseFloat(m[1], 64); v < fontSmall {
				t.Errorf("%s: font-size %s", name, m[1])
			}
		}
	}
}

// TestSingleDaySaysSo: after one collection the chart is the figures and
// a note that the history starts that day, not a frame with one dot; the
// note wraps to the narrow layout's width.
func TestSingleDaySaysSo(t *testing.T) {
	c := &TimeSeriesChart{Title: "Analyzer Capacity (minutes)", Series: []Series{
		{Name: "minutes used", Points: []Point{{T: day(2026, 11, 27), V: 12852}}, Style: Area},
		{Name: "pool", Points: []Point{{T: day(2026, 11, 27), V: 20000}}, Style: Step}}}
	for _, width := range []int{0, NarrowWidth} {
		c.Width = width
		svg := renderString(t, c)
		_, texts := parse(t, svg)
		joined := strings.Join(texts, " ")
		for _, want := range []string{"minutes used: 12,852", "pool: 20,000", "One collection so far: the history starts 2026-11-27"} {
			if !strings.Contains(joined, want) {
				t.Errorf("width %d: texts %q lack %q", width, texts, want)
			}
		}
		if strings.Contains(svg, "sc-dot") || strings.Contains(svg, "sc-legend") || strings.Contains(svg, "sc-axis") {
			t.Errorf("width %d: a one-day chart draws a frame:\n%s", width, svg)
		}
		maxW := float64(sizeOr(width, 560)) - 8
		for _, s := range texts {
			if textWidth(s, fontSmall) > maxW {
				t.Errorf("width %d: %q is wider than the chart", width, s)
			}
		}
	}
}

// TestResponsive: the chart comes twice, the phone layout hidden until
// ResponsiveCSS shows it, so a client without the stylesheet shows the
// wide one only.
func TestResponsive(t *testing.T) {
	got := string(forecastChart(7).Responsive())
	wide := strings.Index(got, `<div class="sc-wide"><svg`)
	narrow := strings.Index(got, `<div class="sc-narrow" style="display:none"><svg`)
	if wide < 0 || narrow < wide || strings.Count(got, "<svg") != 2 {
		t.Fatalf("not a wide and a hidden narrow chart:\n%.300s", got)
	}
	if !strings.Contains(got[wide:narrow], `viewBox="0 0 560 280"`) || !strings.Contains(got[narrow:], `viewBox="0 0 360 300"`) {
		t.Error("the variants do not have the wide and narrow sizes")
	}
	if !strings.Contains(ResponsiveCSS, "max-width: "+strconv.Itoa(NarrowBreakpoint)+"px") ||
		!strings.Contains(ResponsiveCSS, ".sc-pair .sc-narrow { display: block !important; }") {
		t.Errorf("ResponsiveCSS does not switch at %d px: %s", NarrowBreakpoint, ResponsiveCSS)
	}
}

// TestLegendAfterDownsampling: a reconstructed day that downsampling
// drops is not drawn, so the legend has no reconstructed entry for it (the
// HTML report used to list "licensed (reconstructed)" that no line showed).
func TestLegendAfterDownsampling(t *testing.T) {
	d0 := day(2023, 1, 1)
	pts := history(d0, addDays(d0, 1100), 1, 100, 100)
	for i := range pts {
		pts[i].V = 100 + float64(i%2) // no extremes to keep in the middle
	}
	pts[501].Reconstructed = true
	c := &TimeSeriesChart{Series: []Series{{Name: "licensed", Points: pts, Style: Step}}, Downsample: true}
	legend, drawn, _ := legendAndDrawn(renderString(t, c))
	if !slices.Equal(legend, []string{"s0"}) || !slices.Equal(drawn, []string{"s0"}) {
		t.Errorf("legend %v, drawn %v; want only the measured line", legend, drawn)
	}
	c.Downsample = false
	if legend, _, _ := legendAndDrawn(renderString(t, c)); !slices.Equal(legend, []string{"s0", "s0r"}) {
		t.Errorf("without downsampling the legend is %v, want the reconstructed entry too", legend)
	}
}

// TestGaugeHasTrackAndValueOnly: a gauge draws two arcs, the track and
// the value, and no unexplained bands around them.
func TestGaugeHasTrackAndValueOnly(t *testing.T) {
	for _, g := range []*Gauge{gauge40, gauge85, gauge101, {Label: "Analyzer Capacity", Value: 12852, Max: 20000, Of: "minutes"}} {
		svg := renderString(t, g)
		if n := strings.Count(svg, "<path"); n != 2 || !strings.Contains(svg, "sc-gauge-track") || !strings.Contains(svg, "sc-gauge-bar") {
			t.Errorf("%s: %d paths, want the track and the value arc", g.Label, n)
		}
		_, texts := parse(t, svg)
		for _, s := range texts {
			if textWidth(s, fontSmall) > 160-8 && !strings.HasSuffix(s, "%") {
				t.Errorf("%s: %q is wider than the gauge", g.Label, s)
			}
		}
	}
}
