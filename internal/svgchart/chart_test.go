package svgchart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// parse checks that svg is well-formed XML with a single <svg> root carrying role="img" and
// returns the concatenated character data of all <title> and <desc> elements and all text.
func parse(t *testing.T, svg string) (titles, texts []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Strict = true
	var stack []string
	depth0 := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				depth0++
				if el.Name.Local != "svg" || el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root is %v, want svg in the SVG namespace", el.Name)
				}
				if !slices.Contains(el.Attr, xml.Attr{Name: xml.Name{Local: "role"}, Value: "img"}) {
					t.Error(`root lacks role="img"`)
				}
			}
			stack = append(stack, el.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(el)) != "" {
					t.Errorf("text outside the root: %q", el)
				}
				continue
			}
			switch stack[len(stack)-1] {
			case "title", "desc":
				titles = append(titles, string(el))
			case "text":
				texts = append(texts, string(el))
			}
		}
	}
	if depth0 != 1 {
		t.Fatalf("%d root elements, want 1", depth0)
	}
	return titles, texts
}

func renderString(t *testing.T, c Chart) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWellFormedAndDegenerateInput(t *testing.T) {
	d0 := day(2026, 11, 1)
	pts := func(vs ...float64) []Point {
		out := make([]Point, len(vs))
		for i, v := range vs {
			out[i] = Point{T: addDays(d0, i), V: v}
		}
		return out
	}
	inf := math.Inf(1)
	cases := map[string]Chart{
		"all zero":         &TimeSeriesChart{Series: []Series{{Name: "a", Points: pts(0, 0, 0)}}},
		"nan and inf":      &TimeSeriesChart{Series: []Series{{Name: "a", Points: pts(1, nan(), 3, inf, -inf, 6)}}, Thresholds: []Threshold{{Value: nan(), Label: "x"}}},
		"only nan":         &TimeSeriesChart{Series: []Series{{Name: "a", Points: pts(nan(), nan())}}},
		"huge counts":      &TimeSeriesChart{Series: []Series{{Name: "a", Points: pts(1e6, 1.2e6, 9e5)}}, Thresholds: []Threshold{{Value: 1.5e6, Label: "licensed"}}},
		"negative":         &TimeSeriesChart{Series: []Series{{Name: "a", Points: pts(-5, 3, -1)}}, YFromData: true},
		"zero times":       &TimeSeriesChart{Series: []Series{{Name: "a", Points: []Point{{V: 3}, {V: 4}}}}},
		"band only":        &TimeSeriesChart{Forecast: Forecast{Bands: bands(d0, 30, 1, 10, 1)}},
		"band nan":         &TimeSeriesChart{Series: []Series{{Points: pts(1, 2)}}, Forecast: Forecast{Bands: []Band{{T: addDays(d0, 5), Mean: 3, Lo: nan(), Hi: inf}}}},
		"tiny size":        &TimeSeriesChart{Width: 10, Height: 10, Title: "t", Series: []Series{{Name: "a", Points: pts(1, 2)}}},
		"marker only":      &TimeSeriesChart{Markers: []Marker{{T: d0, Label: "today"}}},
		"unsorted":         &TimeSeriesChart{Series: []Series{{Name: "a", Points: []Point{{T: addDays(d0, 3), V: 3}, {T: d0, V: 1}}}}},
		"gauge no data":    &Gauge{Label: "P"},
		"gauge nan":        &Gauge{Value: nan(), Max: 500},
		"gauge no license": &Gauge{Value: 3, Max: 0},
		"gauge negative":   &Gauge{Value: -3, Max: 10},
		"gauge huge":       &Gauge{Value: 1e6, Max: 1e6},
		"gauge tiny":       &Gauge{Width: 20, Height: 10, Value: 5, Max: 10},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			svg := renderString(t, c)
			parse(t, svg)
			for _, bad := range []string{"NaN", "Inf", "e+0", "-0 ", "%!"} {
				if strings.Contains(svg, bad) {
					t.Errorf("output contains %q:\n%s", bad, svg)
				}
			}
		})
	}
}

