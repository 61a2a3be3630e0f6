package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ActionStore keeps the plans licmon makes before changing a site and the
// audit trail of every change it makes (schema 7).
type ActionStore interface {
	// SavePlan stores a plan and returns its id.
	SavePlan(ctx context.Context, p ActionPlan) (int64, error)
	// Plan returns one plan with its body; ErrNoPlan when there is none.
	Plan(ctx context.Context, id int64) (*ActionPlan, error)
	// Plans lists a site's plans of a kind without their bodies, newest
	// first ("" site: every site).
	Plans(ctx context.Context, site, kind string, limit int) ([]ActionPlan, error)
	// StartAudit records an action about to be attempted, with result
	// "pending", and returns its id. It is committed before it returns, so
	// an action cut short by a crash stays recorded.
	StartAudit(ctx context.Context, a AuditEntry) (int64, error)
	// FinishAudit records how the action ended.
	FinishAudit(ctx context.Context, id int64, result, detail string, at time.Time) error
	// Audit lists a site's audit entries, newest first ("" site: every
	// site); runID narrows it to one run.
	Audit(ctx context.Context, site, runID string, limit int) ([]AuditEntry, error)
}

// ErrNoPlan means no plan has the id asked for.
var ErrNoPlan = errors.New("no such plan")

// ActionPlan is a saved plan: Summary and Body are the caller's JSON.
type ActionPlan struct {
	ID        int64
	Site      string
	Kind      string // e.g. "reclaim"
	CreatedAt time.Time
	CreatedBy string
	Summary   []byte
	Body      []byte
}

// AuditEntry is one action licmon took, or was about to take, on a site.
type AuditEntry struct {
	ID    int64
	Site  string
	RunID string
	At    time.Time
	// Actor is who ran licmon (the operating-system user) and how it
	// authenticated to the QRS; never a secret.
	Actor   string
	Command string // "reclaim apply", "repair connections", "repair undo"
	PlanID  int64  // 0 when the action has no saved plan
	Action  string // e.g. "release", "allocate", "rollback", "update-connection", "skip"
	Target  string // what the action is on, e.g. CORP\jdoe professional
	// TargetID is the QRS id acted on.
	TargetID string
	// Result is "pending" until FinishAudit; then e.g. "ok", "failed", "skipped".
	Result   string
	Detail   string
	Finished time.Time // zero while pending
}

func (s *sqlStore) SavePlan(ctx context.Context, p ActionPlan) (int64, error) {
	if p.Site == "" || p.Kind == "" || p.CreatedAt.IsZero() {
		return 0, errors.New("save plan: site, kind and time are required")
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO action_plans (site, kind, created_at, created_by, summary, body)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), p.Site, p.Kind, p.CreatedAt.Unix(), p.CreatedBy, string(p.Summary), string(p.Body)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save plan: %w", err)
	}
	return id, nil
}

