package store_test

import (
	"context"
	"errors"
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
		UserDays: []store.LogUserDay{
			{Day: at(2, 0), User: `CORP\anna`, Sessions: 1, Type: license.Professional, TypeAt: at(2, 9)},
			{Day: at(2, 0), User: `CORP\bob`, Sessions: 1, Type: license.Analyzer, TypeAt: at(2, 10)},
			{Day: at(3, 0), User: `CORP\anna`, Sessions: 1},
			{Day: at(3, 0), User: `CORP\carl`, Sessions: 1},
			// A use with no session that day: gil's type, not activity.
			{Day: at(3, 0), User: `CORP\gil`, Type: license.Analyzer, TypeAt: at(3, 8)},
		},
		DenialDays: []store.LogDenialDay{
			{Day: at(2, 0), User: `CORP\dan`, Type: license.Professional, Denials: 2},
			{Day: at(2, 0), User: `CORP\eve`, Type: license.Professional, Denials: 1},
			{Day: at(2, 0), User: `CORP\anna`, SessionLimit: true, Denials: 1},
		},
		Tasks: []store.LogTaskRun{{ID: "t1", TaskID: "T", Task: "Reload License Monitor", AppID: "a", App: "License Monitor",
			Start: at(2, 1), End: at(2, 1).Add(5 * time.Minute), Status: "FinishedFail", Result: "65"}},
		Reloads: []store.LogReload{{File: "a.2026_03_02_01_00_10.log", AppID: "a", Start: at(2, 1).Add(10 * time.Second),
			End: at(2, 1).Add(4 * time.Minute), Outcome: "failed", Code: "rest-401", Title: "REST connection rejected"}},
		Streams: []store.LogStream{{Ident: "n1_auditactivity_proxy:1", Consumed: 400, Tail: "0a", Rows: 4}},
		Files:   []store.LogFile{{Path: "n1/Proxy/Audit/x.log", Size: 400, Checksum: "c", Kind: "proxy activity", Node: "n1", Rows: 4, Ident: "n1_auditactivity_proxy:1"}},
	}
	if err := s.SaveLogBatch(ctx, "prod", b); err != nil {
		t.Fatal(err)
	}
	// The same rows again (a second import that read the same stretch of
	// the stream): refused, nothing counted twice.
	if err := s.SaveLogBatch(ctx, "prod", b); !errors.Is(err, store.ErrLogStreamMoved) {
		t.Fatalf("the same stretch saved twice: %v", err)
	}
	// The stream's next stretch: engine summaries of anna's sessions (the
	// proxy's count stands) and of fay, whose node's proxy log is missing;
	// an earlier use of bob's that day names another type (the latest use
	// of the day names it).
	if err := s.SaveLogBatch(ctx, "prod", &store.LogBatch{
		UserDays: []store.LogUserDay{{Day: at(2, 0), User: `CORP\anna`, EngineSessions: 2}, {Day: at(3, 0), User: `CORP\fay`, EngineSessions: 1},
			{Day: at(2, 0), User: `CORP\bob`, Type: license.Professional, TypeAt: at(2, 8)}},
		Streams: []store.LogStream{{Ident: "n1_auditactivity_proxy:1", From: 400, Consumed: 500, Tail: "0b", Rows: 2}},
	}); err != nil {
		t.Fatal(err)
	}
	from, to, err := s.LogPendingDays(ctx, "prod")
	if err != nil || !from.Equal(at(2, 0)) || !to.Equal(at(3, 0)) {
		t.Fatalf("pending days: %v..%v %v", from, to, err)
	}
	if err := s.RefreshLogDays(ctx, "prod", from, to); err != nil {
		t.Fatal(err)
	}
	if from, _, err := s.LogPendingDays(ctx, "prod"); err != nil || !from.IsZero() {
		t.Fatalf("days still pending after the refresh: %v %v", from, err)
	}
	got, err := s.LogActivity(ctx, "prod", at(1, 0), at(31, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.LogActiveDay{
		{Day: at(2, 0), Type: license.Analyzer, Users: 1, Sessions: 1},
		{Day: at(2, 0), Type: license.Professional, Users: 1, Sessions: 1},
		{Day: at(3, 0), Type: "", Users: 2, Sessions: 2}, // carl and fay: no use row names their type
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
	if sum.Sessions != 5 || sum.Users != 4 || sum.Denials[license.Professional] != 3 || sum.SessionLimitDenials != 1 || sum.DenialUsers != 3 ||
		sum.FailedTaskRuns != 1 || sum.FailedReloads != 1 || !sum.From.Equal(at(2, 0)) || !sum.To.Equal(at(3, 0)) || sum.Files != 1 || sum.Rows != 6 {
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
	if err != nil || len(files) != 1 || files[0].Checksum != "c" || files[0].Ident != "n1_auditactivity_proxy:1" {
		t.Fatalf("files: %+v %v", files, err)
	}
	streams, err := s.LogStreams(ctx, "prod")
	if err != nil || len(streams) != 1 || streams[0].Consumed != 500 || streams[0].Tail != "0b" || streams[0].Rows != 6 {
		t.Fatalf("streams: %+v %v", streams, err)
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
