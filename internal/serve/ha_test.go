package serve

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/leader"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/notifytest"
	"github.com/licmon/licmon/internal/notify/webhook"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// lockTable plays PostgreSQL for fakeElectors: who holds the lock, and the
// state only the holder may write.
type lockTable struct {
	mu     sync.Mutex
	holder *fakeElector
	state  map[string][]byte
}

// fakeElector leads when the test grants it the lock and stops when the
// test revokes it, as a lost session would.
type fakeElector struct {
	tab      *lockTable
	instance string
	granted  chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
}

func (t *lockTable) elector(instance string) *fakeElector {
	return &fakeElector{tab: t, instance: instance, granted: make(chan struct{}, 1)}
}

// grant hands the lock to f (the previous holder must have lost it).
func (f *fakeElector) grant() {
	f.tab.mu.Lock()
	f.tab.holder = f
	f.tab.mu.Unlock()
	f.granted <- struct{}{}
}

// revoke ends f's leadership, as a lost session or a failed re-verify does.
func (f *fakeElector) revoke() {
	f.tab.mu.Lock()
	if f.tab.holder == f {
		f.tab.holder = nil
	}
	f.tab.mu.Unlock()
	f.mu.Lock()
	if f.cancel != nil {
		f.cancel()
	}
	f.mu.Unlock()
}

func (f *fakeElector) Campaign(ctx context.Context) (context.Context, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.granted:
	}
	lctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	f.cancel = cancel
	f.mu.Unlock()
	return lctx, nil
}

func (f *fakeElector) Leading() bool {
	f.tab.mu.Lock()
	defer f.tab.mu.Unlock()
	return f.tab.holder == f
}
func (f *fakeElector) Instance() string { return f.instance }
func (f *fakeElector) Shard() string    { return "all" }
func (f *fakeElector) Close() error     { f.revoke(); return nil }

func (f *fakeElector) LoadState(_ context.Context, name string) ([]byte, error) {
	f.tab.mu.Lock()
	defer f.tab.mu.Unlock()
	return f.tab.state[name], nil
}

func (f *fakeElector) SaveState(_ context.Context, name string, b []byte) error {
	f.tab.mu.Lock()
	defer f.tab.mu.Unlock()
	if f.tab.holder != f {
		return leader.ErrNotLeader
	}
	if f.tab.state == nil {
		f.tab.state = map[string][]byte{}
	}
	f.tab.state[name] = append([]byte(nil), b...)
	return nil
}

// startServer runs a server until the test ends and returns its base URL.
func startServer(t *testing.T, opts Options) string {
	t.Helper()
	s, err := New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + s.Addr().String()
}

func alertsSent(hook *notifytest.Receiver, key string) int {
	n := 0
	for _, r := range hook.Requests() {
		if strings.Contains(string(r.Body), `"key":"`+key+`"`) && strings.Contains(string(r.Body), `"status":"firing"`) {
			n++
		}
	}
	return n
}

