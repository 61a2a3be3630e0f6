package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// bulkMinRows is the smallest COPY into an empty table that is loaded
// without its indexes (pgBulkCopy): below it, the few DDL statements cost
// more than the index maintenance they save.
const bulkMinRows = 5000

// pgBulkCopy runs a COPY of src into table on conn, in the transaction
// open on it. A large COPY into an empty table (a site's first
// collection) is a bulk load: PostgreSQL maintains every index of the
// table row by row (random places of the GUID and activity indexes) and
// checks every foreign key of every row by a query of its own, together
// three quarters of what a 100 000-row COPY costs the server. Building an
// index once from the loaded rows, and checking a foreign key by one join,
// is a fraction of that. So the table's secondary indexes and its unique
// and primary-key constraints (those no foreign key relies on) are dropped
// before the COPY and created again after it, in the same transaction:
// a failure anywhere rolls the DDL back with the rows, and the committed
// schema is unchanged.
//
// Dropping them locks the table (ACCESS EXCLUSIVE) until the commit, which
// is why the table must be empty, for every transaction: no reader can be
// reading its rows, and one that tries waits for the collection instead
// of finding nothing.
// Dropping a foreign key also locks the table it references, sites (read
// by every query of every site) or the interned keys; so foreign keys are
// dropped only when the store holds no other site than the one being
// saved, whose readers wait either way. With other sites they are checked
// row by row, as before. The locks are taken without waiting
// (pgLockForBulk): with a reader holding one, the table is loaded with
// its indexes.
func pgBulkCopy(ctx context.Context, conn *pgx.Conn, table string, src *copyRows) (int64, error) {
	ident := pgx.Identifier{table}
	if src.n < bulkMinRows {
		return pgCopyFrom(ctx, conn, table, src)
	}
	name := ident.Sanitize()
	// Empty for every reader, not only for this transaction: rows it
	// deleted (a copy --force) are still there for the others, who must
	// not wait for it. The transaction's own counts of deleted rows say
	// (pg_stat_xact_user_tables, kept when track_counts is on, as by
	// default).
	var empty, alone bool
	err := conn.QueryRow(ctx, `SELECT current_setting('track_counts')::boolean AND NOT EXISTS (SELECT 1 FROM `+name+`)
			AND COALESCE((SELECT n_tup_del FROM pg_stat_xact_user_tables WHERE relid = $1::text::regclass), 0) = 0,
		(SELECT COUNT(*) FROM sites) <= 1
			AND COALESCE((SELECT n_tup_del FROM pg_stat_xact_user_tables WHERE relid = 'sites'::regclass), 0) = 0`,
		name).Scan(&empty, &alone)
	if err != nil {
		return 0, fmt.Errorf("look for rows before the bulk load: %w", err)
	}
	if !empty {
		return pgCopyFrom(ctx, conn, table, src)
	}
	locked, fks, err := pgLockForBulk(ctx, conn, name, alone)
	if err != nil {
		return 0, err
	}
	if !locked {
		return pgCopyFrom(ctx, conn, table, src)
	}
	deferred, err := pgDeferredDDL(ctx, conn, name, fks)
	if err != nil {
		return 0, err
	}
	for _, d := range deferred {
		if _, err := conn.Exec(ctx, d.drop); err != nil {
			return 0, fmt.Errorf("bulk load: %s: %w", d.drop, err)
		}
	}
	n, err := pgCopyFrom(ctx, conn, table, src)
	if err != nil {
		return n, err
	}
	for _, d := range deferred {
		if _, err := conn.Exec(ctx, d.create); err != nil {
			return n, fmt.Errorf("bulk load: %s: %w", d.create, err)
		}
	}
	return n, nil
}

