package serve

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// TestServeUnderQRSFaults runs the daemon against a site whose QRS first
// fails every request (503), then recovers: the daemon keeps serving its
// health, metrics, dashboard and API, reports the check as failed with the
// reason, and collects once the QRS is back. goleak (TestMain) checks that
// it stops without leaving a goroutine.
func TestServeUnderQRSFaults(t *testing.T) {
	t.Parallel() // waits on its schedule: runs beside the other waiting ones
	s, err := sim.New(sim.Options{Seed: 3, Users: 40, HistoryDays: 20})
	if err != nil {
		t.Fatal(err)
	}
	f, err := sim.NewFaults(1, sim.Fault{Path: "/qrs/*", Kind: sim.FaultStatus, Status: 503})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	site := simtest.ServeWith(t, s, func(h http.Handler) http.Handler {
		faulty := f.Wrap(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				faulty.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "licmon.db")
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	cfg.Schedule.CheckEvery = config.Duration(2 * time.Second)
	ld := &loader{cfg: cfg}
	// The site's QRS client (QRSClient) with 10ms between retries instead
	// of 0.5s doubling: the failed check retries as in production, without
	// waiting out production's backoff.
	newClient := func(s config.Site) (Client, error) {
		qc, err := s.QRS("licmon/test", nil)
		if err != nil {
			return nil, err
		}
		qc.RetryBackoff = 10 * time.Millisecond
		c, err := qrs.New(qc)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	srv, err := New(t.Context(), Options{Load: ld.Load, NewClient: newClient, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	var last string
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(last, `licmon_check_success{site="sim"} 0`) {
		if time.Now().After(deadline) {
			t.Fatalf("no failed check reported:\n%s", last)
		}
		time.Sleep(100 * time.Millisecond)
		_, last = get(t, base+"/metrics")
	}
	for _, p := range []string{"/-/healthy", "/", "/sites/sim", "/api/v1/sites", "/api/v1/sites/sim/check"} {
		if code, _ := get(t, base+p); code != 200 {
			t.Errorf("%s = %d while the QRS is down", p, code)
		}
	}
	if _, b := get(t, base+"/api/v1/sites/sim/check"); !strings.Contains(b, "503") {
		t.Errorf("the check does not say why it failed: %s", b)
	}
	if f.Applied("") == 0 {
		t.Fatal("the fault was never applied")
	}

	down.Store(false)
	waitFor(t, "a good check once the QRS is back", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `licmon_check_success{site="sim"} 1`)
	})
}
