package alert

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/notify/notifytest"
)

// sharedState is a StateStore two engines share, as two serve instances
// share one PostgreSQL; each handle's lead says whether its engine holds
// the lock.
type sharedState struct {
	mu sync.Mutex
	b  []byte
}

type stateHandle struct {
	s    *sharedState
	lead *atomic.Bool
}

func (h stateHandle) Load(context.Context) ([]byte, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return append([]byte(nil), h.s.b...), nil
}

func (h stateHandle) Save(_ context.Context, b []byte) error {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if !h.lead.Load() {
		return errors.New("not the leader")
	}
	h.s.b = append([]byte(nil), b...)
	return nil
}

// A new leader that reloads the shared state does not resend what its
// predecessor delivered, and still resends once the interval passed.
func TestNewLeaderDoesNotResendWhatWasSent(t *testing.T) {
	clk := &clock{t: time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)}
	hook := notifytest.NewReceiver(t, "ok")
	shared := &sharedState{}
	var aLeads, bLeads atomic.Bool
	aLeads.Store(true)
	engine := func(lead *atomic.Bool) (*Engine, func()) {
		ns, err := Notifiers(config.Channels{Webhook: []webhookCfg{{Name: "ops", URL: hook.URL + "/hook"}}}, httppost.Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		e, err := New(Options{Notifiers: ns, Retry: fastRetry, State: stateHandle{shared, lead}, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		waitFor(t, func() bool { e.mu.Lock(); defer e.mu.Unlock(); return e.workers != nil })
		return e, func() { cancel(); <-done }
	}
	a, stopA := engine(&aLeads)
	b, stopB := engine(&bLeads)
	defer stopB()
	res := rules.Result{Firing: []notify.Alert{firingAlert("prod", rules.TaskFailed)}, Rules: []string{rules.TaskFailed}}
	a.Update("prod", res)
	waitFor(t, a.Idle)
	if n := len(hook.Requests()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
	// The standby shows the leader's alert from the shared state.
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if act := b.Active(); len(act) != 1 || act[0].Channels["ops"].Sent != 1 {
		t.Fatalf("standby sees %+v", act)
	}
	// a dies; b leads, reloads, and evaluates the same firing alert.
	aLeads.Store(false)
	stopA()
	bLeads.Store(true)
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Minute)
	b.Update("prod", res)
	waitFor(t, b.Idle)
	if n := len(hook.Requests()); n != 1 {
		t.Fatalf("%d deliveries after the handover, want 1: the new leader resent a delivered alert", n)
	}
	clk.Add(config.DefaultResendInterval)
	b.Update("prod", res)
	waitFor(t, b.Idle)
	if n := len(hook.Requests()); n != 2 {
		t.Fatalf("%d deliveries after the resend interval, want 2", n)
	}
	// The former leader's final save (at its stop) did not overwrite b's.
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if act := a.Active(); len(act) != 1 || act[0].Channels["ops"].Sent != 2 {
		t.Fatalf("shared state after the handover: %+v", act)
	}
}
