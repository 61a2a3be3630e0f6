package store

import (
	"context"
	"database/sql/driver"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// writeLockSQL serialises the store's write transactions on PostgreSQL as
// SQLite's BEGIN IMMEDIATE does: a collection reads the current state and
// allocates interned keys (MAX(id) + 1) before it writes, so two writers must
// not interleave. The transaction-scoped advisory lock is keyed by the schema,
// so stores in other schemas of the database do not wait for each other, and
// it is released by COMMIT, ROLLBACK or a dropped connection.
const writeLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('licmon write ' || current_schema(), 0))`

// pgConnector opens connections that rewrite the store's portable SQL for
// PostgreSQL (rebind) and take the write lock in every transaction that may
// write.
type pgConnector struct {
	driver.Connector
	readOnly bool
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn), readOnly: c.readOnly}, nil
}

// pgConn is a pgx connection whose statements are rebound. Everything it
// does not override (Close, Ping, ResetSession, CheckNamedValue) is pgx's.
type pgConn struct {
	*stdlib.Conn
	readOnly bool
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(dialectPostgres, query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(dialectPostgres, query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if table, ok := strings.CutPrefix(query, copyPrefix); ok && len(args) == 1 {
		if src, ok := args[0].Value.(*copyRows); ok {
			n, err := pgBulkCopy(ctx, c.Conn.Conn(), table, src)
			return driver.RowsAffected(n), err
		}
	}
	return c.Conn.ExecContext(ctx, rebind(dialectPostgres, query), args)
}

// copyPrefix marks an Exec that is a bulk load: "COPY table" with one
// argument, a *copyRows. The connection runs it as PostgreSQL's COPY FROM
// (binary), in the transaction of the Exec, which database/sql has no
// other way to reach; a bulk insert of 100 000 rows takes a fraction of
// the time of multi-row INSERTs, and into an empty table it is loaded
// before its indexes are built (pgbulk.go).
const copyPrefix = "COPY "

// copyRows streams insertN's rows into COPY (pgcopy.go).
type copyRows struct {
	cols []string
	n, i int
	row  func(i int, dst []any) []any
	cur  []any
}

func (r *copyRows) Next() bool {
	if r.i >= r.n {
		return false
	}
	r.cur = r.row(r.i, r.cur[:0])
	for k, v := range r.cur {
		if b, ok := v.(bool); ok { // 0/1 integers, as CheckNamedValue
			r.cur[k] = b2i(b)
		}
	}
	r.i++
	return true
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(dialectPostgres, query), args)
}

// CheckNamedValue passes a Go bool as 0 or 1: the schema keeps booleans as
// 0/1 integers, which SQLite's driver does by itself and PostgreSQL refuses
// to convert.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
	}
	return c.Conn.CheckNamedValue(nv)
}

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx takes the store's write lock unless the transaction or the
// store is read-only.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil || opts.ReadOnly || c.readOnly {
		return tx, err
	}
	if _, err := c.Conn.Conn().Exec(ctx, writeLockSQL); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return tx, nil
}
