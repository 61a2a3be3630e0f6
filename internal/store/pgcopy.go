package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// pgCopyFrom is pgx's CopyFrom with the store's own encoding of the
// binary COPY stream: the store's values are int64, string, float64 and
// nil (bool as 0/1), which it appends directly, where pgx looks up an
// encode plan for every value (a third of the client's CPU in a first
// collection's save). Any other value, or a value in a column of another
// type, goes through pgx's encoding as before.
func pgCopyFrom(ctx context.Context, conn *pgx.Conn, table string, src *copyRows) (int64, error) {
	ident := pgx.Identifier{table}
	oids := make([]uint32, len(src.cols))
	rows, err := conn.Query(ctx, `SELECT attname, atttypid FROM pg_attribute
		WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped`, ident.Sanitize())
	if err != nil {
		return 0, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	types := map[string]uint32{}
	var name string
	var oid uint32
	if _, err := pgx.ForEachRow(rows, []any{&name, &oid}, func() error { types[name] = oid; return nil }); err != nil {
		return 0, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	quoted := make([]string, len(src.cols))
	for i, c := range src.cols {
		t, ok := types[c]
		if !ok {
			return 0, fmt.Errorf("table %s has no column %s", table, c)
		}
		oids[i] = t
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	r := &copyReader{src: src, oids: oids, types: conn.TypeMap()}
	r.buf = append(make([]byte, 0, 1<<16), "PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000"...)
	tag, err := conn.PgConn().CopyFrom(ctx, r, "COPY "+ident.Sanitize()+" ("+strings.Join(quoted, ", ")+") FROM STDIN BINARY")
	return tag.RowsAffected(), err
}

// copyReader is the binary COPY stream of a copyRows, encoded as
// pgconn reads it.
type copyReader struct {
	src   *copyRows
	oids  []uint32
	types *pgtype.Map
	buf   []byte // encoded, not yet read
	done  bool
}

func (r *copyReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && !r.done {
		if !r.src.Next() {
			r.buf = binary.BigEndian.AppendUint16(r.buf, 0xffff) // the trailer: -1
			r.done = true
			break
		}
		var err error
		if r.buf, err = r.appendRow(r.buf, r.src.cur); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	if n == 0 && r.done {
		return 0, io.EOF
	}
	return n, nil
}

const (
	oidInt8   = 20
	oidText   = 25
	oidFloat8 = 701
)

// appendRow appends one row (a tuple of the binary COPY format: the field
// count, then each field's length and bytes, -1 for NULL).
func (r *copyReader) appendRow(b []byte, vals []any) ([]byte, error) {
	if len(vals) != len(r.oids) {
		return nil, fmt.Errorf("%d values for %d columns", len(vals), len(r.oids))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(vals)))
	for i, v := range vals {
		oid := r.oids[i]
		switch v := v.(type) {
		case nil:
			b = binary.BigEndian.AppendUint32(b, math.MaxUint32) // -1
			continue
		case int64:
			if oid == oidInt8 {
				b = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(b, 8), uint64(v))
				continue
			}
		case string:
			if oid == oidText {
				b = append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
				continue
			}
		case float64:
			if oid == oidFloat8 {
				b = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(b, 8), math.Float64bits(v))
				continue
			}
		}
		// Anything else as pgx encodes it.
		start := len(b)
		b = binary.BigEndian.AppendUint32(b, math.MaxUint32)
		enc, err := r.types.Encode(oid, pgx.BinaryFormatCode, v, b)
		if err != nil {
			// As pgx's CopyFrom: a value it cannot encode for the column
			// (a number in a text column, a numeric string) as the
			// column's type parses the value's text.
			if enc, err = r.viaText(oid, v, b); err != nil {
				return nil, fmt.Errorf("column %s: %w", r.src.cols[i], err)
			}
		}
		if enc != nil { // nil: NULL, as written
			b = enc
			binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
		}
	}
	return b, nil
}

func (r *copyReader) viaText(oid uint32, v any, b []byte) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		t, err := r.types.Encode(oid, pgx.TextFormatCode, v, nil)
		if err != nil {
			return nil, fmt.Errorf("cannot encode %T for the column", v)
		}
		s = string(t)
	}
	var parsed any
	if err := r.types.Scan(oid, pgx.TextFormatCode, []byte(s), &parsed); err != nil {
		return nil, err
	}
	return r.types.Encode(oid, pgx.BinaryFormatCode, parsed, b)
}
