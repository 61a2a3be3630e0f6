package serve

import (
	"testing"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/report"
)

// TestMetricsSiteUnmet: /metrics gets every source's refusals of the latest
// report, and the waiting demand only from the source the report rests on.
func TestMetricsSiteUnmet(t *testing.T) {
	logs := license.DenialsFromLogs
	n, w := int64(57), 12.0
	st := &siteState{cfg: config.Site{Name: "prod"}, report: &report.Report{UnmetDemand: report.UnmetDemand{Available: true, Types: []report.UnmetType{
		{Type: license.Professional, Source: &logs, Denials: &n, Waiting: &w, AtCapacity: true,
			Sources: []report.UnmetSource{{Source: logs, Denials: 57}, {Source: license.DenialsEstimated, Denials: 9}}},
		{Type: license.Analyzer, Sources: []report.UnmetSource{}},
	}}}}
	m := st.metricsSite()
	if len(m.Unmet) != 2 {
		t.Fatalf("unmet %+v, want the two Professional sources", m.Unmet)
	}
	if u := m.Unmet[0]; u.Source != logs || u.Denials != 57 || u.Waiting == nil || *u.Waiting != 12 {
		t.Fatalf("logs %+v", u)
	}
	if u := m.Unmet[1]; u.Source != license.DenialsEstimated || u.Denials != 9 || u.Waiting != nil {
		t.Fatalf("estimate %+v, want its refusals and no waiting figure (not the source used)", u)
	}
}