func (s *sqlStore) Plan(ctx context.Context, id int64) (*ActionPlan, error) {
	var p ActionPlan
	var at int64
	var sum, body string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, site, kind, created_at, created_by, summary, body FROM action_plans WHERE id = ?`), id).
		Scan(&p.ID, &p.Site, &p.Kind, &at, &p.CreatedBy, &sum, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("plan %d: %w", id, ErrNoPlan)
	}
	if err != nil {
		return nil, fmt.Errorf("read plan %d: %w", id, err)
	}
	p.CreatedAt, p.Summary, p.Body = time.Unix(at, 0).UTC(), []byte(sum), []byte(body)
	return &p, nil
}

func (s *sqlStore) Plans(ctx context.Context, site, kind string, limit int) ([]ActionPlan, error) {
	if limit <= 0 {
		limit = 50
	}
	var out []ActionPlan
	err := scanAll(ctx, s.db, s.q(`SELECT id, site, kind, created_at, created_by, summary FROM action_plans
		WHERE (? = '' OR site = ?) AND (? = '' OR kind = ?) ORDER BY created_at DESC, id DESC LIMIT ?`),
		[]any{site, site, kind, kind, limit}, func(r *sql.Rows) error {
			var p ActionPlan
			var at int64
			var sum string
			if err := r.Scan(&p.ID, &p.Site, &p.Kind, &at, &p.CreatedBy, &sum); err != nil {
				return err
			}
			p.CreatedAt, p.Summary = time.Unix(at, 0).UTC(), []byte(sum)
			out = append(out, p)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return out, nil
}

func (s *sqlStore) StartAudit(ctx context.Context, a AuditEntry) (int64, error) {
	if a.Site == "" || a.RunID == "" || a.Action == "" || a.At.IsZero() {
		return 0, errors.New("audit: site, run, action and time are required")
	}
	var plan any
	if a.PlanID != 0 {
		plan = a.PlanID
	}
	var id int64
	// The audit row must survive the caller's cancellation: it records that
	// the action may have reached the site.
	err := s.db.QueryRowContext(context.WithoutCancel(ctx), s.q(`INSERT INTO audit_log (site, run_id, at, actor, command, plan_id, action, target, target_id, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id`),
		a.Site, a.RunID, a.At.Unix(), a.Actor, a.Command, plan, a.Action, a.Target, a.TargetID, a.Detail).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	return id, nil
}

func (s *sqlStore) FinishAudit(ctx context.Context, id int64, result, detail string, at time.Time) error {
	if result == "" || result == "pending" {
		return fmt.Errorf("audit %d: a finished action needs a result", id)
	}
	res, err := s.db.ExecContext(context.WithoutCancel(ctx), s.q(`UPDATE audit_log SET result = ?, detail = ?, finished_at = ? WHERE id = ?`),
		result, detail, at.Unix(), id)
	if err != nil {
		return fmt.Errorf("audit %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("audit %d: no such entry", id)
	}
	return nil
}

func (s *sqlStore) Audit(ctx context.Context, site, runID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 200
	}
	var out []AuditEntry
	err := scanAll(ctx, s.db, s.q(`SELECT id, site, run_id, at, actor, command, COALESCE(plan_id, 0), action, target, target_id, result, detail, COALESCE(finished_at, 0)
		FROM audit_log WHERE (? = '' OR site = ?) AND (? = '' OR run_id = ?) ORDER BY at DESC, id DESC LIMIT ?`),
		[]any{site, site, runID, runID, limit}, func(r *sql.Rows) error {
			var a AuditEntry
			var at, fin int64
			if err := r.Scan(&a.ID, &a.Site, &a.RunID, &at, &a.Actor, &a.Command, &a.PlanID, &a.Action, &a.Target, &a.TargetID, &a.Result, &a.Detail, &fin); err != nil {
				return err
			}
			a.At = time.Unix(at, 0).UTC()
			if fin != 0 {
				a.Finished = time.Unix(fin, 0).UTC()
			}
			out = append(out, a)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	return out, nil
}

// AuditRun writes the audit entries of one run (one reclaim apply, one
// repair): it satisfies the Recorder interfaces of the packages that change
// a site.
type AuditRun struct {
	st                          ActionStore
	Site, RunID, Actor, Command string
	PlanID                      int64
}

// NewAuditRun starts the audit trail of a run.
func NewAuditRun(st ActionStore, site, runID, actor, command string, planID int64) *AuditRun {
	return &AuditRun{st: st, Site: site, RunID: runID, Actor: actor, Command: command, PlanID: planID}
}

// Start records an action about to be sent, as pending.
func (r *AuditRun) Start(ctx context.Context, action, target, targetID, detail string) (int64, error) {
	return r.st.StartAudit(ctx, AuditEntry{Site: r.Site, RunID: r.RunID, At: time.Now(), Actor: r.Actor, Command: r.Command,
		PlanID: r.PlanID, Action: action, Target: target, TargetID: targetID, Detail: detail})
}

// Finish records how the action ended.
func (r *AuditRun) Finish(ctx context.Context, id int64, result, detail string) error {
	return r.st.FinishAudit(ctx, id, result, detail, time.Now())
}
