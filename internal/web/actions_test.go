package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/store"
)

// actionsBackend is the fixture plus plans and an audit trail.
type actionsBackend struct {
	*fakeBackend
	plans []store.ActionPlan
	audit []store.AuditEntry
}

func (a *actionsBackend) Actions(ctx context.Context, site string, limit int) (*Actions, error) {
	if err := a.known(site); err != nil {
		return nil, err
	}
	return SummarizeActions(ctx, a, site, limit)
}

func (a *actionsBackend) Plans(_ context.Context, site, kind string, limit int) ([]store.ActionPlan, error) {
	return a.plans, nil
}

func (a *actionsBackend) Audit(_ context.Context, site, run string, limit int) ([]store.AuditEntry, error) {
	return a.audit, nil
}

func TestActionsOnTheSitePageAndAPI(t *testing.T) {
	b := &actionsBackend{fakeBackend: fixture(t),
		plans: []store.ActionPlan{{ID: 12, Site: "prod", Kind: "reclaim", CreatedAt: checkedAt.Add(-time.Hour), CreatedBy: "ann", Summary: []byte(`{"candidates":31,"excluded":4}`)}},
		audit: []store.AuditEntry{
			{Site: "prod", RunID: "r2", At: checkedAt, Actor: "ann", Command: "reclaim apply", PlanID: 12, Action: "release", Target: `CORP\<b>x</b> professional`, Result: "pending"},
			{Site: "prod", RunID: "r1", At: checkedAt.Add(-2 * time.Hour), Actor: "bob", Command: "repair connections", Action: "update-connection", Target: "monitor_apps_REST_app", Result: "updated"},
		}}
	h := newHandler(b)
	page := get(t, h, "/sites/prod").Body.String()
	for _, want := range []string{"Reclaim plans and changes", "pending: run interrupted, check the QMC", "reclaim apply (plan 12)", "repair connections", "&lt;b&gt;x&lt;/b&gt;", "never changes the site"} {
		if !strings.Contains(page, want) {
			t.Errorf("site page lacks %q", want)
		}
	}
	w := get(t, h, "/api/v1/sites/prod/actions")
	var got Actions
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &got) != nil || len(got.Plans) != 1 || got.Plans[0].Candidates != 31 || len(got.Changes) != 2 || got.Changes[1].PlanID != nil {
		t.Errorf("API %d %s", w.Code, w.Body.String())
	}
	if w := get(t, h, "/api/v1/sites/nope/actions"); w.Code != 404 {
		t.Errorf("unknown site: %d", w.Code)
	}
	// A backend without plans: empty lists in the API, no section on the page.
	plain := newHandler(fixture(t))
	if w := get(t, plain, "/api/v1/sites/prod/actions"); w.Code != 200 || !strings.Contains(w.Body.String(), `"plans": []`) {
		t.Errorf("plain backend API: %d %s", w.Code, w.Body.String())
	}
	if strings.Contains(get(t, plain, "/sites/prod").Body.String(), "Reclaim plans and changes") {
		t.Error("the section shows without a backend that keeps plans")
	}
}
