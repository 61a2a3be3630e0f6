// Package alert delivers the alerts package rules decides: the Engine
// deduplicates them by key, repeats them after the resend interval, sends
// a resolved notice when the condition clears, keeps its state in a JSON
// file across restarts, and delivers through notify.Send on one queue per
// channel so that a receiver that is down delays nobody else.
package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/alert/rules"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
)

// queueSize bounds the deliveries waiting per channel; beyond it new ones
// are dropped (and retried at the next evaluation) rather than block.
const queueSize = 256

// Delivery is the state of one alert on one channel.
type Delivery struct {
	// LastAttempt is when the alert was last handed to the channel.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// Delivered is true once that attempt succeeded.
	Delivered bool `json:"delivered"`
	// Pending is true while the attempt (with its retries) is in flight.
	Pending bool `json:"-"`
	// Sent counts successful deliveries of this alert.
	Sent int `json:"sent"`
	// Error is the last delivery error.
	Error string `json:"error,omitempty"`
}

// Active is one firing alert as the engine tracks it.
type Active struct {
	Alert notify.Alert `json:"alert"`
	// Since is when it started firing.
	Since time.Time `json:"since"`
	// Channels is the delivery state per channel name.
	Channels map[string]*Delivery `json:"channels"`
}

// Options configure an Engine.
type Options struct {
	// Config is the alerts section (rules, resend interval, routing).
	Config config.Alerts
	// Notifiers are the channels, by their Name().
	Notifiers []notify.Notifier
	// Retry is the delivery retry policy.
	Retry notify.RetryPolicy
	// StatePath is the JSON file that keeps the state across restarts;
	// "" keeps it in memory only.
	StatePath string
	// State, when set, keeps the state instead of StatePath: the store that
	// several serve instances share, so a new leader knows what its
	// predecessor sent.
	State StateStore
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// StateStore keeps the engine's state (a JSON document) somewhere other
// than a file of this machine.
type StateStore interface {
	// Load returns the saved state, nil when there is none.
	Load(ctx context.Context) ([]byte, error)
	// Save replaces the saved state.
	Save(ctx context.Context, state []byte) error
}

// stateTimeout bounds one read or write of a StateStore.
const stateTimeout = 10 * time.Second

// Engine deduplicates, repeats, resolves and delivers alerts. All methods
// are safe for concurrent use; none blocks on a receiver.
type Engine struct {
	mu      sync.Mutex
	opts    Options
	active  map[string]*Active
	workers map[string]*worker // by lower-case channel name
	ctx     context.Context
	wg      sync.WaitGroup
	dirty   bool
	// resolved are the alerts resolved since the start, newest last.
	resolved []Resolved
	// inflight counts deliveries queued or being sent.
	inflight int
}

type job struct {
	key, channel string
	alert        notify.Alert
}

type worker struct {
	n     notify.Notifier
	queue chan job
}

// New returns an engine and loads its state file. Deliveries start with Run.
func New(opts Options) (*Engine, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{opts: opts, active: map[string]*Active{}}
	if err := e.load(); err != nil {
		return nil, err
	}
	return e, nil
}

// Run delivers queued alerts until ctx ends, then waits for the channel
// workers (whose in-flight sends see ctx cancelled) and saves the state.
func (e *Engine) Run(ctx context.Context) { e.Start(ctx)() }

// Start is Run that returns once the channel workers accept alerts, so
// Update right after it delivers; wait blocks until the engine stopped.
func (e *Engine) Start(ctx context.Context) (wait func()) {
	e.mu.Lock()
	e.ctx = ctx
	e.startWorkers(e.opts.Notifiers)
	e.mu.Unlock()
	done := make(chan struct{})
	go func() { e.stop(ctx); close(done) }()
	return func() { <-done }
}

func (e *Engine) stop(ctx context.Context) {
	<-ctx.Done()
	e.mu.Lock()
	for _, w := range e.workers {
		close(w.queue)
	}
	e.workers = nil
	// Stopped: a Reconfigure now starts no workers, and Run may be called
	// again (a serve instance that leads again).
	e.ctx = nil
	e.mu.Unlock()
	e.wg.Wait()
	if err := e.Save(); err != nil {
		e.opts.Logger.Warn("save alert state", "err", err)
	}
}

// startWorkers starts one delivery goroutine per channel. Callers hold e.mu.
func (e *Engine) startWorkers(ns []notify.Notifier) {
	ctx, retry := e.ctx, e.opts.Retry
	e.workers = map[string]*worker{}
	for _, n := range ns {
		w := &worker{n: n, queue: make(chan job, queueSize)}
		e.workers[strings.ToLower(n.Name())] = w
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for j := range w.queue {
				err := notify.Send(ctx, w.n, j.alert, retry)
				e.delivered(j, err)
			}
		}()
	}
}