// Two instances on one store: only the leader checks, collects and alerts;
// the standby serves what the leader stored; when the leader loses the
// lock the standby takes over where it left off: the check interval goes
// on from the last stored check, the day's collection is not repeated, and
// the alert its predecessor sent is not sent again.
func TestStandbyTakesOverWithoutRepeating(t *testing.T) {
	t.Parallel() // waits on its schedule: runs beside the other waiting ones
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30, Scenario: "lm-failing-rest-401"})
	hook := notifytest.NewReceiver(t, "ok")
	db := filepath.Join(t.TempDir(), "licmon.db")
	const every = 2 * time.Second
	cfg := config.Default()
	cfg.DB = db
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Schedule.CheckEvery = config.Duration(every)
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	// A slow machine (-race) may take longer than the interval: a run
	// still going skips the next slot rather than fail.
	cfg.Schedule.CheckTimeout = config.Duration(time.Minute)
	cfg.Channels.Webhook = []webhook.Config{{Name: "ops", URL: hook.URL + "/hook"}}
	cfg.Channels.Retry = notify.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond}
	ld := &loader{cfg: cfg}
	tab := &lockTable{}
	a, b := tab.elector("licmon-a"), tab.elector("licmon-b")
	opts := func(el leader.Elector) Options {
		return Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test", Elector: el, FollowEvery: 50 * time.Millisecond}
	}
	a.grant()
	baseA := startServer(t, opts(a))
	baseB := startServer(t, opts(b))

	st, err := store.Open(t.Context(), db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	collections := func() int {
		cs, err := st.Collections(t.Context(), "sim", time.Time{}, time.Now().Add(time.Hour))
		if err != nil && !errors.Is(err, store.ErrUnknownSite) {
			t.Fatal(err)
		}
		return len(cs)
	}
	checks := func() []store.CheckResult {
		cs, err := st.Checks(t.Context(), "sim", 1000)
		if err != nil && !errors.Is(err, store.ErrUnknownSite) {
			t.Fatal(err)
		}
		return cs
	}
	waitFor(t, "a's alert, check and collection", func() bool {
		return alertsSent(hook, "sim/lm-task-failed") == 1 && collections() == 1 && len(checks()) >= 1
	})

	metric := func(base, line string) bool { _, m := get(t, base+"/metrics"); return strings.Contains(m, line) }
	if !metric(baseA, `licmon_leader{instance="licmon-a",shard="all"} 1`) {
		t.Error("the leader's /metrics does not say it leads")
	}
	if !metric(baseB, `licmon_leader{instance="licmon-b",shard="all"} 0`) {
		t.Error("the standby's /metrics does not say it stands by")
	}
	// The standby serves the leader's findings from the store.
	waitFor(t, "the standby showing the leader's check and licenses", func() bool {
		code, body := get(t, baseB+"/api/v1/sites/sim/check")
		return code == 200 && strings.Contains(body, "rest-auth") && metric(baseB, `licmon_license_total{site="sim",type="professional"}`)
	})

	// The leader loses its lock; the standby gets it.
	a.revoke()
	b.grant()
	waitFor(t, "b leading and a standing by", func() bool {
		return metric(baseB, `licmon_leader{instance="licmon-b",shard="all"} 1`) && metric(baseA, `licmon_leader{instance="licmon-a",shard="all"} 0`)
	})
	handover := len(checks())
	waitFor(t, "two checks by the new leader", func() bool { return len(checks()) >= handover+2 })

	if n := collections(); n != 1 {
		t.Errorf("%d collections, want 1: the new leader repeated the day's collection", n)
	}
	if n := alertsSent(hook, "sim/lm-task-failed"); n != 1 {
		t.Errorf("the alert was sent %d times, want once: the new leader resent what its predecessor delivered", n)
	}
	// Stored checks are at least an interval apart, less the jitter and
	// the store's one-second precision: none was run twice at the handover.
	cs := checks() // newest first
	for i := 0; i+1 < len(cs); i++ {
		if gap := cs[i].At.Sub(cs[i+1].At); gap < every-time.Second {
			t.Errorf("checks at %s and %s: %s apart, want about %s", cs[i+1].At.Format(time.TimeOnly), cs[i].At.Format(time.TimeOnly), gap, every)
		}
	}
}

// One instance on SQLite leads at once; serve.sites runs only the selected
// sites; serve.instance names the instance in /metrics; a reload may not
// move the instance to another shard.
func TestSingleInstanceLeadsItsShard(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 20, HistoryDays: 0})
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "licmon.db")
	cfg.Sites = []config.Site{
		{Name: "sim", Server: site.URL, CertDir: site.CertDir, Labels: map[string]string{"env": "prod"}},
		{Name: "elsewhere", Server: "https://127.0.0.1:1", CertDir: site.CertDir, Labels: map[string]string{"env": "test"}},
	}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Serve.Instance = "licmon-1"
	cfg.Serve.Sites = config.SiteSelector{Labels: map[string]string{"env": "prod"}}
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	base := "http://" + s.Addr().String()

	waitFor(t, "the leader gauge", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `licmon_leader{instance="licmon-1",shard="labels=env=prod"} 1`)
	})
	if _, body := get(t, base+"/api/v1/sites"); !strings.Contains(body, `"sim"`) || strings.Contains(body, "elsewhere") {
		t.Errorf("sites served: %s, want sim only", body)
	}
	ld.set(func(c *config.Config) { c.Serve.Sites = config.SiteSelector{Names: []string{"elsewhere"}} }, nil)
	if err := s.Reload(); err == nil || !strings.Contains(err.Error(), "restart licmon serve") {
		t.Errorf("reload into another shard: %v", err)
	}
	ld.set(func(c *config.Config) { c.Serve.Sites = config.SiteSelector{Labels: map[string]string{"env": "none"}} }, nil)
	if _, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"}); err == nil ||
		!strings.Contains(err.Error(), "selects none of the sites (sim, elsewhere)") {
		t.Errorf("a selection of no site: %v", err)
	}
}
