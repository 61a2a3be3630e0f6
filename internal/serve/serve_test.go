package serve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/notifytest"
	"github.com/licmon/licmon/internal/notify/webhook"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

type loader struct {
	mu  sync.Mutex
	cfg *config.Config
	err error
}

func (l *loader) Load() (*config.Config, []config.Site, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, nil, l.err
	}
	c := *l.cfg
	return &c, c.Sites, nil
}

func (l *loader) set(f func(c *config.Config), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := *l.cfg
	if f != nil {
		f(&c)
	}
	l.cfg, l.err = &c, err
}

func get(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeFailingSite runs the daemon against a simulated site whose
// License Monitor fails with HTTP 401 on its REST connection.
func TestServeFailingSite(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30, Scenario: "lm-failing-rest-401"})
	hook := notifytest.NewReceiver(t, "ok")
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "licmon.db")
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	cfg.Serve.ExternalURL = "https://licmon.example.com"
	cfg.Channels.Webhook = []webhook.Config{{Name: "ops", URL: hook.URL + "/hook"}}
	cfg.Channels.Retry = notify.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond}
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

	if code, _ := get(t, base+"/-/healthy"); code != 200 {
		t.Errorf("/-/healthy = %d", code)
	}
	waitFor(t, "/-/ready", func() bool { code, _ := get(t, base+"/-/ready"); return code == 200 })

	_, m := get(t, base+"/metrics")
	for _, want := range []string{
		`licmon_task_last_status{site="sim",task="Reload License Monitor"} 8`,
		`licmon_check_success{site="sim"} 1`,
		`licmon_config_last_reload_successful 1`,
		"go_goroutines",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	waitFor(t, "the alert", func() bool {
		for _, r := range hook.Requests() {
			if strings.Contains(string(r.Body), `"key":"sim/lm-task-failed"`) {
				return true
			}
		}
		return false
	})
	var body string
	for _, r := range hook.Requests() {
		if strings.Contains(string(r.Body), `"key":"sim/lm-task-failed"`) {
			body = string(r.Body)
		}
	}
	for _, want := range []string{`"code":"rest-auth"`, `"connection":"monitor_apps_REST_`, `"dashboard_url":"https://licmon.example.com/sites/sim"`, `"log_tail":["`} {
		if !strings.Contains(body, want) {
			t.Errorf("alert lacks %s:\n%s", want, body)
		}
	}

	// The first collection ran at start (nothing in the store): licenses show.
	waitFor(t, "the first collection", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `licmon_collect_success{site="sim"} 1`) && strings.Contains(m, `licmon_license_total{site="sim",type="professional"}`)
	})

	// The dashboard and API are mounted.
	if code, b := get(t, base+"/api/v1/sites"); code != 200 || !strings.Contains(b, `"sim"`) {
		t.Errorf("/api/v1/sites = %d %s", code, b)
	}
	if code, b := get(t, base+"/api/v1/sites/sim/check"); code != 200 || !strings.Contains(b, "rest-auth") {
		t.Errorf("/api/v1/sites/sim/check = %d", code)
	}

	// Reload with a change: auth is now required.
	ld.set(func(c *config.Config) { c.Serve.Auth = config.ServeAuth{BearerToken: "t0ken"} }, nil)
	if code, b := post(t, base+"/-/reload"); code != 200 {
		t.Fatalf("POST /-/reload = %d %s", code, b)
	}
	if code, _ := post(t, base+"/-/reload"); code != 401 {
		t.Errorf("POST /-/reload without the new token = %d, want 401", code)
	}
	if err := s.Reload(); err != nil { // the SIGHUP path
		t.Fatal(err)
	}
	if code, _ := get(t, base+"/metrics"); code != 401 {
		t.Errorf("/metrics without token after reload = %d, want 401", code)
	}
	code, m := get(t, base+"/metrics", "Authorization", "Bearer t0ken")
	if code != 200 || !strings.Contains(m, "licmon_config_last_reload_successful 1") {
		t.Errorf("/metrics with token = %d", code)
	}
	if code, _ := get(t, base+"/-/ready"); code != 200 {
		t.Errorf("/-/ready must stay open: %d", code)
	}

	// A broken config keeps the old one and turns the gauge to 0.
	ld.set(nil, errors.New("config licmon.yaml: line 3: unknown key"))
	if err := s.Reload(); err == nil {
		t.Fatal("reload of a broken config succeeded")
	}
	_, m = get(t, base+"/metrics", "Authorization", "Bearer t0ken")
	if !strings.Contains(m, "licmon_config_last_reload_successful 0") {
		t.Error("reload gauge not 0 after a failed reload")
	}
	if !strings.Contains(m, `licmon_task_last_status{site="sim",task="Reload License Monitor"} 8`) {
		t.Error("site state lost after a failed reload")
	}
}
