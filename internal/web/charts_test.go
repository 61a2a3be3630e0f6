package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/svgchart"
)

// TestChartsAreTheReportsOnes: the dashboard draws each type's history
// with report.HistoryChart, the HTML report's chart, in both layouts, and
// its stylesheet switches them at the same width as the report's.
func TestChartsAreTheReportsOnes(t *testing.T) {
	f := fixture(t)
	body := get(t, newHandler(f), "/sites/prod").Body.String()
	rep := f.reports["prod"]
	for i := range rep.Types {
		c := report.HistoryChart(rep, &rep.Types[i])
		if c == nil {
			continue
		}
		if !strings.Contains(body, string(c.Responsive())) {
			t.Errorf("%s: the dashboard's chart is not report.HistoryChart's", rep.Types[i].Label)
		}
	}
	css := string(get(t, newHandler(f), "/static/style.css").Body.String())
	if !strings.Contains(css, svgchart.ResponsiveCSS) {
		t.Error("style.css does not carry svgchart.ResponsiveCSS")
	}
	if !strings.Contains(css, "@media print") {
		t.Error("style.css has no print rules")
	}
}

// TestSiteHeadingVerdict: the badge next to a site's name is the site's
// verdict, the same as its card's: a working License Monitor on a site over
// its Professional license is critical, with the reason under the name.
func TestSiteHeadingVerdict(t *testing.T) {
	f := fixture(t)
	f.sites = append(f.sites, SiteInfo{Name: "over", Server: "https://over.example:4242", LastCheck: checkedAt, Status: check.OK,
		Summary: "Reload License Monitor is working", LastCollect: checkedAt})
	rep := synthReport("over", 400, 30, checkedAt)
	p := &rep.Types[0]
	p.Allocated, p.Licensed, p.Remaining = 105, 100, -5
	f.reports["over"] = rep
	body := get(t, newHandler(f), "/sites/over").Body.String()
	h1 := regexp.MustCompile(`(?s)<h1>(.*?)</h1>\s*<p class="lead">(.*?)</p>`).FindStringSubmatch(body)
	if h1 == nil {
		t.Fatalf("no heading with a verdict:\n%.2000s", body)
	}
	if !strings.Contains(h1[1], `badge-critical`) || !strings.Contains(h1[2], "Professional over the license: 105 of 100, 5 over") {
		t.Errorf("heading %q, reason %q: want CRITICAL for the license", h1[1], h1[2])
	}
}
