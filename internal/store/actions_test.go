package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/store"
)

func TestPlansAndAudit(t *testing.T) { forEachBackend(t, testPlansAndAudit) }

func testPlansAndAudit(t *testing.T, be backend) {
	ctx := t.Context()
	st, _ := be.open(t, store.Options{})
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id1, err := st.SavePlan(ctx, store.ActionPlan{Site: "prod", Kind: "reclaim", CreatedAt: t0, CreatedBy: "ann", Summary: []byte(`{"n":1}`), Body: []byte(`{"big":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := st.SavePlan(ctx, store.ActionPlan{Site: "prod", Kind: "reclaim", CreatedAt: t0.Add(time.Hour), CreatedBy: "bob", Summary: []byte(`{}`), Body: []byte(`{}`)})
	st.SavePlan(ctx, store.ActionPlan{Site: "test", Kind: "reclaim", CreatedAt: t0, CreatedBy: "bob", Summary: []byte(`{}`), Body: []byte(`{}`)})
	ps, err := st.Plans(ctx, "prod", "reclaim", 10)
	if err != nil || len(ps) != 2 || ps[0].ID != id2 || ps[1].Body != nil {
		t.Fatalf("plans %+v %v: want the two prod plans newest first, without bodies", ps, err)
	}
	p, err := st.Plan(ctx, id1)
	if err != nil || string(p.Body) != `{"big":true}` || p.CreatedBy != "ann" || !p.CreatedAt.Equal(t0) {
		t.Fatalf("plan %+v %v", p, err)
	}
	if _, err := st.Plan(ctx, 999); !errors.Is(err, store.ErrNoPlan) {
		t.Errorf("missing plan: %v", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	a, err := st.StartAudit(cctx, store.AuditEntry{Site: "prod", RunID: "r1", At: t0, Actor: "ann", Command: "reclaim apply", PlanID: id1,
		Action: "release", Target: `CORP\jdoe professional`, TargetID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	st.StartAudit(ctx, store.AuditEntry{Site: "prod", RunID: "r1", At: t0.Add(time.Second), Actor: "ann", Command: "reclaim apply", Action: "release", Target: "b", TargetID: "y"})
	cancel() // a cancelled run still records how the action ended
	if err := st.FinishAudit(cctx, a, "ok", "released", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishAudit(ctx, a, "pending", "", t0); err == nil {
		t.Error("pending accepted as a final result")
	}
	es, err := st.Audit(ctx, "prod", "r1", 0)
	if err != nil || len(es) != 2 {
		t.Fatalf("audit %+v %v", es, err)
	}
	if es[0].Result != "pending" || !es[0].Finished.IsZero() || es[1].Result != "ok" || es[1].PlanID != id1 || es[1].Finished.IsZero() {
		t.Errorf("audit entries %+v", es)
	}
}
