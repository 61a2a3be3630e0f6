package serve

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/notifytest"
	"github.com/licmon/licmon/internal/notify/webhook"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

func TestReclaimOnlyWhenScheduledExplicitly(t *testing.T) {
	cfg := config.Default()
	if reclaimScheduled(cfg, "prod") {
		t.Error("scheduled without any configuration")
	}
	cfg.Reclaim.Schedule = config.ReclaimSchedule{Enabled: false, Sites: []string{"prod"}, At: "03:00"}
	if reclaimScheduled(cfg, "prod") {
		t.Error("scheduled while disabled")
	}
	cfg.Reclaim.Schedule.Enabled = true
	if !reclaimScheduled(cfg, "PROD") || reclaimScheduled(cfg, "test") {
		t.Error("enabled: want prod only")
	}
}

// TestScheduledReclaimAlertsAndAudits runs one scheduled reclaim against the
// simulator: the plan is saved, every release is audited and the run raises
// an alert that says what it did.
func TestScheduledReclaimAlertsAndAudits(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 4, Users: 200, HistoryDays: 300})
	hook := notifytest.NewReceiver(t, "ok")
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "licmon.db")
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Channels.Webhook = []webhook.Config{{Name: "ops", URL: hook.URL + "/hook"}}
	cfg.Channels.Retry = notify.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond}
	cfg.Reclaim = config.Reclaim{MaxReleases: 3, Rate: 100, Schedule: config.ReclaimSchedule{Enabled: true, Sites: []string{"sim"}, At: "03:00"}}
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	rt := s.rt.Load()
	if err := s.runReclaim(context.Background(), rt, rt.sites[0]); err != nil {
		t.Fatal(err)
	}
	plans, _ := s.st.Plans(context.Background(), "sim", "reclaim", 0)
	audit, _ := s.st.Audit(context.Background(), "sim", "", 0)
	if len(plans) != 1 || len(audit) != 3 {
		t.Fatalf("%d plans, %d audit entries: want 1 and 3 (max_releases)", len(plans), len(audit))
	}
	waitFor(t, "the reclaim alert", func() bool {
		for _, r := range hook.Requests() {
			b := string(r.Body)
			if strings.Contains(b, `"key":"sim/reclaim-run/`) && strings.Contains(b, "Scheduled reclaim released 3 allocation(s) on sim") {
				return true
			}
		}
		return false
	})
}
