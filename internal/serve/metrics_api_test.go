package serve

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

var metricLine = regexp.MustCompile(`^(licmon_[a-z_]+)\{([^}]*)\} (\S+)$`)

// scrapeLicmon parses the licmon_* series of a /metrics answer into
// name → labels → value.
func scrapeLicmon(t *testing.T, body string) map[string]map[string]float64 {
	t.Helper()
	out := map[string]map[string]float64{}
	for _, l := range strings.Split(body, "\n") {
		m := metricLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metric %q: %v", l, err)
		}
		if out[m[1]] == nil {
			out[m[1]] = map[string]float64{}
		}
		out[m[1]][m[2]] = v
	}
	return out
}

// TestMetricsEqualAPI: every license figure of /metrics is the API's for
// the same site, read from the store at start (before serve collects
// anything itself): capacity "allocated" is the minutes used as the API
// says, available is the API's remaining clamped at 0 for every type (a
// capacity pool used beyond its total is not "-150 available"), and the
// latest collection's success and time are there from the start.
func TestMetricsEqualAPI(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 20, HistoryDays: 0})
	dir := t.TempDir()
	db := filepath.Join(dir, "licmon.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	snap := &license.Snapshot{Site: "sim", At: at, License: license.SiteLicense{Model: license.ModelSignedKey},
		Counters: []license.Counters{
			{Type: license.Professional, Enabled: true, Total: 100, Allocated: 105, Used: 90, Excess: 5, Available: 0},
			{Type: license.Analyzer, Enabled: true, Total: 200, Allocated: 150, Used: 120, Quarantined: 3, Available: 50},
			{Type: license.AnalyzerCapacity, Enabled: true, Total: 600, Used: 750, Available: -150},
		}}
	if _, err := st.SaveSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cfg := config.Default()
	cfg.DB = db
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr().String()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	var m map[string]map[string]float64
	waitFor(t, "the stored collection in /metrics", func() bool {
		_, body := get(t, base+"/metrics")
		m = scrapeLicmon(t, body)
		return len(m["licmon_license_total"]) == 3
	})
	// warm publishes the stored counters, then builds the report model the
	// API answers from: wait for that too, not only for /metrics.
	waitFor(t, "the report model of the stored collection", func() bool {
		code, _ := get(t, base+"/api/v1/sites/sim/licenses")
		return code == 200
	})
	_, body := get(t, base+"/api/v1/sites/sim/licenses")
	var lic struct {
		Types []struct {
			Type                                                string
			Licensed, Allocated, Quarantined, Excess, Remaining int64
		}
	}
	if err := json.Unmarshal([]byte(body), &lic); err != nil {
		t.Fatal(err)
	}
	if len(lic.Types) != 3 {
		t.Fatalf("API types %+v", lic.Types)
	}
	for _, ty := range lic.Types {
		l := `site="sim",type="` + ty.Type + `"`
		for name, want := range map[string]int64{
			"licmon_license_total":       ty.Licensed,
			"licmon_license_allocated":   ty.Allocated,
			"licmon_license_quarantined": ty.Quarantined,
			"licmon_license_excess":      ty.Excess,
			"licmon_license_available":   max(0, ty.Remaining),
		} {
			got, ok := m[name][l]
			if !ok || got != float64(want) {
				t.Errorf("%s{%s} = %v (present %v), the API says %d", name, l, got, ok, want)
			}
		}
		if m["licmon_license_available"][l] < 0 {
			t.Errorf("available of %s is negative", ty.Type)
		}
	}
	if got := m["licmon_license_allocated"][`site="sim",type="analyzer-capacity"`]; got != 750 {
		t.Errorf("capacity allocated = %v, want the 750 minutes used", got)
	}

	_, body = get(t, base+"/api/v1/sites/sim")
	var info struct{ LastCollect time.Time }
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatal(err)
	}
	if got := m["licmon_collect_last_timestamp_seconds"][`site="sim"`]; info.LastCollect.IsZero() || got != float64(info.LastCollect.Unix()) {
		t.Errorf("collect time %v, the API says %v", got, info.LastCollect)
	}
	if got, ok := m["licmon_collect_success"][`site="sim"`]; !ok || got != 1 {
		t.Errorf("collect success %v (present %v), want 1 from the store at start", got, ok)
	}
	if _, ok := m["licmon_collect_duration_seconds"][`site="sim"`]; ok {
		t.Error("collect duration shown though the store does not keep it")
	}
}