// pgLockForBulk takes the locks the DDL of a bulk load of table needs:
// the table's, and with withFKs those of the tables its foreign keys
// reference. It never waits for them: a reader holding one (in a
// transaction that may next read a table this transaction already
// locked) would wait for the collection while the collection waited for
// it, a deadlock PostgreSQL ends by failing one of them. So if one is
// held, it reports false and the table is loaded with its indexes, as
// before; and so it does when the role does not own the table (a role
// given only read and write on tables another role created may not drop
// their indexes). Foreign keys are dropped only if the role owns the
// tables they reference too: fks says whether.
func pgLockForBulk(ctx context.Context, conn *pgx.Conn, table string, withFKs bool) (locked, fks bool, err error) {
	var owner, ownsParents bool
	var parents string
	if err := conn.QueryRow(ctx, `SELECT (SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = $1::text::regclass),
			COALESCE((SELECT bool_and(pg_has_role(p.relowner, 'USAGE')) FROM pg_constraint c JOIN pg_class p ON p.oid = c.confrelid
				WHERE c.conrelid = $1::text::regclass AND c.contype = 'f'), true),
			COALESCE((SELECT string_agg(DISTINCT confrelid::regclass::text, ', ') FROM pg_constraint
				WHERE conrelid = $1::text::regclass AND contype = 'f'), '')`, table).Scan(&owner, &ownsParents, &parents); err != nil {
		return false, false, fmt.Errorf("bulk load: look up the owner of %s: %w", table, err)
	}
	if !owner {
		return false, false, nil
	}
	fks = withFKs && ownsParents
	tables := table
	if fks && parents != "" {
		tables += ", " + parents
	}
	// In a savepoint: a refused lock fails only the savepoint.
	if _, err := conn.Exec(ctx, "SAVEPOINT licmon_bulk_load"); err != nil {
		return false, false, fmt.Errorf("bulk load: %w", err)
	}
	_, err = conn.Exec(ctx, "LOCK TABLE "+tables+" IN ACCESS EXCLUSIVE MODE NOWAIT")
	var pe *pgconn.PgError
	switch {
	case err == nil:
		_, err = conn.Exec(ctx, "RELEASE SAVEPOINT licmon_bulk_load") // the locks stay until the end of the transaction
		return err == nil, fks, err
	case errors.As(err, &pe) && pe.Code == "55P03": // lock_not_available
		_, err = conn.Exec(ctx, "ROLLBACK TO SAVEPOINT licmon_bulk_load")
		if err == nil {
			_, err = conn.Exec(ctx, "RELEASE SAVEPOINT licmon_bulk_load")
		}
		return false, false, err
	}
	return false, false, fmt.Errorf("bulk load: lock %s: %w", tables, err)
}

// deferredDDL is an index or constraint of a table dropped around a bulk
// load: the statements that drop it and create it again.
type deferredDDL struct{ drop, create string }

// pgDeferredDDL lists what pgBulkCopy drops around a bulk load of table
// (a sanitized identifier, in the search path), in the order to drop;
// creating them in the same order builds the unique and primary-key
// constraints before the plain indexes and checks the foreign keys last.
// Primary keys and unique constraints that a foreign key references stay:
// dropping one would drop that foreign key of another table. Foreign keys
// only if withFKs.
func pgDeferredDDL(ctx context.Context, conn *pgx.Conn, table string, withFKs bool) ([]deferredDDL, error) {
	rows, err := conn.Query(ctx, `
		SELECT 'ALTER TABLE '||$1::text||' DROP CONSTRAINT '||quote_ident(c.conname),
		       'ALTER TABLE '||$1::text||' ADD CONSTRAINT '||quote_ident(c.conname)||' '||pg_get_constraintdef(c.oid),
		       CASE c.contype WHEN 'f' THEN 3 ELSE 1 END
		FROM pg_constraint c
		WHERE c.conrelid = $1::text::regclass
		  AND (c.contype IN ('p', 'u') AND NOT EXISTS (SELECT 1 FROM pg_constraint f
		        WHERE f.contype = 'f' AND f.confrelid = c.conrelid AND f.conindid = c.conindid)
		    OR c.contype = 'f' AND $2::boolean)
		UNION ALL
		SELECT 'DROP INDEX '||quote_ident(n.nspname)||'.'||quote_ident(ci.relname), pg_get_indexdef(i.indexrelid), 2
		FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace
		WHERE i.indrelid = $1::text::regclass
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
		ORDER BY 3, 1`, table, withFKs)
	if err != nil {
		return nil, fmt.Errorf("bulk load: list the indexes of %s: %w", table, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (deferredDDL, error) {
		var d deferredDDL
		var order int
		err := r.Scan(&d.drop, &d.create, &order)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("bulk load: list the indexes of %s: %w", table, err)
	}
	return out, nil
}
