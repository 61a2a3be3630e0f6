package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestGrafanaDashboardMatchesMetrics: the shipped Grafana dashboard queries
// only series licmon exports, and its legends name them as /metrics and
// the API do (the capacity pool total is not "allocated").
func TestGrafanaDashboardMatchesMetrics(t *testing.T) {
	b, err := os.ReadFile("../../packaging/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr, LegendFormat string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	ch := make(chan *prometheus.Desc, 100)
	go func() { New(fixture()).Describe(ch); close(ch) }()
	for desc := range ch {
		if m := regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(desc.String()); m != nil {
			known[m[1]] = true
		}
	}
	name := regexp.MustCompile(`licmon_[a-z_]+`)
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				n++
				if !known[m] {
					t.Errorf("panel %q queries %s, which licmon does not export", p.Title, m)
				}
			}
			if strings.HasPrefix(tg.Expr, "licmon_license_total") && strings.HasPrefix(tg.LegendFormat, "allocated") {
				t.Errorf("panel %q labels the licensed total %q", p.Title, tg.LegendFormat)
			}
		}
	}
	if n == 0 {
		t.Fatal("the dashboard queries no licmon series")
	}
}
