package alert

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/notify/notifytest"
)

// clock is a settable clock for the resend interval.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var fastRetry = notify.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxElapsed: time.Second}

type fixture struct {
	eng   *Engine
	clk   *clock
	hook  *notifytest.Receiver
	slack *notifytest.Receiver
	teams *notifytest.Receiver
	state string
	stop  func()
}

func newFixture(t *testing.T, cfg config.Alerts, hookStatuses ...int) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)}, state: filepath.Join(t.TempDir(), "alerts.json")}
	f.hook = notifytest.NewReceiver(t, "ok", hookStatuses...)
	f.slack = notifytest.NewReceiver(t, "ok")
	f.teams = notifytest.NewReceiver(t, "")
	chans := config.Channels{
		Webhook: []webhookCfg{{Name: "ops", URL: f.hook.URL + "/hook"}},
		Slack:   []slackCfg{{Name: "chat", URL: f.slack.URL + "/services/T/B/X"}},
		Teams:   []teamsCfg{{Name: "teams", URL: f.teams.URL + "/workflows/x"}},
	}
	ns, err := Notifiers(chans, httppost.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	f.start(t, Options{Config: cfg, Notifiers: ns, Retry: fastRetry, StatePath: f.state, Now: f.clk.Now})
	return f
}

func (f *fixture) start(t *testing.T, opts Options) {
	t.Helper()
	eng, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	f.eng = eng
	f.stop = func() { cancel(); <-done }
	t.Cleanup(f.stop)
	// Wait until the workers exist, so Update can enqueue.
	waitFor(t, func() bool { eng.mu.Lock(); defer eng.mu.Unlock(); return eng.workers != nil })
}

// settle waits until no delivery is queued or in flight.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	waitFor(t, f.eng.Idle)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func firingAlert(site, rule string) notify.Alert {
	return notify.Alert{Key: site + "/" + rule, Site: site, Rule: rule, Severity: notify.SeverityCritical,
		Status: notify.StatusFiring, Title: "License Monitor reload failed: HTTP 401",
		Diagnosis: &notify.Diagnosis{Code: "rest-auth", Connection: "monitor_apps_REST_license_user", Line: 697}}
}

type payload struct {
	Key       string `json:"key"`
	Status    string `json:"status"`
	Title     string `json:"title"`
	StartsAt  string `json:"starts_at"`
	Diagnosis *struct {
		Code string `json:"code"`
	} `json:"diagnosis"`
}

func bodies(t *testing.T, r *notifytest.Receiver) []payload {
	t.Helper()
	var out []payload
	for _, req := range r.Requests() {
		var p payload
		if err := json.Unmarshal(req.Body, &p); err != nil {
			t.Fatalf("webhook body: %v\n%s", err, req.Body)
		}
		out = append(out, p)
	}
	return out
}

func TestSendDedupResendResolve(t *testing.T) {
	f := newFixture(t, config.Alerts{})
	res := rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}}

	f.eng.Update("prod", res)
	f.settle(t)
	got := bodies(t, f.hook)
	if len(got) != 1 || got[0].Key != "prod/lm-task-failed" || got[0].Status != "firing" || got[0].Diagnosis == nil || got[0].Diagnosis.Code != "rest-auth" {
		t.Fatalf("first send: %+v", got)
	}
	if n := len(f.slack.Requests()); n != 1 {
		t.Errorf("slack got %d messages, want 1", n)
	}
	if reqs := f.teams.Requests(); len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), "AdaptiveCard") {
		t.Errorf("teams got %d messages (want 1 Adaptive Card)", len(reqs))
	}

	// Dedup: the next checks within the resend interval send nothing.
	for range 3 {
		f.clk.Add(5 * time.Minute)
		f.eng.Update("prod", res)
	}
	f.settle(t)
	if n := len(f.hook.Requests()); n != 1 {
		t.Fatalf("%d webhook requests after dedup, want 1", n)
	}

	// Resend once the 4h default passed, with the original start time.
	f.clk.Add(4 * time.Hour)
	f.eng.Update("prod", res)
	f.settle(t)
	got = bodies(t, f.hook)
	if len(got) != 2 || got[1].Status != "firing" || got[1].StartsAt != got[0].StartsAt {
		t.Fatalf("resend: %+v", got)
	}

	// Another site's evaluation does not resolve prod's alert.
	f.eng.Update("test", rules.Result{Rules: []string{rules.TaskFailed}})
	// A rule that was not evaluated does not resolve it either.
	f.eng.Update("prod", rules.Result{Rules: []string{rules.Stale}})
	f.settle(t)
	if len(f.eng.Active()) != 1 {
		t.Fatalf("alert resolved by an unrelated evaluation")
	}

	// Resolve.
	f.clk.Add(time.Minute)
	f.eng.Update("prod", rules.Result{Rules: []string{rules.TaskFailed}})
	f.settle(t)
	got = bodies(t, f.hook)
	if len(got) != 3 || got[2].Status != "resolved" || !strings.HasPrefix(got[2].Title, "Resolved: ") {
		t.Fatalf("resolve: %+v", got)
	}
	if len(f.eng.Active()) != 0 {
		t.Errorf("still active after resolve: %+v", f.eng.Active())
	}
	if n := len(f.slack.Requests()); n != 3 {
		t.Errorf("slack got %d messages, want 3 (firing, resend, resolved)", n)
	}
}

