package store

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID marks a licmon database in the SQLite header ("LICM").
const applicationID = 0x4c49434d

// dialect selects placeholder syntax; only SQLite exists today.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// sqlStore implements Store on database/sql.
type sqlStore struct {
	db      *sql.DB
	path    string
	dialect dialect
	opts    Options
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	// Numbers may have gaps: branches are given numbers in advance and land
	// in any order; migrate applies every one not yet recorded.
	for i, m := range out {
		if m.version < 1 || (i > 0 && m.version == out[i-1].version) {
			return nil, fmt.Errorf("migration %s: version %d is not a new positive number", m.name, m.version)
		}
	}
	return out, nil
}

// LatestSchema is the schema version this binary writes (the highest
// migration number).
func LatestSchema() int {
	m, err := loadMigrations()
	if err != nil || len(m) == 0 {
		return 0
	}
	return m[len(m)-1].version
}

// splitStatements splits a migration into statements: full-line "--"
// comments are dropped and a statement ends with ";" at the end of a line.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Open opens (creating if needed) the SQLite history store at path and
// migrates it to the latest schema. The parent directory is created 0700.
func Open(ctx context.Context, path string, opts Options) (Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty path (set db in the config or pass --db)")
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("open store %s: is a directory, expected a database file", path)
		}
		if err := checkHeader(path); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	// A plain file name (no "file:" URI) reaches SQLite verbatim, so Windows
	// paths and names with '%' or '#' work; the driver strips the query.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open store %s: the path must not contain '?'", path)
	}
	dsn := path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &sqlStore{db: db, path: path, dialect: dialectSQLite, opts: opts}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkHeader rejects an existing non-empty file that is not SQLite, with a
// message naming the file, before SQLite reports a vaguer error.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open store %s: cannot read the file: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, err := io.ReadFull(f, head)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil // empty file: SQLite initialises it
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("open store %s: cannot read the file: %w", path, err)
	}
	if !bytes.Equal(head[:n], []byte("SQLite format 3\x00")[:n]) || n < 16 {
		return fmt.Errorf("open store %s: %w (the file is not an SQLite database; point --db at licmon.db or a new path)", path, ErrNotLicmonDB)
	}
	return nil
}

func (s *sqlStore) init(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return s.openErr(err)
	}
	var appID int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return s.openErr(err)
	}
	if appID != 0 && appID != applicationID {
		return fmt.Errorf("open store %s: %w (it belongs to another application)", s.path, ErrNotLicmonDB)
	}
	if appID == 0 {
		var tables, ours int
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN name = 'schema_migrations' THEN 1 ELSE 0 END), 0)
			FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables, &ours)
		if err != nil {
			return s.openErr(err)
		}
		if tables > 0 && ours == 0 {
			return fmt.Errorf("open store %s: %w (it has tables but no licmon schema)", s.path, ErrNotLicmonDB)
		}
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if appID == 0 {
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return fmt.Errorf("mark store %s: %w", s.path, err)
		}
	}
	return nil
}

// openErr turns SQLite's open failures into errors that say what to do.
func (s *sqlStore) openErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("open store %s: %w (the file is not an SQLite database)", s.path, ErrNotLicmonDB)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("open store %s: cannot open the file for writing (check the path and its permissions): %w", s.path, err)
		}
	}
	return fmt.Errorf("open store %s: %w", s.path, err)
}

func (s *sqlStore) migrate(ctx context.Context) error {
	migs, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return s.openErr(err)
	}
	applied := map[int]bool{}
	have := 0
	rows, err := s.db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return s.openErr(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return s.openErr(err)
		}
		applied[v] = true
		have = max(have, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.openErr(err)
	}
	if latest := migs[len(migs)-1].version; have > latest {
		return &SchemaTooNewError{Path: s.path, Have: have, Support: latest}
	}
	for _, m := range migs {
		if applied[m.version] || (s.opts.maxVersion > 0 && m.version > s.opts.maxVersion) {
			continue
		}
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqlStore) applyMigration(ctx context.Context, m migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate store to v%d: %w", m.version, err)
	}
	defer tx.Rollback()
	// Another process may have migrated while we waited for the lock.
	var done int
	if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.version).Scan(&done); err != nil {
		return fmt.Errorf("migrate store to v%d: %w", m.version, err)
	}
	if done > 0 {
		return nil
	}
	for _, stmt := range splitStatements(m.sql) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate store to v%d (%s): %w", m.version, m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, time.Now().Unix()); err != nil {
		return fmt.Errorf("migrate store to v%d: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate store to v%d: %w", m.version, err)
	}
	return nil
}

// Close runs SQLite's PRAGMA optimize (refreshes the planner statistics the
// history queries rely on as tables grow; cheap, best effort) and closes the
// database.
func (s *sqlStore) Close() error {
	if s.dialect == dialectSQLite {
		_, _ = s.db.Exec("PRAGMA optimize")
	}
	return s.db.Close()
}

// q adapts a portable query to the backend's placeholder syntax.
func (s *sqlStore) q(query string) string { return rebind(s.dialect, query) }

// rebind rewrites ? placeholders to $1, $2, ... for PostgreSQL. Queries in
// this package never contain ? inside string literals.
func rebind(d dialect, query string) string {
	if d != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stage calls the test hook, if any.
func (s *sqlStore) stage(name string) {
	if s.opts.hook != nil {
		s.opts.hook(name)
	}
}
