package reclaim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/backoff"
	"github.com/licmon/licmon/internal/qrs"
)

// Recorder keeps the audit trail of an apply run. Start is called before an
// action reaches the site and must persist before it returns.
type Recorder interface {
	Start(ctx context.Context, action, target, targetID, detail string) (int64, error)
	Finish(ctx context.Context, id int64, result, detail string) error
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Policy is re-checked against the live users (protections may have
	// been added since the plan) and caps the run with MaxReleases.
	Policy Policy
	// Rate is the most changes per second sent to the QRS (default 5).
	Rate float64
	// Retries is how often a change that failed with a 5xx, a timeout or a
	// network error is tried again (default 2), with Backoff doubling from 1s.
	Retries int
	Backoff time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Results of Apply.
const (
	Released   = "released"
	Downgraded = "downgraded"
	Skipped    = "skipped"
	Failed     = "failed"
	RolledBack = "rolled-back"
	Unknown    = "unknown" // interrupted: the request may or may not have reached the site
)

// Result is what happened to one candidate.
type Result struct {
	Candidate
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// Apply re-reads the site in bulk, re-checks every candidate (skipping
// anything that changed since the plan: used again, already released,
// another user, newly protected), then releases through DELETE (a
// downgrade releases the Professional allocation, then allocates Analyzer,
// and gives the Professional one back when that fails). It goes on past
// individual failures, retries transient ones a bounded number of times,
// keeps to the rate limit and records every action through rec before it
// is sent. It returns an error only when the site cannot be re-read (then
// nothing was changed) or the audit trail cannot be written (then it stops).
func Apply(ctx context.Context, c Client, pl *Plan, o ApplyOptions, rec Recorder) ([]Result, error) {
	if o.Rate <= 0 {
		o.Rate = 5
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 2
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	live, err := Gather(ctx, c, GatherOptions{Types: pl.Types, Now: o.Now()})
	if err != nil {
		return nil, fmt.Errorf("re-check the plan against the site (nothing was changed): %w", err)
	}
	byID := map[string]Allocation{}
	for _, a := range live.Allocations {
		byID[strings.ToLower(a.ID)] = a
	}
	a := &applier{c: c, rec: rec, o: o, gap: time.Duration(float64(time.Second) / o.Rate)}
	var out []Result
	done := 0
	for _, cand := range pl.Candidates {
		if ctx.Err() != nil {
			break
		}
		r := Result{Candidate: cand}
		if why := changedSince(cand, byID[strings.ToLower(cand.AllocationID)], live); why != "" {
			r.Result, r.Detail = Skipped, why
		} else if rule, detail := o.Policy.protectedBy(live.Users[strings.ToLower(cand.UserGUID)]); rule != "" {
			r.Result, r.Detail = Skipped, "now protected by "+rule+" ("+detail+")"
		} else if done >= o.Policy.Max() {
			r.Result, r.Detail = Skipped, fmt.Sprintf("%s: at most %d per run", RuleMax, o.Policy.Max())
		}
		if r.Result == Skipped {
			if err := a.record(ctx, "skip", cand, r.Detail, Skipped); err != nil {
				return out, err
			}
			out = append(out, r)
			continue
		}
		done++
		var err error
		if cand.Action == "downgrade" {
			r.Result, r.Detail, err = a.downgrade(ctx, cand)
		} else {
			r.Result, r.Detail, err = a.release(ctx, cand, cand.Type, "release")
		}
		if err != nil {
			return append(out, r), err
		}
		out = append(out, r)
	}
	return out, nil
}

// changedSince says why a candidate no longer holds, or "".
func changedSince(c Candidate, now Allocation, live *Input) string {
	switch {
	case now.ID == "":
		return "already released: the allocation no longer exists"
	case now.Quarantined:
		return "already released: the allocation is in quarantine"
	case !strings.EqualFold(now.UserID, c.UserGUID):
		return "the allocation now belongs to another user"
	case now.Type != c.Type:
		return "the allocation changed type"
	}
	if !now.LastUsed.IsZero() && (c.LastUsed == nil || now.LastUsed.After(*c.LastUsed)) {
		return "used again since the plan (last used " + now.LastUsed.UTC().Format(time.RFC3339) + ")"
	}
	if c.Action == "downgrade" && live.Authors[strings.ToLower(c.UserGUID)] {
		return "the user authors content now"
	}
	return ""
}

type applier struct {
	c    Client
	rec  Recorder
	o    ApplyOptions
	gap  time.Duration
	last time.Time
}

// pace keeps to the rate limit.
func (a *applier) pace(ctx context.Context) error {
	if wait := a.gap - time.Since(a.last); !a.last.IsZero() && wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	a.last = time.Now()
	return nil
}

// transient reports whether a failed change may be tried again.
func transient(err error) bool {
	var e *qrs.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Kind == qrs.KindTimeout || e.Kind == qrs.KindNetwork || e.Kind == qrs.KindConnRefused
}

// try runs f with the rate limit and bounded retries.
func (a *applier) try(ctx context.Context, f func() error) (attempts int, err error) {
	for attempt := 0; attempt <= a.o.Retries; attempt++ {
		if attempt > 0 {
			if err := backoff.Sleep(ctx, a.o.Backoff<<(attempt-1)); err != nil {
				return attempt, err
			}
		}
		if err := a.pace(ctx); err != nil {
			return attempt, err
		}
		err = f()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return attempt + 1, err
		}
	}
	return a.o.Retries + 1, err
}

func target(c Candidate, t Type) string { return c.User + " " + string(t) }

func (a *applier) record(ctx context.Context, action string, c Candidate, detail, result string) error {
	id, err := a.rec.Start(ctx, action, target(c, c.Type), c.AllocationID, detail)
	if err != nil {
		return fmt.Errorf("audit: %w (stopped)", err)
	}
	return a.rec.Finish(ctx, id, result, detail)
}

// release deletes one allocation; the audit row exists before the request.
func (a *applier) release(ctx context.Context, c Candidate, t Type, action string) (string, string, error) {
	id, err := a.rec.Start(ctx, action, target(c, t), c.AllocationID, c.Why)
	if err != nil {
		return Failed, err.Error(), fmt.Errorf("audit: %w (stopped before the change)", err)
	}
	attempts, err := a.try(ctx, func() error { return a.c.DeleteAllocation(ctx, t.Kind(), c.AllocationID) })
	result, detail := Released, c.Effect
	switch {
	case err == nil:
	case qrs.IsNotFound(err) && attempts > 1:
		// An earlier attempt got through before its answer was lost.
		detail = c.Effect + " (confirmed by a retry)"
	case qrs.IsNotFound(err):
		result, detail = Skipped, "already released: the allocation no longer exists"
	case ctx.Err() != nil:
		result, detail = Unknown, "interrupted while the request was sent: check the allocation in the QMC"
	default:
		result, detail = Failed, fmt.Sprintf("after %d attempt(s): %v", attempts, err)
	}
	if attempts > 1 && err == nil {
		detail += fmt.Sprintf(" (after %d attempts)", attempts)
	}
	if ferr := a.rec.Finish(ctx, id, result, detail); ferr != nil {
		return result, detail, fmt.Errorf("audit: %w (stopped)", ferr)
	}
	return result, detail, nil
}

// downgrade releases Professional, allocates Analyzer, and gives the
// Professional allocation back when the Analyzer one cannot be made.
func (a *applier) downgrade(ctx context.Context, c Candidate) (string, string, error) {
	res, detail, err := a.release(ctx, c, Professional, "downgrade-release")
	if err != nil || res != Released {
		return res, "Professional not released: " + detail, err
	}
	id, err := a.rec.Start(ctx, "downgrade-allocate", target(c, Analyzer), c.UserGUID, "allocate Analyzer")
	if err != nil {
		return Failed, err.Error(), fmt.Errorf("audit: %w (stopped after releasing Professional of %s: allocate it again in the QMC)", err, c.User)
	}
	_, aerr := a.try(ctx, func() error { _, e := a.c.AddAllocation(ctx, qrs.KindAnalyzer, c.UserGUID); return e })
	if aerr == nil {
		if err := a.rec.Finish(ctx, id, "ok", "Analyzer allocated"); err != nil {
			return Downgraded, "", fmt.Errorf("audit: %w (stopped)", err)
		}
		return Downgraded, "Professional released (" + c.Effect + "), Analyzer allocated", nil
	}
	if err := a.rec.Finish(ctx, id, Failed, aerr.Error()); err != nil {
		return Failed, aerr.Error(), fmt.Errorf("audit: %w (stopped)", err)
	}
	rid, err := a.rec.Start(ctx, "rollback-allocate", target(c, Professional), c.UserGUID, "give the Professional allocation back")
	if err != nil {
		return Failed, aerr.Error(), fmt.Errorf("audit: %w (stopped: allocate Professional to %s again in the QMC)", err, c.User)
	}
	_, rerr := a.try(ctx, func() error { _, e := a.c.AddAllocation(ctx, qrs.KindProfessional, c.UserGUID); return e })
	if rerr != nil {
		a.rec.Finish(ctx, rid, Failed, rerr.Error())
		return Failed, fmt.Sprintf("Analyzer allocation failed (%v) and the Professional one could not be given back (%v): allocate it in the QMC", aerr, rerr), nil
	}
	if err := a.rec.Finish(ctx, rid, "ok", "Professional allocation given back"); err != nil {
		return RolledBack, "", fmt.Errorf("audit: %w (stopped)", err)
	}
	return RolledBack, fmt.Sprintf("Analyzer allocation failed (%v): the Professional allocation was given back", aerr), nil
}
