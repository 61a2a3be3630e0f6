package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// CopyOptions tune Copy.
type CopyOptions struct {
	// Force replaces the history a non-empty destination holds.
	Force bool
}

// TableCopy is what Copy did to one table: rows copied and the
// order-independent checksum of the rows, equal in both stores.
type TableCopy struct {
	Name     string
	Rows     int64
	Checksum string
}

// CopyResult describes a finished, verified Copy.
type CopyResult struct {
	// From and To are the stores, passwords masked; FromEngine and
	// ToEngine are "SQLite" or "PostgreSQL".
	From, To             string
	FromEngine, ToEngine string
	Schema               int
	Tables               []TableCopy
	// Replaced is the number of rows the destination held before (Force).
	Replaced int64
}

// ErrNotEmpty means Copy's destination already holds history.
var ErrNotEmpty = errors.New("the destination store already holds history")

// copyChunk is the number of rows read from the source per insert round.
const copyChunk = 20000

// Copy copies the store at from (an SQLite file or a postgres:// DSN) into
// the store at to, table by table in one destination transaction, and
// verifies before committing that every table has the same number of rows
// and the same checksum (an order-independent hash of its rows) in both.
// The source is read in one read-only transaction, so a collection running
// meanwhile is either wholly in the copy or not at all. The source must be
// at this licmon's schema; the destination is created or migrated to it
// and must be empty unless opts.Force, which replaces its history.
func Copy(ctx context.Context, from, to string, opts CopyOptions) (*CopyResult, error) {
	if from == to {
		return nil, fmt.Errorf("copy store: --from and --to are the same store (%s)", RedactDSN(from))
	}
	srcSt, err := Open(ctx, from, Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("copy store: source: %w", err)
	}
	defer srcSt.Close()
	dstSt, err := Open(ctx, to, Options{})
	if err != nil {
		return nil, fmt.Errorf("copy store: destination: %w", err)
	}
	defer dstSt.Close()
	src, dst := srcSt.(*sqlStore), dstSt.(*sqlStore)
	res := &CopyResult{From: src.path, To: dst.path, FromEngine: src.engine(), ToEngine: dst.engine()}

	tables, err := src.dataTables(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy store: %w", err)
	}
	srcTx, err := src.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: src.snapshotLevel()})
	if err != nil {
		return nil, fmt.Errorf("copy store: read %s: %w", src.path, err)
	}
	defer srcTx.Rollback()
	dstTx, err := dst.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("copy store: write %s: %w", dst.path, err)
	}
	defer dstTx.Rollback()
	if err := sameSchema(ctx, srcTx, dstTx, &res.Schema); err != nil {
		return nil, fmt.Errorf("copy store: %w", err)
	}

	// The destination must be empty, or be emptied (children first).
	held := map[string]int64{}
	for _, t := range tables {
		var n int64
		if err := dstTx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("copy store: count %s in %s: %w", t, dst.path, err)
		}
		if n > 0 {
			held[t] = n
			res.Replaced += n
		}
	}
	if res.Replaced > 0 {
		if !opts.Force {
			return nil, fmt.Errorf("copy store to %s: %w (%s): choose an empty database, schema or file, or pass --force to replace it",
				dst.path, ErrNotEmpty, heldText(tables, held))
		}
		for i := len(tables) - 1; i >= 0; i-- {
			if _, err := dstTx.ExecContext(ctx, "DELETE FROM "+tables[i]); err != nil {
				return nil, fmt.Errorf("copy store: empty %s in %s: %w", tables[i], dst.path, err)
			}
		}
	}

	for _, t := range tables {
		tc, err := copyTable(ctx, srcTx, dst, dstTx, t)
		if err != nil {
			return nil, fmt.Errorf("copy store: table %s: %w", t, err)
		}
		res.Tables = append(res.Tables, *tc)
	}
	if err := dst.resetIdentities(ctx, dstTx); err != nil {
		return nil, fmt.Errorf("copy store: %w", err)
	}
	// Verify what the destination now holds, before it is committed.
	for _, tc := range res.Tables {
		n, sum, err := tableChecksum(ctx, dstTx, tc.Name)
		if err != nil {
			return nil, fmt.Errorf("copy store: verify %s in %s: %w", tc.Name, dst.path, err)
		}
		if n != tc.Rows || sum != tc.Checksum {
			return nil, fmt.Errorf("copy store: verify %s: the destination has %d rows (checksum %s), the source %d (checksum %s); nothing was written",
				tc.Name, n, sum, tc.Rows, tc.Checksum)
		}
	}
	if err := dstTx.Commit(); err != nil {
		return nil, fmt.Errorf("copy store: commit %s: %w", dst.path, err)
	}
	return res, nil
}

