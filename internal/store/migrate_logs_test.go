package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// A store of schema 7 keeps what its logs gave when migration 8 turns the
// rows of sessions and denials into per-user-day aggregates: the summary
// and the daily denials are those of the rows.
func TestMigrationToLogAggregates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "licmon.db")
	st, err := Open(ctx, path, Options{maxVersion: 7})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*sqlStore)
	id, err := s.siteID(ctx, s.db, "prod", time.Now(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql   string
		sites int
	}{
		{`INSERT INTO log_sessions (site_id, key, user, day, start, stop, node) VALUES
			(?, 1, 'CORP\anna', '2026-03-02', 1, 2, 'n1'), (?, 2, 'CORP\anna', '2026-03-02', 3, NULL, 'n1'), (?, 3, 'CORP\bob', '2026-03-03', NULL, 4, 'n1')`, 3},
		{`INSERT INTO log_denials (site_id, key, at, day, user, type, session_limit, message, node) VALUES
			(?, 1, 1, '2026-03-02', 'CORP\dan', 'professional', 0, 'm', 'n1'), (?, 2, 2, '2026-03-02', 'CORP\dan', 'professional', 0, 'm', 'n1'),
			(?, 3, 3, '2026-03-02', 'CORP\anna', '', 1, 'm', 'n1')`, 3},
		{`INSERT INTO log_uses (site_id, user, day, type) VALUES (?, 'CORP\anna', '2026-03-02', 'professional')`, 1},
		{`INSERT INTO log_files (site_id, path, size, checksum, kind, node, rows_read, warnings, imported_at) VALUES
			(?, 'n1/Proxy/Audit/x.log', 10, 'c', 'proxy activity', 'n1', 7, 0, 0)`, 1},
	} {
		args := []any{id, id, id}[:q.sites]
		if _, err := s.db.ExecContext(ctx, q.sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("migrate to schema 8: %v", err)
	}
	defer st.Close()
	sum, err := st.LogSummary(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sessions != 3 || sum.Users != 2 || sum.Denials[license.Professional] != 2 || sum.SessionLimitDenials != 1 || sum.DenialUsers != 2 ||
		sum.Rows != 7 || sum.Files != 1 || !sum.From.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("summary after the migration: %+v", sum)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if err := st.RefreshLogDays(ctx, "prod", day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	act, err := st.LogActivity(ctx, "prod", day, day.AddDate(0, 0, 1))
	if err != nil || len(act) != 2 || act[0].Users != 1 || act[0].Sessions != 2 || act[0].Type != license.Professional {
		t.Errorf("activity after the migration: %+v %v", act, err)
	}
	files, err := st.LogFiles(ctx, "prod")
	if err != nil || len(files) != 1 || files[0].Ident != "" {
		t.Errorf("the files of schema 6 keep their records, with no stream: %+v %v", files, err)
	}
}
