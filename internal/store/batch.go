package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxBatchArgs keeps multi-row statements under SQLite's (32 766) and
// PostgreSQL's (65 535) bound-parameter limits while amortising
// per-statement cost, which dominates a 100 000-row first collection. It
// is that high because SQLite copies every page a multi-row INSERT
// changes into the statement's journal (to undo the statement alone if it
// fails) once per statement, and the random pages of allocation_versions'
// activity index (type, last_used) were copied over and over: a 100
// 000-user first collection wrote 490 MB with 4 000 parameters (300 rows)
// a statement, 220 MB with 32 000 (76 MB with sqliteSaveSettings).
const maxBatchArgs = 32000

// insertRows inserts rows (each len(cols) values) with multi-row INSERTs.
// suffix is appended to each statement (e.g. an ON CONFLICT clause).
func (s *sqlStore) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, suffix string) error {
	return s.insertN(ctx, tx, table, cols, len(rows), func(i int, dst []any) []any { return append(dst, rows[i]...) }, suffix)
}

// inserter is the part of a transaction insertN uses: a *sql.Tx, or a
// txConn.
type inserter interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// txConn is a transaction with the connection it runs on, through which
// insertN reaches SQLite's driver directly (sql.Conn.Raw): database/sql
// would copy every statement's thousands of arguments into a new
// []driver.NamedValue, a third of what a first collection allocates.
type txConn struct {
	*sql.Tx
	conn *sql.Conn
}

// insertN is insertRows with rows produced on demand by row(i, dst), which
// appends row i's values to dst, so a 100 000-row insert never holds all
// rows as interface values at once.
func (s *sqlStore) insertN(ctx context.Context, tx inserter, table string, cols []string, n int, row func(i int, dst []any) []any, suffix string) error {
	return s.insertFixed(ctx, tx, table, cols, nil, n, row, suffix)
}

// fixedCol is a column with the same integer value in every row of an
// insert (a save's collection and site): written once into the
// statement's text instead of bound on every row, which for a first
// collection's 200 000 version rows was 400 000 of its bindings. An
// integer of the store's own (an id), never text from outside.
type fixedCol struct {
	name string
	v    int64
}

// insertFixed is insertN with the columns fixed after cols, their values
// the same in every row (row appends only cols' values).
func (s *sqlStore) insertFixed(ctx context.Context, tx inserter, table string, cols []string, fixed []fixedCol, n int, row func(i int, dst []any) []any, suffix string) error {
	if tc, ok := tx.(txConn); ok && s.dialect == dialectSQLite && n > 0 {
		err := tc.conn.Raw(func(dc any) error { return s.insertDriver(ctx, dc, table, cols, fixed, n, row, suffix) })
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	}
	if s.dialect == dialectPostgres && suffix == "" && n > 0 {
		// PostgreSQL's bulk load (pgconn.go), which takes every value
		// from the rows.
		all, withFixed := cols, row
		if len(fixed) > 0 {
			all = slices.Clip(cols)
			vals := make([]any, len(fixed))
			for i, f := range fixed {
				all, vals[i] = append(all, f.name), f.v
			}
			withFixed = func(i int, dst []any) []any { return append(row(i, dst), vals...) }
		}
		if _, err := tx.ExecContext(ctx, copyPrefix+table, &copyRows{cols: all, n: n, row: withFixed}); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	}
	per := max(maxBatchArgs/len(cols), 1)
	insert := insertSQL(table, cols, fixed, suffix)
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
			if st, err = tx.PrepareContext(ctx, s.q(insert(end-start))); err != nil {
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

// insertSQL returns the INSERT statement of rows rows into table, with
// the fixed columns' values in its text.
func insertSQL(table string, cols []string, fixed []fixedCol, suffix string) func(rows int) string {
	names, marks := slices.Clip(cols), strings.Repeat("?,", len(cols))
	for _, f := range fixed {
		names, marks = append(names, f.name), marks+strconv.FormatInt(f.v, 10)+","
	}
	tuple := "(" + strings.TrimSuffix(marks, ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES "
	return func(rows int) string {
		return head + strings.TrimSuffix(strings.Repeat(tuple+",", rows), ",") + " " + suffix
	}
}

// insertDriver is insertN on the SQLite driver's connection dc, in the
// transaction open on it: the same statements, with one argument slice
// reused by every statement.
func (s *sqlStore) insertDriver(ctx context.Context, dc any, table string, cols []string, fixed []fixedCol, n int, row func(i int, dst []any) []any, suffix string) error {
	conn, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("driver connection %T cannot prepare statements", dc)
	}
	per := max(maxBatchArgs/len(cols), 1)
	insert := insertSQL(table, cols, fixed, suffix)
	stmts := map[int]driver.StmtExecContext{}
	defer func() {
		for _, st := range stmts {
			st.(driver.Stmt).Close()
		}
	}()
	args := make([]any, 0, per*len(cols))
	named := make([]driver.NamedValue, 0, per*len(cols))
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		st, ok := stmts[end-start]
		if !ok {
			ds, err := conn.PrepareContext(ctx, s.q(insert(end-start)))
			if err != nil {
				return err
			}
			if st, ok = ds.(driver.StmtExecContext); !ok {
				ds.Close()
				return fmt.Errorf("driver statement %T cannot execute with a context", ds)
			}
			stmts[end-start] = st
		}
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		named = named[:0]
		for i, v := range args {
			// What database/sql would pass: the store's values are
			// int64, string and nil already.
			switch v.(type) {
			case nil, int64, string, float64, []byte:
			default:
				var err error
				if v, err = driver.DefaultParameterConverter.ConvertValue(v); err != nil {
					return fmt.Errorf("argument %d: %w", i+1, err)
				}
			}
			named = append(named, driver.NamedValue{Ordinal: i + 1, Value: v})
		}
		if _, err := st.ExecContext(ctx, named); err != nil {
			return err
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
