package web

import (
	"fmt"
	"html/template"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/forecast"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/svgchart"
)

// typeCharts are the charts of one license type, drawn once per report model.
type typeCharts struct {
	Type    license.Type
	Label   string
	Gauge   template.HTML
	History template.HTML // empty when the type has no history
	// RunOut is the forecast in words, e.g. "runs out 2027-05-03 (159 days)".
	RunOut string
	// Reconstructed is true when the history has backfilled days.
	Reconstructed bool
	// State is the gauge's level (svgchart.GaugeOK … GaugeOver) and Value
	// and Max what it shows, for the site card's license verdict.
	State      string
	Value, Max float64
}

// chartCache keeps the charts of the latest report model of every site.
// A 100k-user site's three-year history makes a chart cost milliseconds;
// drawing them once per model keeps page renders well under the budget.
type chartCache struct {
	mu    sync.Mutex
	sites map[string]*chartEntry
}

type chartEntry struct {
	rep    *report.Report
	once   sync.Once
	charts []typeCharts
}

func newChartCache() *chartCache { return &chartCache{sites: map[string]*chartEntry{}} }

// get returns the charts of rep, drawing them on first use. The entry of a
// site is replaced when the backend hands out a new model, so at most one
// model per site is kept.
func (c *chartCache) get(site string, rep *report.Report) []typeCharts {
	if rep == nil {
		return nil
	}
	c.mu.Lock()
	e := c.sites[site]
	if e == nil || e.rep != rep {
		e = &chartEntry{rep: rep}
		c.sites[site] = e
	}
	c.mu.Unlock()
	// Drawing happens outside the cache lock so sites do not wait for each
	// other; once makes concurrent first views draw only once.
	e.once.Do(func() { e.charts = drawCharts(rep) })
	return e.charts
}

func drawCharts(rep *report.Report) []typeCharts {
	out := make([]typeCharts, 0, len(rep.Types))
	for i := range rep.Types {
		t := &rep.Types[i]
		tc := typeCharts{Type: t.Type, Label: t.Label, RunOut: runOutText(rep, t)}
		value, max := float64(t.Allocated), float64(t.Licensed)
		g := svgchart.Gauge{Label: t.Label, Value: value, Max: max}
		if t.Type == license.AnalyzerCapacity && rep.Capacity != nil {
			g.Value, g.Max = float64(rep.Capacity.Used), float64(rep.Capacity.Licensed)
			g.Label, g.Of = "Analyzer Capacity", "minutes"
		}
		// The run-out is written next to the gauge in HTML, where it can be
		// read, selected and printed, so the gauge itself does not repeat it.
		tc.Gauge = g.SVG()
		tc.State, tc.Value, tc.Max = g.State(), g.Value, g.Max
		// The same chart as the HTML report's (report.HistoryChart), with
		// its phone layout.
		if c := report.HistoryChart(rep, t); c != nil {
			tc.History = c.Responsive()
		}
		for _, p := range t.History {
			if p.Reconstructed {
				tc.Reconstructed = true
				break
			}
		}
		out = append(out, tc)
	}
	return out
}

// runOutText says a type's forecast in a few words for a gauge.
func runOutText(rep *report.Report, t *report.TypeReport) string {
	f := t.Forecast
	switch f.Status {
	case string(forecast.StatusRunsOut):
		if f.Date != nil {
			if f.DaysLeft != nil {
				return fmt.Sprintf("runs out %s (%d days)", day(*f.Date), *f.DaysLeft)
			}
			return fmt.Sprintf("runs out %s", day(*f.Date))
		}
		return "runs out within the horizon"
	case string(forecast.StatusAlreadyExceeded):
		return "at or over the license now"
	case string(forecast.StatusNotWithinHorizon):
		if !rep.HorizonEnd.IsZero() {
			return "no run-out before " + day(rep.HorizonEnd)
		}
		return "no run-out within the horizon"
	case string(forecast.StatusFlatOrDeclining):
		return "flat or declining: no run-out"
	case string(forecast.StatusNotEnoughHistory):
		return "not enough history to forecast"
	case report.StatusNoLicense:
		return "nothing licensed"
	case report.StatusNotApplicable:
		if c := rep.Capacity; c != nil && t.Type == license.AnalyzerCapacity {
			if c.RunsOut != nil {
				return "pool runs out " + day(*c.RunsOut)
			}
			return "pool lasts the month"
		}
		return "not forecast"
	}
	return f.Status
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
