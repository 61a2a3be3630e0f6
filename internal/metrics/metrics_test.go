package metrics

import (
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/golden"
	"github.com/licmon/licmon/internal/license"
	"github.com/prometheus/client_golang/prometheus"
)

type fixed struct {
	sites  []Site
	reload bool
}

func (f fixed) Sites() []Site              { return f.sites }
func (f fixed) LastReloadSuccessful() bool { return f.reload }

func fixture() fixed {
	success := time.Date(2025, 5, 1, 6, 0, 0, 0, time.UTC)
	waiting := 12.0
	return fixed{reload: true, sites: []Site{
		{Name: "prod",
			Counters: []license.Counters{
				{Type: license.Professional, Enabled: true, Total: 500, Allocated: 480, Used: 470, Quarantined: 6, Excess: 0, Available: 20},
				{Type: license.Analyzer, Enabled: true, Total: 4000, Allocated: 3100, Used: 2900, Quarantined: 40, Excess: 2, Available: 900},
				{Type: license.AnalyzerCapacity, Enabled: true, Total: 6000, Used: 1234, Available: 4766},
				{Type: license.UserAccess}, // not licensed: no series
			},
			RunOutDays: map[license.Type]float64{license.Professional: 41},
			Unmet: []Unmet{{Type: license.Professional, Source: license.DenialsFromLogs, Denials: 57, Waiting: &waiting},
				{Type: license.Professional, Source: license.DenialsEstimated, Denials: 9}},
			Tasks: []Task{{Name: "Reload License Monitor", Status: 8, LastSuccess: success},
				{Name: "Reload Operations Monitor", Status: 7, LastSuccess: success.Add(time.Hour)}},
			Check:   &Run{Success: true, Duration: 1250 * time.Millisecond},
			Collect: &Run{Success: true, Duration: 42 * time.Second},
			Checks:  &Checks{Late: 2, Unsaved: 1},
			Jobs:    []Job{{Name: "check", Skipped: 0}, {Name: "collect", Skipped: 2}},
		},
		{Name: "test", Check: &Run{Success: false, Duration: 30 * time.Second}},
	}}
}

func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestMetricsGolden(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(New(fixture()))
	got := scrape(t, reg)
	golden.Assert(t, "metrics.golden", []byte(got))
}

func TestRegistryHasGoAndProcessCollectors(t *testing.T) {
	f := fixture()
	f.reload = false
	out := scrape(t, NewRegistry(f))
	for _, want := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "licmon_config_last_reload_successful 0", `licmon_check_success{site="test"} 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil && !strings.Contains(out, "process_resident_memory_bytes ") {
		t.Error("missing process collector")
	}
}

// TestScrapeReadsCurrentState shows the collector has no cache: a change in
// the source is visible at the next scrape.
func TestScrapeReadsCurrentState(t *testing.T) {
	f := fixture()
	reg := prometheus.NewRegistry()
	src := &mutable{f: f}
	reg.MustRegister(New(src))
	if !strings.Contains(scrape(t, reg), `licmon_task_last_status{site="prod",task="Reload License Monitor"} 8`) {
		t.Fatal("failing status not shown")
	}
	src.f.sites[0].Tasks[0].Status = 7
	if !strings.Contains(scrape(t, reg), `licmon_task_last_status{site="prod",task="Reload License Monitor"} 7`) {
		t.Fatal("new status not shown")
	}
}

type mutable struct{ f fixed }

func (m *mutable) Sites() []Site              { return m.f.sites }
func (m *mutable) LastReloadSuccessful() bool { return true }
