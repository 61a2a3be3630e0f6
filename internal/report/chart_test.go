package report

import (
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/svgchart"
)

// TestHistoryChart: the chart the dashboard and the HTML report share
// (docs/CHARTS.md): the history in its colour, the licensed total in its
// own and drawn through to the forecast horizon, the forecast's interval
// level in its name, "as of" (never "today"), and the run-out marked on the
// licensed total; Analyzer Capacity is "minutes used" of the "pool".
func TestHistoryChart(t *testing.T) {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	runOut, early, late := d(12, 20), d(12, 1), d(12, 31)
	days := 40
	ty := TypeReport{Type: license.Professional, Label: "Professional", Licensed: 100, Allocated: 90,
		Forecast: Forecast{Status: string(forecast.StatusRunsOut), Date: &runOut, Earliest: &early, Latest: &late}}
	for i := range days {
		ty.History = append(ty.History, HistoryPoint{Day: d(9, 1).AddDate(0, 0, i), Allocated: int64(50 + i), Licensed: 100, Reconstructed: i < 5})
	}
	for i := 1; i <= 120; i++ {
		m := 89 + 0.1*float64(i)
		ty.Forecast.Band = append(ty.Forecast.Band, BandPoint{Day: d(10, 10).AddDate(0, 0, i), Mean: m, Lo: m - 5, Hi: m + 5})
	}
	r := &Report{AsOf: d(10, 10).Add(23 * time.Hour), Settings: Settings{IntervalLevel: 0.9}, Types: []TypeReport{ty}}
	c := HistoryChart(r, &r.Types[0])
	if len(c.Series) != 2 || c.Series[0].Name != "allocated" || c.Series[1].Name != "licensed" {
		t.Fatalf("series %+v", c.Series)
	}
	if c.Series[0].Color != svgchart.ColorHistory || c.Series[1].Color != svgchart.ColorLicensed {
		t.Errorf("colours %s / %s", c.Series[0].Color, c.Series[1].Color)
	}
	lic := c.Series[1].Points
	if last := lic[len(lic)-1]; !last.T.Equal(ty.Forecast.Band[119].Day) || last.V != 100 {
		t.Errorf("the licensed line ends at %v %v, want the horizon %v at 100", last.T, last.V, ty.Forecast.Band[119].Day)
	}
	for _, p := range lic {
		if p.Reconstructed {
			t.Error("the licensed line has reconstructed points: the legend would list a line that is not the history's")
			break
		}
	}
	if c.Forecast.Name != "forecast, 90% interval" {
		t.Errorf("forecast named %q", c.Forecast.Name)
	}
	if len(c.Markers) != 2 || c.Markers[0].Label != "as of 2026-10-10" || c.Markers[1].Label != "run-out 2026-12-20" ||
		!c.Markers[1].Dot || c.Markers[1].Value != 100 || !c.Markers[1].From.Equal(early) {
		t.Errorf("markers %+v", c.Markers)
	}

	capTy := TypeReport{Type: license.AnalyzerCapacity, Label: "Analyzer Capacity (minutes)", Licensed: 20000, Allocated: 12852,
		Forecast: Forecast{Status: StatusNotApplicable}, History: []HistoryPoint{{Day: d(11, 27), Allocated: 12852, Licensed: 20000}}}
	r.Types = append(r.Types, capTy)
	svg := string(HistoryChart(r, &r.Types[1]).SVG())
	if !strings.Contains(svg, "minutes used: 12,852") || !strings.Contains(svg, "pool: 20,000") || !strings.Contains(svg, "One collection so far") {
		t.Errorf("the one-day capacity chart does not say its figures and that the history starts:\n%s", svg)
	}
	if strings.Contains(svg, "allocated") {
		t.Error("capacity minutes are called allocated")
	}
	if HistoryChart(r, &TypeReport{Type: license.Analyzer}) != nil {
		t.Error("a chart for a type without history")
	}
}

// TestHTMLChartsAreTheSharedOnes: the HTML report draws every type with
// history, Analyzer Capacity included, with HistoryChart in its phone and
// desktop layouts, and says "as of", never "today".
func TestHTMLChartsAreTheSharedOnes(t *testing.T) {
	r := simulated(t)
	var b strings.Builder
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if n := strings.Count(html, `<div class="sc-pair">`); n != len(r.Types) {
		t.Errorf("%d charts, want one per type (%d)", n, len(r.Types))
	}
	for i := range r.Types {
		if want := string(HistoryChart(r, &r.Types[i]).Responsive()); !strings.Contains(html, want) {
			t.Errorf("%s: the report's chart is not HistoryChart's", r.Types[i].Label)
		}
	}
	if strings.Contains(html, ">today<") || !strings.Contains(html, ">as of ") {
		t.Error(`the report's charts do not say "as of"`)
	}
	if !strings.Contains(html, svgchart.ResponsiveCSS) || !strings.Contains(html, "@media print") {
		t.Error("the report lacks its phone or print stylesheet")
	}
}
