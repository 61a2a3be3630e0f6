package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/licmon/licmon/internal/store"
)

// ActionsBackend is implemented by backends that keep reclaim plans and the
// audit trail of changes licmon made to a site (repair, reclaim apply). The
// dashboard shows them when the backend has them; it never applies a plan.
type ActionsBackend interface {
	Actions(ctx context.Context, site string, limit int) (*Actions, error)
}

// Actions are a site's latest plans and changes, newest first.
type Actions struct {
	Plans   []PlanSummary   `json:"plans"`
	Changes []ChangeSummary `json:"changes"`
}

// PlanSummary is one saved reclaim plan.
type PlanSummary struct {
	ID         int64     `json:"id"`
	BuiltAt    time.Time `json:"builtAt"`
	By         string    `json:"by"`
	Candidates int       `json:"candidates"`
	Excluded   int       `json:"excluded"`
}

// ChangeSummary is one audited action.
type ChangeSummary struct {
	At      time.Time `json:"at"`
	Run     string    `json:"run"`
	By      string    `json:"by"`
	Command string    `json:"command"`
	// PlanID is null when the action had no saved plan.
	PlanID *int64 `json:"planId"`
	Action string `json:"action"`
	Target string `json:"target"`
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

func (h *handler) actions(ctx context.Context, name string) (*Actions, error) {
	ab, ok := h.b.(ActionsBackend)
	if !ok {
		return nil, nil
	}
	return ab.Actions(ctx, name, h.opts.HistoryRows)
}

// apiActions answers GET /api/v1/sites/{site}/actions.
func (h *handler) apiActions(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	if _, err := h.site(r, name); err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	a, err := h.actions(r.Context(), name)
	if err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	if a == nil {
		a = &Actions{}
	}
	if a.Plans == nil {
		a.Plans = []PlanSummary{}
	}
	if a.Changes == nil {
		a.Changes = []ChangeSummary{}
	}
	// Copies: the backend may keep what it returned.
	out := Actions{Plans: make([]PlanSummary, len(a.Plans)), Changes: make([]ChangeSummary, len(a.Changes))}
	for i, p := range a.Plans {
		p.BuiltAt = apiTime(p.BuiltAt)
		out.Plans[i] = p
	}
	for i, c := range a.Changes {
		c.At = apiTime(c.At)
		out.Changes[i] = c
	}
	writeJSON(w, http.StatusOK, out)
}

// ActionSource is the part of the store the actions view reads.
type ActionSource interface {
	Plans(ctx context.Context, site, kind string, limit int) ([]store.ActionPlan, error)
	Audit(ctx context.Context, site, runID string, limit int) ([]store.AuditEntry, error)
}

// SummarizeActions reads a site's latest reclaim plans and audited changes.
func SummarizeActions(ctx context.Context, src ActionSource, site string, limit int) (*Actions, error) {
	if limit <= 0 {
		limit = 20
	}
	plans, err := src.Plans(ctx, site, "reclaim", limit)
	if err != nil {
		return nil, err
	}
	audit, err := src.Audit(ctx, site, "", limit)
	if err != nil {
		return nil, err
	}
	a := &Actions{Plans: []PlanSummary{}, Changes: []ChangeSummary{}}
	for _, p := range plans {
		var s struct{ Candidates, Excluded int }
		_ = json.Unmarshal(p.Summary, &s)
		a.Plans = append(a.Plans, PlanSummary{ID: p.ID, BuiltAt: p.CreatedAt, By: p.CreatedBy, Candidates: s.Candidates, Excluded: s.Excluded})
	}
	for _, e := range audit {
		c := ChangeSummary{At: e.At, Run: e.RunID, By: e.Actor, Command: e.Command, Action: e.Action, Target: e.Target, Result: e.Result, Detail: e.Detail}
		if e.PlanID != 0 {
			id := e.PlanID
			c.PlanID = &id
		}
		a.Changes = append(a.Changes, c)
	}
	return a, nil
}