func TestRoutingPerRule(t *testing.T) {
	f := newFixture(t, config.Alerts{Channels: []string{"ops"}, Rules: rules.Rules{Stale: rules.Rule{Channels: []string{"chat"}}}})
	f.eng.Update("prod", rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed), firingAlert("prod", rules.Stale)},
		Rules: []string{rules.TaskFailed, rules.Stale}})
	f.settle(t)
	if got := bodies(t, f.hook); len(got) != 1 || got[0].Key != "prod/lm-task-failed" {
		t.Errorf("ops (default route) got %+v", got)
	}
	if n := len(f.slack.Requests()); n != 1 {
		t.Errorf("chat got %d, want only the stale alert", n)
	}
	if n := len(f.teams.Requests()); n != 0 {
		t.Errorf("teams is routed nothing but got %d", n)
	}
}

func TestReceiverDownIsRetriedAndDoesNotBlock(t *testing.T) {
	// Two 503s, then 200: notify.Send retries with backoff within one delivery.
	f := newFixture(t, config.Alerts{Channels: []string{"ops"}}, 503, 503)
	f.eng.Update("prod", rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}})
	f.settle(t)
	if n := len(f.hook.Requests()); n != 3 {
		t.Fatalf("%d attempts, want 3 (two 503 then success)", n)
	}
	d := f.eng.Active()[0].Channels["ops"]
	if !d.Delivered || d.Sent != 1 || d.Error != "" {
		t.Errorf("delivery = %+v", d)
	}
}

func TestReceiverGoneKeepsTryingAtNextEvaluation(t *testing.T) {
	f := newFixture(t, config.Alerts{Channels: []string{"ops"}}, 500, 500, 500)
	res := rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}}
	start := time.Now()
	f.eng.Update("prod", res)
	if time.Since(start) > 5*time.Second {
		t.Fatal("Update blocked on the receiver")
	}
	f.settle(t)
	d := f.eng.Active()[0].Channels["ops"]
	if d.Delivered || d.Sent != 0 || !strings.Contains(d.Error, "gave up after 3 attempts") {
		t.Fatalf("delivery after a down receiver = %+v", d)
	}
	// The receiver is back (statuses exhausted): the next check delivers
	// without waiting for the resend interval.
	f.clk.Add(5 * time.Minute)
	f.eng.Update("prod", res)
	f.settle(t)
	if d := f.eng.Active()[0].Channels["ops"]; !d.Delivered || d.Sent != 1 {
		t.Errorf("not delivered once the receiver is back: %+v", d)
	}
	if n := len(f.hook.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestClosedReceiverNoCrash(t *testing.T) {
	f := newFixture(t, config.Alerts{Channels: []string{"ops"}})
	f.hook.Close() // connection refused
	f.eng.Update("prod", rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}})
	f.settle(t)
	if d := f.eng.Active()[0].Channels["ops"]; d.Delivered || d.Error == "" {
		t.Errorf("delivery = %+v", d)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	f := newFixture(t, config.Alerts{Channels: []string{"ops"}})
	res := rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}}
	f.eng.Update("prod", res)
	f.settle(t)
	opts := f.eng.opts
	f.stop()

	// A new engine on the same state file does not send the alert again,
	// and resolves it when the condition clears.
	f.clk.Add(10 * time.Minute)
	f.start(t, opts)
	if a := f.eng.Active(); len(a) != 1 || a[0].Channels["ops"].Sent != 1 {
		t.Fatalf("state not restored: %+v", a)
	}
	f.eng.Update("prod", res)
	f.settle(t)
	if n := len(f.hook.Requests()); n != 1 {
		t.Fatalf("restart re-sent the alert: %d requests", n)
	}
	f.eng.Update("prod", rules.Result{Rules: []string{rules.TaskFailed}})
	f.settle(t)
	if got := bodies(t, f.hook); len(got) != 2 || got[1].Status != "resolved" {
		t.Errorf("after restart: %+v", got)
	}
}

func TestNoResolvedNoticeWhenDisabled(t *testing.T) {
	off := false
	f := newFixture(t, config.Alerts{Channels: []string{"ops"}, SendResolved: &off})
	f.eng.Update("prod", rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}})
	f.settle(t)
	f.eng.Update("prod", rules.Result{Rules: []string{rules.TaskFailed}})
	f.settle(t)
	if n := len(f.hook.Requests()); n != 1 || len(f.eng.Active()) != 0 {
		t.Errorf("%d requests, %d active; want 1 and 0", n, len(f.eng.Active()))
	}
}
