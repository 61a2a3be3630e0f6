package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/golden"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	simOnce   sync.Once
	simReport *Report
	simErr    error
)

// simulated collects a simulated site (fixed seed, one controllable clock
// for the simulator and the collector) once a day for 150 days into a temp
// store and builds the report as of the last day. The first collection
// also writes the reconstructed history of the 60 days before it.
func simulated(t *testing.T) *Report {
	t.Helper()
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "licmon-report-*")
		if err != nil {
			simErr = err
			return
		}
		defer os.RemoveAll(dir)
		clk := &clock{t: time.Date(2025, 9, 1, 6, 0, 0, 0, time.UTC)}
		site := simtest.Start(t, sim.Options{Seed: 7, Users: 120, HistoryDays: 60, Now: clk.Now})
		c := site.Client(t)
		ctx := context.Background()
		st, err := store.Open(ctx, filepath.Join(dir, "sim.db"), store.Options{})
		if err != nil {
			simErr = err
			return
		}
		defer st.Close()
		for d := range 150 {
			if d > 0 {
				clk.Add(24 * time.Hour)
			}
			if _, err := collect.Run(ctx, c, st, "sim", clk.Now()); err != nil {
				simErr = err
				return
			}
		}
		asOf := time.Date(2026, 1, 28, 23, 59, 59, 0, time.UTC)
		simReport, simErr = Build(ctx, st, "sim", Options{AsOf: asOf, HorizonEnd: asOf.AddDate(1, 0, 0), Seed: 1})
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simReport
}

func TestGolden(t *testing.T) {
	r := simulated(t)
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer, *Report) error
	}{
		{"sim.txt", func(b *bytes.Buffer, r *Report) error { return WriteText(b, r) }},
		{"sim.json", func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) }},
		{"sim.csv", func(b *bytes.Buffer, r *Report) error { return WriteCSV(b, r) }},
		{"sim-candidates.csv", func(b *bytes.Buffer, r *Report) error { return WriteCandidatesCSV(b, r) }},
		{"sim.html", func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.write(&b, r); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, f.name, b.Bytes())
		})
	}
}

// TestSimulatedReport checks what the goldens must show: the site's types,
// the reconstructed history shown but left out of the fit, a forecast with
// backtest error, and a self-contained HTML.
func TestSimulatedReport(t *testing.T) {
	r := simulated(t)
	if r.SchemaVersion != SchemaVersion || len(r.Types) < 2 {
		t.Fatalf("schema %d, %d types", r.SchemaVersion, len(r.Types))
	}
	p := typeOf(t, r, "professional")
	recon := 0
	for _, h := range p.History {
		if h.Reconstructed {
			recon++
		}
	}
	if recon == 0 || p.Forecast.ReconstructedPoints != 0 {
		t.Fatalf("reconstructed history: %d points shown, %d fitted; want >0 shown and none fitted", recon, p.Forecast.ReconstructedPoints)
	}
	if p.Forecast.Backtest == nil || p.Forecast.Backtest.Status != "ok" || p.Forecast.Backtest.Horizons[0].N == 0 {
		t.Fatalf("backtest %+v", p.Forecast.Backtest)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, bad := range []string{"src=\"http", "href=\"http", "<script", "url(http", "@import", "<link"} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains %q: not self-contained", bad)
		}
	}
	if !strings.Contains(h, "<svg") || !strings.Contains(h, r.Plan.Summary) {
		t.Error("HTML lacks the chart or the plan")
	}
	var txt bytes.Buffer
	_ = WriteText(&txt, r)
	// The simulator turns users away once a type is full: the report
	// estimates them from the QRS and says it is an estimate.
	if !strings.Contains(txt.String(), "backtest: MAPE") || !strings.Contains(txt.String(), "source qrs-estimate (an estimate") {
		t.Errorf("text lacks the backtest error or the labelled unmet-demand estimate:\n%s", txt.String())
	}
}