func TestEmptySaysNoData(t *testing.T) {
	for name, c := range map[string]Chart{
		"timeseries": &TimeSeriesChart{Title: "P"},
		"only nan":   &TimeSeriesChart{Series: []Series{{Name: "a", Points: []Point{{T: day(2026, 1, 1), V: nan()}}}}},
		"gauge":      &Gauge{},
	} {
		t.Run(name, func(t *testing.T) {
			_, texts := parse(t, renderString(t, c))
			if !slices.Contains(texts, "no data yet") {
				t.Errorf("texts %q lack %q", texts, "no data yet")
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	const evil = `<script>alert("x")</script> & 'Tom' ]]>`
	d0 := day(2026, 1, 1)
	pts := []Point{{T: d0, V: 1}, {T: addDays(d0, 1), V: 2, Reconstructed: true}}
	cases := map[string]Chart{
		"timeseries": &TimeSeriesChart{Title: evil, YLabel: evil, Desc: "", Series: []Series{{Name: evil, Points: pts, Class: evil, Color: evil}},
			Thresholds: []Threshold{{Value: 3, Label: evil, Color: evil}}, Forecast: Forecast{Name: evil, Color: evil, Bands: bands(addDays(d0, 1), 3, 1, 2, 1)},
			Markers: []Marker{{T: d0, Label: evil, From: d0, To: addDays(d0, 1), Color: evil}}},
		"gauge": &Gauge{Label: evil, RunOut: evil, Value: 1, Max: 2},
		"desc":  &Gauge{Desc: evil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			svg := renderString(t, c)
			if strings.Contains(svg, "<script") {
				t.Fatalf("unescaped <script> in output:\n%s", svg)
			}
			titles, texts := parse(t, svg)
			found := false
			for _, s := range append(titles, texts...) {
				found = found || strings.Contains(s, evil)
			}
			if !found {
				t.Errorf("the name does not survive escaping round trip; titles %q texts %q", titles, texts)
			}
		})
	}
}

func TestTemplateEmbedding(t *testing.T) {
	// The dashboard puts charts into html/template with {{.}}; the markup must arrive intact
	// (not re-escaped) and its text escaped exactly once.
	tpl := template.Must(template.New("p").Parse(`<div class="chart">{{.}}</div>`))
	c := &Gauge{Label: "A & B", Value: 1, Max: 2}
	var b bytes.Buffer
	if err := tpl.Execute(&b, c.SVG()); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if !strings.HasPrefix(got, `<div class="chart"><svg xmlns=`) || !strings.Contains(got, "A &amp; B") || strings.Contains(got, "&amp;amp;") {
		t.Errorf("template output wrong:\n%s", got)
	}
}

func TestDeterministic(t *testing.T) {
	c := forecastChart(1)
	first := renderString(t, c)
	for range 3 {
		if renderString(t, c) != first {
			t.Fatal("two renderings differ")
		}
	}
	// Input order does not matter: a shuffled copy renders identically.
	shuffled := forecastChart(1)
	r := rand.New(rand.NewPCG(1, 2))
	pts := shuffled.Series[0].Points
	r.Shuffle(len(pts), func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
	r.Shuffle(len(shuffled.Forecast.Bands), func(i, j int) {
		shuffled.Forecast.Bands[i], shuffled.Forecast.Bands[j] = shuffled.Forecast.Bands[j], shuffled.Forecast.Bands[i]
	})
	if renderString(t, shuffled) != first {
		t.Error("shuffled input renders differently")
	}
	if slices.IsSortedFunc(pts, cmpPoint) {
		t.Fatal("test bug: shuffle left the points sorted")
	}
}

func TestDescription(t *testing.T) {
	c := &TimeSeriesChart{
		Title:      "Professional allocated",
		Series:     []Series{{Name: "Professional allocated", Points: []Point{{T: day(2024, 1, 1), V: 310}, {T: day(2025, 6, 1), V: 1200}, {T: day(2026, 11, 26), V: 460}}}},
		Thresholds: []Threshold{{Value: 500, Label: "licensed"}},
		Forecast:   Forecast{Bands: []Band{{T: day(2026, 11, 27), Mean: 461, Lo: 450, Hi: 470}, {T: day(2027, 11, 26), Mean: 540.4, Lo: 480.2, Hi: 600.7}}},
		Markers:    []Marker{{T: day(2027, 5, 3), Label: "run-out 2027-05-03", From: day(2027, 4, 10), To: day(2027, 7, 20)}},
	}
	titles, _ := parse(t, renderString(t, c))
	want := "Professional allocated from 2024-01-01 to 2026-11-26, 310 to 1,200; licensed 500; forecast to 2027-11-26: 540 (480–601); " +
		"run-out 2027-05-03 (2027-04-10 to 2027-07-20)"
	if len(titles) < 2 || titles[0] != "Professional allocated" || titles[1] != want {
		t.Errorf("title, desc = %q\nwant desc %q", titles[:2], want)
	}
	c.Desc = "custom"
	if titles, _ := parse(t, renderString(t, c)); titles[1] != "custom" {
		t.Errorf("Desc override ignored: %q", titles[1])
	}
}

func TestGaugeStates(t *testing.T) {
	tests := []struct {
		g     *Gauge
		state string
		pct   string
	}{
		{gauge40, "sc-ok", "40%"},
		{gauge85, "sc-warning", "85%"},
		{&Gauge{Value: 480, Max: 500}, "sc-critical", "96%"},
		{gauge101, "sc-over", "101%"},
		{&Gauge{Value: 50, Max: 100, Warn: 0.5, Crit: 0.9}, "sc-warning", "50%"},
	}
	for _, tc := range tests {
		t.Run(tc.pct, func(t *testing.T) {
			svg := renderString(t, tc.g)
			_, texts := parse(t, svg)
			if !strings.Contains(svg, `class="sc-gauge-value `+tc.state+`"`) || !slices.Contains(texts, tc.pct) {
				t.Errorf("want state %s and text %s; texts %q", tc.state, tc.pct, texts)
			}
		})
	}
}

func TestReconstructedDrawnSeparately(t *testing.T) {
	svg := renderString(t, reconChart())
	if n := strings.Count(svg, `class="sc-line sc-reconstructed"`); n != 1 {
		t.Errorf("%d reconstructed paths, want 1", n)
	}
	_, texts := parse(t, svg)
	if !slices.Contains(texts, "Professional (reconstructed)") {
		t.Errorf("legend lacks the reconstructed entry: %q", texts)
	}
	if strings.Contains(svg, "Analyzer (reconstructed)") {
		t.Error("legend has a reconstructed entry for a series without reconstructed points")
	}
}

func TestHoverTooltips(t *testing.T) {
	titles, _ := parse(t, renderString(t, reconChart()))
	want := "2026-09-06\nProfessional: 126 (reconstructed)\nAnalyzer: 47"
	if !slices.Contains(titles, want) {
		t.Errorf("no hover title %q among %q", want, titles[:4])
	}
}

func TestDownsampleKeepsExtremes(t *testing.T) {
	d0 := day(2024, 1, 1)
	var pts []Point
	for i := range 1100 {
		pts = append(pts, Point{T: addDays(d0, i), V: float64(i % 17)})
	}
	pts[500].V, pts[777].V = 1000, -50
	pts[300].V = nan()
	got := downsample(pts, 100, unixF(pts[0].T), unixF(pts[len(pts)-1].T))
	if len(got) > 110 || len(got) < 50 {
		t.Errorf("downsampled to %d points, want about 100", len(got))
	}
	hasV := func(v float64) bool { return slices.ContainsFunc(got, func(p Point) bool { return p.V == v }) }
	if !hasV(1000) || !hasV(-50) || !slices.ContainsFunc(got, func(p Point) bool { return math.IsNaN(p.V) }) {
		t.Error("downsampling lost the peak, the dip or the gap")
	}
	if !slices.IsSortedFunc(got, cmpPoint) || got[0] != pts[0] || got[len(got)-1] != pts[len(pts)-1] {
		t.Error("downsampled series is out of order or lost its ends")
	}
	if short := pts[:50]; len(downsample(short, 100, 0, 1)) != 50 {
		t.Error("short series changed")
	}
}

// threeYears is the benchmark chart: three daily series over three years plus a year of
// forecast band.
func threeYears() *TimeSeriesChart {
	last := day(2026, 11, 26)
	from := last.AddDate(-3, 0, 0)
	c := forecastChart(1)
	c.Series = []Series{
		{Name: "Professional", Points: history(from, last, 1, 310, 460), Style: Area},
		{Name: "Analyzer", Points: history(from, last, 1, 100, 180)},
		{Name: "Login passes", Points: history(from, last, 1, 20, 60), Style: Step},
	}
	c.Forecast.Bands = bands(last, 365, 1, 460, 0.25)
	return c
}

func TestThreeYearChart(t *testing.T) {
	c := threeYears()
	if n := len(c.Series[0].Points); n < 1090 {
		t.Fatalf("fixture has %d points", n)
	}
	full := renderString(t, c)
	parse(t, full)
	c.Downsample = true
	small := renderString(t, c)
	parse(t, small)
	t.Logf("3-year chart: %d bytes, %d bytes downsampled", len(full), len(small))
}

func BenchmarkThreeYearChart(b *testing.B) {
	c := threeYears()
	for b.Loop() {
		if err := c.Render(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkThreeYearChartDownsampled(b *testing.B) {
	c := threeYears()
	c.Downsample = true
	for b.Loop() {
		if err := c.Render(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGaugeOverDistinctFromCritical: 101% (over the license) and 95%
// (critical) differ in colour and in words, and State says which.
func TestGaugeOverDistinctFromCritical(t *testing.T) {
	over, crit := &Gauge{Value: 101, Max: 100}, &Gauge{Value: 95, Max: 100}
	if over.State() != GaugeOver || crit.State() != GaugeCritical {
		t.Fatalf("states %s and %s, want over and critical", over.State(), crit.State())
	}
	fill := regexp.MustCompile(`class="sc-gauge-pct[^"]*"[^>]*fill="([^"]+)"`)
	o, c := fill.FindStringSubmatch(renderString(t, over)), fill.FindStringSubmatch(renderString(t, crit))
	if o == nil || c == nil || o[1] == c[1] {
		t.Errorf("over and critical drawn in the same colour %v / %v", o, c)
	}
	_, texts := parse(t, renderString(t, over))
	if !slices.Contains(texts, "101 of 100, 1 over") {
		t.Errorf("over gauge does not say by how much: %q", texts)
	}
	for g, want := range map[*Gauge]string{{Value: 3, Max: 0}: GaugeNoneLicensed, {}: GaugeNoData, {Value: 50, Max: 100}: GaugeOK} {
		if g.State() != want {
			t.Errorf("%+v: state %s, want %s", *g, g.State(), want)
		}
	}
}