// TableChecksums returns the rows and checksum of every table of the store
// at db (as Copy computes them), for comparing two stores.
func TableChecksums(ctx context.Context, db string) ([]TableCopy, error) {
	st, err := Open(ctx, db, Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	s := st.(*sqlStore)
	tables, err := s.dataTables(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.snapshotLevel()})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []TableCopy
	for _, t := range tables {
		n, sum, err := tableChecksum(ctx, tx, t)
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", t, err)
		}
		out = append(out, TableCopy{Name: t, Rows: n, Checksum: sum})
	}
	return out, nil
}

func (s *sqlStore) engine() string {
	if s.dialect == dialectPostgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

// snapshotLevel is the isolation that gives one consistent view for a
// whole copy: REPEATABLE READ on PostgreSQL; SQLite's read transactions
// already read one snapshot (and its driver takes no level).
func (s *sqlStore) snapshotLevel() sql.IsolationLevel {
	if s.dialect == dialectPostgres {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

// dataTables lists the store's tables but schema_migrations (each store
// records its own) in the order the migrations created them, which is an
// order their foreign keys allow: parents first. Tables the database has
// and no CREATE TABLE names (a rename) come last.
func (s *sqlStore) dataTables(ctx context.Context) ([]string, error) {
	migs, err := s.migrationList()
	if err != nil {
		return nil, err
	}
	have, err := s.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	delete(have, "schema_migrations")
	var out []string
	for _, m := range migs {
		for _, st := range splitStatements(m.sql) {
			f := strings.Fields(strings.ToLower(st))
			if len(f) < 3 || f[0] != "create" || f[1] != "table" {
				continue
			}
			n := f[2]
			if len(f) > 5 && f[2] == "if" && f[3] == "not" && f[4] == "exists" {
				n = f[5]
			}
			if n = strings.Trim(strings.TrimRight(n, "(;"), `"`); have[n] {
				out = append(out, n)
				delete(have, n)
			}
		}
	}
	rest := make([]string, 0, len(have))
	for n := range have {
		rest = append(rest, n)
	}
	sort.Strings(rest)
	return append(out, rest...), nil
}

// sameSchema checks that both stores have applied the same migrations.
func sameSchema(ctx context.Context, src, dst *sql.Tx, schema *int) error {
	versions := func(tx *sql.Tx) (string, int, error) {
		var vs []string
		last := 0
		err := scanAll(ctx, tx, "SELECT version FROM schema_migrations ORDER BY version", nil, func(r *sql.Rows) error {
			var v int
			if err := r.Scan(&v); err != nil {
				return err
			}
			vs = append(vs, strconv.Itoa(v))
			last = v
			return nil
		})
		return strings.Join(vs, ","), last, err
	}
	a, last, err := versions(src)
	if err != nil {
		return err
	}
	b, _, err := versions(dst)
	if err != nil {
		return err
	}
	if a != b {
		return fmt.Errorf("the stores have different schemas (source migrations %s, destination %s): open both with this licmon first", a, b)
	}
	*schema = last
	return nil
}

func heldText(tables []string, held map[string]int64) string {
	var parts []string
	for _, t := range tables {
		if n := held[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d rows in %s", n, t))
		}
		if len(parts) == 3 {
			break
		}
	}
	return strings.Join(parts, ", ")
}

// copyTable streams one table from the source to the destination in
// chunks and returns its row count and checksum as read.
func copyTable(ctx context.Context, srcTx *sql.Tx, dst *sqlStore, dstTx *sql.Tx, table string) (*TableCopy, error) {
	rows, err := srcTx.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var sum rowSum
	sum.init(cols)
	var chunk [][]any
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := dst.insertRows(ctx, dstTx, table, cols, chunk, "")
		chunk = chunk[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b) // every column is text or a number: never a blob
			}
		}
		sum.add(vals)
		chunk = append(chunk, vals)
		if len(chunk) == copyChunk {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return &TableCopy{Name: table, Rows: sum.n, Checksum: sum.String()}, nil
}

// tableChecksum reads a table and returns its row count and checksum.
func tableChecksum(ctx context.Context, q queryer, table string) (int64, string, error) {
	rows, err := q.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, "", err
	}
	var sum rowSum
	sum.init(cols)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, "", err
		}
		sum.add(vals)
	}
	return sum.n, sum.String(), rows.Err()
}