// Reconfigure applies a reloaded configuration: new rules and channels.
// Queued deliveries of the old channels still go out; active alerts keep
// their state.
func (e *Engine) Reconfigure(cfg config.Alerts, ns []notify.Notifier, retry notify.RetryPolicy) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.Config, e.opts.Notifiers, e.opts.Retry = cfg, ns, retry
	if e.ctx == nil {
		return
	}
	for _, w := range e.workers {
		close(w.queue)
	}
	e.startWorkers(ns)
}

// Config returns the alerts configuration in force.
func (e *Engine) Config() config.Alerts {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opts.Config
}

// routes returns the channels an alert of rule goes to. Callers hold e.mu.
func (e *Engine) routes(rule string) []string {
	r := e.opts.Config.Rules
	var names []string
	switch rule {
	case rules.TaskFailed:
		names = r.TaskFailed.Channels
	case rules.Stale:
		names = r.Stale.Channels
	case rules.QRSUnreachable:
		names = r.QRSUnreachable.Channels
	case rules.AvailableLow:
		names = r.AvailableBelow.Channels
	case rules.RunOut:
		names = r.RunOutWithin.Channels
	case rules.LicenseEnd:
		names = r.LicenseEndWithin.Channels
	}
	if len(names) == 0 {
		names = e.opts.Config.Channels
	}
	if len(names) == 0 {
		for _, n := range e.opts.Notifiers {
			names = append(names, n.Name())
		}
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(n))
	}
	return out
}

// Update records the evaluation of one site: new alerts are sent, alerts
// still firing are repeated once the resend interval passed (or at once if
// their last delivery failed), and active alerts of evaluated rules that no
// longer fire are resolved.
func (e *Engine) Update(site string, res rules.Result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Now()
	resend := e.opts.Config.ResendOrDefault()
	firing := map[string]bool{}
	for _, a := range res.Firing {
		firing[a.Key] = true
		act, ok := e.active[a.Key]
		if !ok {
			e.resolved = slices.DeleteFunc(e.resolved, func(r Resolved) bool { return r.Alert.Key == a.Key })
			act = &Active{Since: now.UTC(), Channels: map[string]*Delivery{}}
			e.active[a.Key] = act
			e.dirty = true
		}
		a.StartsAt = act.Since
		act.Alert = a
		for _, ch := range e.routes(a.Rule) {
			d := act.Channels[ch]
			if d == nil {
				d = &Delivery{}
				act.Channels[ch] = d
			}
			if d.Pending || (d.Delivered && now.Sub(d.LastAttempt) < resend) {
				continue
			}
			e.enqueue(a.Key, ch, a, d, now)
		}
	}
	for key, act := range e.active {
		if act.Alert.Site != site || firing[key] || !slices.Contains(res.Rules, act.Alert.Rule) {
			continue
		}
		delete(e.active, key)
		e.dirty = true
		e.resolved = append(e.resolved, Resolved{Alert: act.Alert, Since: act.Since, At: now.UTC(), LastSent: lastSent(act)})
		if len(e.resolved) > maxResolved {
			e.resolved = e.resolved[len(e.resolved)-maxResolved:]
		}
		if !e.opts.Config.Resolved() {
			continue
		}
		r := act.Alert
		r.Status, r.Severity, r.EndsAt = notify.StatusResolved, notify.SeverityOK, now.UTC()
		r.Title = "Resolved: " + r.Title
		for ch, d := range act.Channels {
			if d.Sent > 0 { // only tell a channel that was told about it
				e.enqueue(key, ch, r, &Delivery{}, now)
			}
		}
	}
	if e.dirty {
		if err := e.saveLocked(); err != nil {
			e.opts.Logger.Warn("save alert state", "err", err)
		}
	}
}

// enqueue hands an alert to a channel without blocking. Callers hold e.mu.
func (e *Engine) enqueue(key, ch string, a notify.Alert, d *Delivery, now time.Time) {
	w := e.workers[ch]
	if w == nil {
		d.Error = "channel " + ch + " is not configured or not running"
		return
	}
	select {
	case w.queue <- job{key: key, channel: ch, alert: a}:
		e.inflight++
		d.Pending, d.LastAttempt = true, now.UTC()
		e.dirty = true
	default:
		d.Error = "delivery queue full: will retry at the next evaluation"
		e.opts.Logger.Warn("alert queue full, delivery postponed", "channel", ch, "key", key)
	}
}

