package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// maxBatchArgs keeps multi-row statements under SQLite's (and PostgreSQL's)
// bound-parameter limits while amortising per-statement cost, which
// dominates a 100 000-row first collection.
const maxBatchArgs = 4000

// insertRows inserts rows (each len(cols) values) with multi-row INSERTs.
// suffix is appended to each statement (e.g. an ON CONFLICT clause).
func (s *sqlStore) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, suffix string) error {
	return s.insertN(ctx, tx, table, cols, len(rows), func(i int, dst []any) []any { return append(dst, rows[i]...) }, suffix)
}

// insertN is insertRows with rows produced on demand by row(i, dst), which
// appends row i's values to dst, so a 100 000-row insert never holds all
// rows as interface values at once.
func (s *sqlStore) insertN(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(i int, dst []any) []any, suffix string) error {
	if s.dialect == dialectPostgres && suffix == "" && n > 0 {
		// PostgreSQL's bulk load (pgconn.go).
		if _, err := tx.ExecContext(ctx, copyPrefix+table, &copyRows{cols: cols, n: n, row: row}); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	}
	per := max(maxBatchArgs/len(cols), 1)
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	// Each statement size is prepared once: compiling a statement of
	// thousands of parameters costs as much as running it.
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, per*len(cols))
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		st, ok := stmts[end-start]
		if !ok {
			var err error
			if st, err = tx.PrepareContext(ctx, s.q(head+strings.TrimSuffix(strings.Repeat(tuple+",", end-start), ",")+" "+suffix)); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
			stmts[end-start] = st
		}
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// closeVersions ends the current version (valid_to NULL) of the given keys
// at collection cid.
func (s *sqlStore) closeVersions(ctx context.Context, tx *sql.Tx, table, keyCol string, cid int64, keys []int64) error {
	const per = 500
	for start := 0; start < len(keys); start += per {
		chunk := keys[start:min(start+per, len(keys))]
		q := s.q("UPDATE " + table + " SET valid_to = ? WHERE valid_to IS NULL AND " + keyCol + " IN (" +
			strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",") + ")")
		args := make([]any, 0, len(chunk)+1)
		args = append(args, cid)
		for _, k := range chunk {
			args = append(args, k)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("close versions in %s: %w", table, err)
		}
	}
	return nil
}