// rowSum is an order-independent checksum of a table: the sum (mod 2^64)
// of a SHA-256 prefix of each row, the row encoded by column name so that
// column order and driver types (int64 or float64 for a whole number,
// string or []byte for text) do not matter; a sum, unlike a XOR, counts a
// repeated row twice.
type rowSum struct {
	order []int // column indexes sorted by name
	names []string
	n     int64
	sum   uint64
	buf   []byte
}

func (r *rowSum) init(cols []string) {
	r.names = make([]string, len(cols))
	r.order = make([]int, len(cols))
	for i, c := range cols {
		r.names[i] = strings.ToLower(c)
		r.order[i] = i
	}
	sort.Slice(r.order, func(a, b int) bool { return r.names[r.order[a]] < r.names[r.order[b]] })
}

func (r *rowSum) add(vals []any) {
	b := r.buf[:0]
	for _, i := range r.order {
		b = append(b, r.names[i]...)
		b = append(b, '=')
		switch v := vals[i].(type) {
		case nil:
			b = append(b, 'N')
		case int64:
			b = strconv.AppendInt(append(b, 'i'), v, 10)
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
			} else {
				b = strconv.AppendFloat(append(b, 'f'), v, 'g', -1, 64)
			}
		case bool:
			if v {
				b = append(b, 'i', '1')
			} else {
				b = append(b, 'i', '0')
			}
		case []byte:
			b = strconv.AppendQuote(append(b, 's'), string(v))
		case string:
			b = strconv.AppendQuote(append(b, 's'), v)
		default:
			b = strconv.AppendQuote(append(b, 's'), fmt.Sprint(v))
		}
		b = append(b, 0)
	}
	h := sha256.Sum256(b)
	r.sum += binary.BigEndian.Uint64(h[:8])
	r.n++
	r.buf = b
}

func (r *rowSum) String() string { return fmt.Sprintf("%016x", r.sum) }

// resetIdentities moves each identity column's sequence past the copied
// ids (PostgreSQL), so the next collection or check gets a new id.
func (s *sqlStore) resetIdentities(ctx context.Context, tx *sql.Tx) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	var cols [][2]string
	err := scanAll(ctx, tx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`, nil, func(r *sql.Rows) error {
		var t, c string
		if err := r.Scan(&t, &c); err != nil {
			return err
		}
		cols = append(cols, [2]string{t, c})
		return nil
	})
	if err != nil {
		return fmt.Errorf("find identity columns: %w", err)
	}
	for _, tc := range cols {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`, tc[0], tc[1], tc[1], tc[0])
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset the id sequence of %s: %w", tc[0], err)
		}
	}
	return nil
}