// delivered records the outcome of a delivery.
func (e *Engine) delivered(j job, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inflight--
	if err != nil {
		e.opts.Logger.Warn("alert not delivered", "channel", j.channel, "key", j.key, "status", j.alert.Status, "err", err)
	}
	if j.alert.Resolved() {
		return
	}
	act := e.active[j.key]
	if act == nil {
		return
	}
	d := act.Channels[j.channel]
	if d == nil {
		return
	}
	d.Pending = false
	d.Delivered = err == nil
	d.Error = ""
	if err != nil {
		d.Error = err.Error()
	} else {
		d.Sent++
	}
	e.dirty = true
	if serr := e.saveLocked(); serr != nil {
		e.opts.Logger.Warn("save alert state", "err", serr)
	}
}

// maxResolved bounds the resolved alerts kept for the dashboard.
const maxResolved = 100

// Resolved is an alert that stopped firing since the start.
type Resolved struct {
	Alert notify.Alert
	// Since is when it started firing, At when it resolved.
	Since, At time.Time
	// LastSent is its last successful delivery (zero: never).
	LastSent time.Time
}

// LastSent is the latest successful delivery of an active alert.
func lastSent(a *Active) time.Time {
	var t time.Time
	for _, d := range a.Channels {
		if d.Sent > 0 && d.LastAttempt.After(t) {
			t = d.LastAttempt
		}
	}
	return t
}

// LastSent returns the latest successful delivery on any channel (zero: never).
func (a Active) LastSent() time.Time { return lastSent(&a) }

// Recent returns the alerts resolved since the start, newest first.
func (e *Engine) Recent() []Resolved {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := slices.Clone(e.resolved)
	slices.Reverse(out)
	return out
}

// Idle reports whether no delivery is queued or in flight.
func (e *Engine) Idle() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inflight == 0
}

// Active returns the firing alerts sorted by key, as copies.
func (e *Engine) Active() []Active {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Active, 0, len(e.active))
	for _, a := range e.active {
		c := *a
		c.Channels = map[string]*Delivery{}
		for k, d := range a.Channels {
			dc := *d
			c.Channels[k] = &dc
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Active) int { return strings.Compare(a.Alert.Key, b.Alert.Key) })
	return out
}

// stateFile is the JSON layout of the state file.
type stateFile struct {
	Version int                `json:"version"`
	Active  map[string]*Active `json:"active"`
}

// Reload replaces the active alerts with the saved state: a serve
// instance that becomes the leader takes over what its predecessor sent,
// and a standby shows the leader's alerts. Deliveries in flight are kept.
func (e *Engine) Reload() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	active := e.active
	e.active = map[string]*Active{}
	if err := e.load(); err != nil {
		e.active = active
		return err
	}
	for k, a := range active {
		if n := e.active[k]; n != nil {
			for ch, d := range a.Channels {
				if d.Pending && n.Channels[ch] != nil {
					n.Channels[ch].Pending = true
				}
			}
		}
	}
	e.dirty = false
	return nil
}

// readState returns the saved state, nil when there is none.
func (e *Engine) readState() ([]byte, error) {
	if e.opts.State != nil {
		ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
		defer cancel()
		b, err := e.opts.State.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("read alert state: %w", err)
		}
		return b, nil
	}
	if e.opts.StatePath == "" {
		return nil, nil
	}
	b, err := os.ReadFile(e.opts.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read alert state: %w", err)
	}
	return b, nil
}

// load reads the saved state into e.active. Callers hold e.mu (or own e).
func (e *Engine) load() error {
	b, err := e.readState()
	if err != nil || b == nil {
		return err
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil || st.Version != 1 {
		// A damaged state file only costs repeated notifications: start
		// afresh rather than refuse to monitor.
		e.opts.Logger.Warn("alert state file unreadable, starting with no active alerts", "path", e.opts.StatePath, "err", err)
		return nil
	}
	for k, a := range st.Active {
		if a == nil {
			continue
		}
		if a.Channels == nil {
			a.Channels = map[string]*Delivery{}
		}
		e.active[k] = a
	}
	return nil
}

// Save writes the state file now.
func (e *Engine) Save() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dirty = true
	return e.saveLocked()
}

// saveLocked writes the state atomically (temp file + rename) so a crash
// never leaves half a file. Callers hold e.mu.
func (e *Engine) saveLocked() error {
	if (e.opts.StatePath == "" && e.opts.State == nil) || !e.dirty {
		return nil
	}
	b, err := json.MarshalIndent(stateFile{Version: 1, Active: e.active}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode alert state: %w", err)
	}
	if e.opts.State != nil {
		ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
		defer cancel()
		if err := e.opts.State.Save(ctx, b); err != nil {
			return fmt.Errorf("write alert state: %w", err)
		}
		e.dirty = false
		return nil
	}
	dir := filepath.Dir(e.opts.StatePath)
	tmp, err := os.CreateTemp(dir, ".licmon-alerts-*.json")
	if err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write alert state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write alert state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	if err := os.Rename(tmp.Name(), e.opts.StatePath); err != nil {
		return fmt.Errorf("write alert state: %w", err)
	}
	e.dirty = false
	return nil
}
