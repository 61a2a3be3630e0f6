package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// Fill writes a small history into the tables of s, through the Store
// interface only: three collections of two sites (with the first one's
// reconstructed history), a check result, denials, imported days, log
// commands, task runs and reloads, and a plan with its audit trail. Tests
// that copy or compare whole stores (licmon db migrate) use it so that only
// log tables may be left empty.
func Fill(ctx context.Context, s store.Store, at time.Time) error {
	stream := NewStream(7)
	for i, site := range []string{"prod", "test"} {
		snap := Generate(uint64(i+1), Config{Site: site, At: at, Users: 60, Professional: 20, Analyzer: 25,
			UserAccess: 5, Authoring: 15, CapacityUser: 6})
		reconstruct := func(s *license.Snapshot) []license.DailyCounters { return license.Reconstruct(s, at.AddDate(0, -1, 0)) }
		if _, err := s.SaveSnapshotBackfill(ctx, snap, reconstruct); err != nil {
			return err
		}
		for k := 1; k <= 2; k++ {
			snap = stream.Next(snap, at.Add(time.Duration(k)*24*time.Hour), 0.1)
			if _, err := s.SaveSnapshot(ctx, snap); err != nil {
				return err
			}
		}
	}
	if _, err := s.SaveCheck(ctx, store.CheckResult{Site: "prod", At: at, Status: "warning", ExitCode: 1, JSON: []byte(`{"status":"warning"}`)}); err != nil {
		return err
	}
	day := func(d int) time.Time {
		return time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
	}
	if err := s.SaveDenials(ctx, "prod", license.DenialsFromLogs, []license.DenialDay{
		{Day: day(0), Type: license.Professional, Denials: 3, Users: 2, UsersKnown: true}}); err != nil {
		return err
	}
	if _, err := s.ImportHistory(ctx, "prod", []license.HistoryDay{
		{Day: day(-40), Type: license.Professional, Licensed: 20, Allocated: 18, Used: 17, UsedKnown: true, Denied: 2, DeniedKnown: true},
		{Day: day(-39), Type: license.Analyzer, Licensed: 25, Allocated: 22}}, store.ImportOptions{Now: at}); err != nil {
		return err
	}
	// Only the log rows every version of LogBatch has (the session and
	// denial rows changed shape with migration 8).
	ts := func(h int) time.Time { return day(0).Add(time.Duration(h) * time.Hour) }
	if err := s.SaveLogBatch(ctx, "prod", &store.LogBatch{
		Commands: []store.LogCommand{{ID: "c1", At: ts(8), Command: "Allocate", Result: "Ok", User: `CORP\admin`, Message: "allocated", Node: "n1"}},
		Tasks: []store.LogTaskRun{{ID: "t1", TaskID: "T", Task: "Reload License Monitor", AppID: "a", App: "License Monitor",
			Start: ts(1), End: ts(2), Status: "FinishedFail", Result: "65"}},
		Reloads: []store.LogReload{{File: "a.log", AppID: "a", Start: ts(1), End: ts(2), Outcome: "failed", Code: "rest-401", Title: "REST connection rejected"}},
		Files:   []store.LogFile{{Path: "n1/Proxy/Audit/x.log", Size: 10, Checksum: "c", Kind: "proxy activity", Node: "n1", Rows: 4}},
	}); err != nil {
		return err
	}
	plan, err := s.SavePlan(ctx, store.ActionPlan{Site: "prod", Kind: "reclaim", CreatedAt: at, CreatedBy: "ann", Summary: []byte(`{"n":1}`), Body: []byte(`{"actions":[]}`)})
	if err != nil {
		return err
	}
	a, err := s.StartAudit(ctx, store.AuditEntry{Site: "prod", RunID: "r1", At: at, Actor: "ann", Command: "reclaim apply", PlanID: plan,
		Action: "release", Target: `CORP\bob professional`, TargetID: GUID('a', 1)})
	if err != nil {
		return err
	}
	if err := s.FinishAudit(ctx, a, "ok", "released", at.Add(time.Second)); err != nil {
		return fmt.Errorf("finish audit: %w", err)
	}
	return nil
}
