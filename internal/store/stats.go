package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// statTables are the tables Stats reports, in schema order.
var statTables = []string{"sites", "collections", "counters", "reconstructed_daily", "user_keys", "allocation_keys",
	"allocation_versions", "user_versions", "authoring_versions", "license_versions", "capacity_use", "state_digests", "check_results",
	"imported_daily", "schema_migrations"}

func (s *sqlStore) Stats(ctx context.Context) (*Stats, error) {
	st := &Stats{Path: s.path, Engine: "SQLite"}
	wrap := func(err error) error { return fmt.Errorf("store stats: %w", err) }
	if s.dialect == dialectSQLite {
		for _, f := range []string{s.path, s.path + "-wal"} {
			if fi, err := os.Stat(f); err == nil {
				st.FileBytes += fi.Size()
			}
		}
		for _, p := range []struct {
			name string
			dst  *int64
		}{{"page_size", &st.PageSize}, {"page_count", &st.Pages}, {"freelist_count", &st.FreePages}} {
			if err := s.db.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(p.dst); err != nil {
				return nil, wrap(err)
			}
		}
	}
	if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&st.Schema); err != nil {
		return nil, wrap(err)
	}
	// Bytes per table including its indexes (and on PostgreSQL its TOAST
	// data), from dbstat when compiled in, or pg_total_relation_size.
	bytes := map[string]int64{}
	sizes := `SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name`
	if s.dialect == dialectPostgres {
		st.Engine = "PostgreSQL"
		sizes = `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r'`
	}
	err := scanAll(ctx, s.db, sizes,
		nil, func(r *sql.Rows) error {
			var n string
			var b int64
			if err := r.Scan(&n, &b); err != nil {
				return err
			}
			bytes[n] = b
			if s.dialect == dialectPostgres {
				st.FileBytes += b
			}
			return nil
		})
	st.BytesExact = err == nil
	var totalRows int64
	for _, t := range statTables {
		ts := TableStats{Name: t, Bytes: bytes[t]}
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&ts.Rows); err != nil {
			return nil, wrap(err)
		}
		totalRows += ts.Rows
		st.Tables = append(st.Tables, ts)
	}
	if !st.BytesExact && totalRows > 0 {
		// Estimate: share the used pages by row count.
		used := (st.Pages - st.FreePages) * st.PageSize
		for i := range st.Tables {
			st.Tables[i].Bytes = used * st.Tables[i].Rows / totalRows
		}
	}
	err = scanAll(ctx, s.db, `SELECT s.name,
		(SELECT COUNT(*) FROM collections c WHERE c.site_id = s.id),
		(SELECT MIN(at) FROM collections c WHERE c.site_id = s.id),
		(SELECT MAX(at) FROM collections c WHERE c.site_id = s.id),
		(SELECT MIN(day) FROM reconstructed_daily r WHERE r.site_id = s.id),
		(SELECT MIN(day) FROM imported_daily i WHERE i.site_id = s.id),
		(SELECT MAX(day) FROM imported_daily i WHERE i.site_id = s.id)
		FROM sites s ORDER BY s.name`, nil, func(r *sql.Rows) error {
		var ss SiteStats
		var first, last sql.NullInt64
		var rec, impFrom, impTo sql.NullString
		if err := r.Scan(&ss.Site, &ss.Collections, &first, &last, &rec, &impFrom, &impTo); err != nil {
			return err
		}
		ss.First, ss.Last = timeOf(first), timeOf(last)
		if rec.Valid {
			ss.ReconstructedFrom, _ = time.Parse(time.DateOnly, rec.String)
		}
		if impFrom.Valid {
			ss.ImportedFrom, _ = time.Parse(time.DateOnly, impFrom.String)
			ss.ImportedTo, _ = time.Parse(time.DateOnly, impTo.String)
		}
		st.Sites = append(st.Sites, ss)
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	return st, nil
}
