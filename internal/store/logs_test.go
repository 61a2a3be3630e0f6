package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

func TestLogBatchIdempotentAndDaily(t *testing.T) { forEachBackend(t, testLogBatchIdempotentAndDaily) }

func testLogBatchIdempotentAndDaily(t *testing.T, be backend) {
	s, _ := be.open(t, store.Options{})
	ctx := context.Background()
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	b := &store.LogBatch{
		Sessions: []store.LogSession{
			{Key: "s1", User: `CORP\anna`, Start: at(2, 9), Node: "n1"},
			{Key: "s2", User: `CORP\bob`, Start: at(2, 10), Node: "n1"},
			{Key: "s3", User: `CORP\anna`, Start: at(3, 9), Node: "n1"},
			{Key: "s4", User: `CORP\carl`, Start: at(3, 9), Node: "n1"},
		},
		Uses: []store.LogUse{{User: `CORP\anna`, At: at(2, 9), Type: license.Professional}, {User: `CORP\bob`, At: at(2, 10), Type: license.Analyzer}},
		Denials: []store.LogDenial{
			{ID: "d1", At: at(2, 11), User: `CORP\dan`, Type: license.Professional},
			{ID: "d2", At: at(2, 12), User: `CORP\dan`, Type: license.Professional},
			{ID: "d3", At: at(2, 12), User: `CORP\eve`, Type: license.Professional},
			{ID: "d4", At: at(2, 13), User: `CORP\anna`, SessionLimit: true},
		},
		Tasks: []store.LogTaskRun{{ID: "t1", TaskID: "T", Task: "Reload License Monitor", AppID: "a", App: "License Monitor",
			Start: at(2, 1), End: at(2, 1).Add(5 * time.Minute), Status: "FinishedFail", Result: "65"}},
		Reloads: []store.LogReload{{File: "a.2026_03_02_01_00_10.log", AppID: "a", Start: at(2, 1).Add(10 * time.Second),
			End: at(2, 1).Add(4 * time.Minute), Outcome: "failed", Code: "rest-401", Title: "REST connection rejected"}},
		Files: []store.LogFile{{Path: "n1/Proxy/Audit/x.log", Size: 10, Checksum: "c", Kind: "proxy activity", Node: "n1", Rows: 4}},
	}
	// The stop half of s1 arrives in another file (the rolled copy also
	// repeats every row): counts must not change.
	for range 2 {
		if err := s.SaveLogBatch(ctx, "prod", b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveLogBatch(ctx, "prod", &store.LogBatch{Sessions: []store.LogSession{{Key: "s1", User: `CORP\anna`, Stop: at(2, 17), Node: "n1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshLogDays(ctx, "prod", at(1, 0), at(31, 0)); err != nil {
		t.Fatal(err)
	}
	got, err := s.LogActivity(ctx, "prod", at(1, 0), at(31, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.LogActiveDay{
		{Day: at(2, 0), Type: license.Analyzer, Users: 1, Sessions: 1},
		{Day: at(2, 0), Type: license.Professional, Users: 1, Sessions: 1},
		{Day: at(3, 0), Type: "", Users: 1, Sessions: 1}, // carl: no use row names his type
		{Day: at(3, 0), Type: license.Professional, Users: 1, Sessions: 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("activity (-want +got):\n%s", d)
	}
	den, err := s.Denials(ctx, "prod", license.Professional, at(1, 0), at(31, 0))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]license.DenialDay{{Day: at(2, 0), Type: license.Professional, Source: "logs", Denials: 3, Users: 2, UsersKnown: true}}, den); d != "" {
		t.Errorf("denials (-want +got):\n%s", d)
	}
	sum, err := s.LogSummary(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sessions != 4 || sum.Users != 3 || sum.Denials[license.Professional] != 3 || sum.SessionLimitDenials != 1 ||
		sum.FailedTaskRuns != 1 || sum.FailedReloads != 1 || !sum.From.Equal(at(2, 0)) || !sum.To.Equal(at(3, 0)) || sum.Files != 1 {
		t.Errorf("summary: %+v", sum)
	}
	runs, err := s.LogTaskRuns(ctx, "prod", "license monitor", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Reload == nil || runs[0].Reload.Code != "rest-401" || !runs[0].Failed() {
		t.Fatalf("task runs: %+v", runs)
	}
	files, err := s.LogFiles(ctx, "prod")
	if err != nil || len(files) != 1 || files[0].Checksum != "c" {
		t.Fatalf("files: %+v %v", files, err)
	}
}

// A migration missing below the latest recorded one (branches land in any
// order) is applied on open.
func TestMigrationGapApplied(t *testing.T) { forEachBackend(t, testMigrationGapApplied) }

func testMigrationGapApplied(t *testing.T, be backend) {
	ctx := context.Background()
	path := be.location(t)
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	be.exec(t, path, "DROP TABLE denials_daily", "DELETE FROM schema_migrations WHERE version = 4")
	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("reopen with a gap: %v", err)
	}
	defer s.Close()
	if err := s.SaveDenials(ctx, "prod", license.DenialsFromLogs, []license.DenialDay{{Day: time.Now(), Type: license.Professional, Denials: 1}}); err != nil {
		t.Fatalf("the missing migration was not applied: %v", err)
	}
}
