package serve

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/sim/simlogs"
	"github.com/licmon/licmon/internal/simtest"
)

// A site with a logs folder is imported at start and on the schedule: the
// API answers its logs summary and /metrics shows the import and the
// latest complete day's active users and denials.
func TestServeImportsLogs(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 40, HistoryDays: 30})
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	end := time.Now().UTC().Truncate(24 * time.Hour)
	truth, err := simlogs.Generate(simlogs.Options{Out: logs, Users: 60, Days: 4, Seed: 2, Scenario: "at-capacity", End: end})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "licmon.db")
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir, Logs: []string{logs}}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + s.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFor(t, "the log import", func() bool {
		_, body := get(t, base+"/metrics")
		return strings.Contains(body, `licmon_logs_import_success{site="sim"} 1`)
	})
	code, body := get(t, base+"/api/v1/sites/sim/logs")
	var sum struct {
		Sessions int64            `json:"sessions"`
		Denials  map[string]int64 `json:"denials"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &sum) != nil || sum.Sessions != int64(truth.Sessions) {
		t.Fatalf("/api/v1/sites/sim/logs: %d %s (want %d sessions)", code, body, truth.Sessions)
	}
	yesterday := end.AddDate(0, 0, -1)
	want := map[string]int{}
	for _, a := range truth.Active {
		if a.Day.Equal(yesterday) {
			want[string(a.Type)] = a.Users
		}
	}
	_, metricsBody := get(t, base+"/metrics")
	for typ, n := range want {
		line := `licmon_logs_daily_active_users{site="sim",type="` + typ + `"} ` + itoa(n)
		if !strings.Contains(metricsBody, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	code, page := get(t, base+"/sites/sim/logs")
	if code != 200 || !strings.Contains(page, "Daily active users") || !strings.Contains(page, "<td>professional</td>") {
		t.Errorf("/sites/sim/logs: %d\n%s", code, page)
	}
	if code, _ := get(t, base+"/api/v1/sites/nowhere/logs"); code != 404 {
		t.Errorf("unknown site: %d", code)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
