package store

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/url"
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

// dialect is the SQL engine behind a sqlStore (see dialect.go).
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
	// Numbers may have gaps: branches are given numbers in advance and merged
	// in any order, so migrate applies each missing version, not "everything
	// above the highest".
	for i, m := range out {
		if m.version < 1 || (i > 0 && m.version == out[i-1].version) {
			return nil, fmt.Errorf("migration %s: version %d is used twice or is below 1", m.name, m.version)
		}
	}
	return out, nil
}

// LatestSchema is the schema version this binary writes: the highest
// migration number.
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
// migrates it to the latest schema. The parent directory is created 0700
// and a new database file 0600: the store holds every user of the site.
// With opts.ReadOnly the store must exist and is only read.
//
// A path that is a postgres:// or postgresql:// URL opens a PostgreSQL
// store instead (postgres.go): the same schema and queries, in the DSN's
// database and schema (search_path).
func Open(ctx context.Context, path string, opts Options) (Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty path (set db in the config or pass --db)")
	}
	if IsPostgres(path) {
		return openPostgres(ctx, path, opts)
	}
	// A plain file name (no "file:" URI) reaches SQLite verbatim, so Windows
	// paths and names with '%' or '#' work; the driver strips the query.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open store %s: the path must not contain '?'", path)
	}
	noStore := fmt.Errorf("%w at %s: run licmon collect first, or check --db", ErrNoStore, path)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("open store %s: is a directory, expected a database file", path)
		}
		if opts.ReadOnly && fi.Size() == 0 {
			return nil, noStore
		}
		if err := checkHeader(path); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	} else if opts.ReadOnly {
		return nil, noStore
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	} else if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		// Created here with owner-only access; SQLite gives its -wal and
		// -shm files the same mode.
		f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create store %s: %w", path, err)
	}
	dsn := path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	if opts.ReadOnly {
		dsn = readOnlyDSN(path)
	}
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

// readOnlyDSN is a file: URI with mode=ro, which SQLite opens without
// creating the file and refuses every write on. The path is escaped as a
// URI path ('?', '#' and '%' included); a Windows drive path gets the
// leading slash SQLite expects (file:///C:/...).
func readOnlyDSN(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: "mode=ro&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"}
	return u.String()
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
	if s.dialect == dialectSQLite {
		if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
			return s.openErr(err)
		}
		if appID != 0 && appID != applicationID {
			return fmt.Errorf("open store %s: %w (it belongs to another application)", s.path, ErrNotLicmonDB)
		}
	}
	if appID == 0 {
		tables, err := s.tableNames(ctx)
		if err != nil {
			return s.openErr(err)
		}
		if len(tables) > 0 && !tables["schema_migrations"] {
			return fmt.Errorf("open store %s: %w (it has tables but no licmon schema)", s.path, ErrNotLicmonDB)
		}
		if len(tables) == 0 && s.opts.ReadOnly && s.dialect == dialectPostgres {
			return fmt.Errorf("%w at %s: run licmon collect first, or check --db (and search_path)", ErrNoStore, s.path)
		}
	}
	if s.opts.ReadOnly {
		return s.checkReadable(ctx)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if err := s.checkTables(ctx); err != nil {
		return err
	}
	if appID == 0 && s.dialect == dialectSQLite {
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return fmt.Errorf("mark store %s: %w", s.path, err)
		}
	}
	return nil
}

// tableNames lists the tables of the store's database (SQLite) or schema
// (PostgreSQL), in lower case.
func (s *sqlStore) tableNames(ctx context.Context) (map[string]bool, error) {
	q := "SELECT lower(name) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if s.dialect == dialectPostgres {
		q = "SELECT lower(table_name) FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	out := map[string]bool{}
	err := scanAll(ctx, s.db, q, nil, func(r *sql.Rows) error {
		var n string
		if err := r.Scan(&n); err != nil {
			return err
		}
		out[n] = true
		return nil
	})
	return out, err
}

// openErr turns SQLite's (and PostgreSQL's) open failures into errors that
// say what to do.
func (s *sqlStore) openErr(err error) error {
	if s.dialect == dialectPostgres {
		return pgOpenErr(s.path, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("open store %s: %w (the file is not an SQLite database)", s.path, ErrNotLicmonDB)
		case sqlite3.SQLITE_CORRUPT:
			return s.damaged("SQLite reports the file as corrupt")
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("open store %s: cannot open the file for writing (check the path and its permissions): %w", s.path, err)
		}
	}
	return fmt.Errorf("open store %s: %w", s.path, err)
}

// migrationList is the migrations this store applies: the embedded ones,
// or a test's.
func (s *sqlStore) migrationList() ([]migration, error) {
	if s.opts.migrations != nil {
		return s.opts.migrations, nil
	}
	return loadMigrations()
}

// checkReadable checks, for a read-only open, that the store has the schema
// this licmon reads, without changing it. Migration numbers may have gaps, so
// it compares the set of applied versions with the set this binary has.
func (s *sqlStore) checkReadable(ctx context.Context) error {
	migs, err := s.migrationList()
	if err != nil {
		return err
	}
	tables, err := s.tableNames(ctx)
	if err != nil {
		return s.openErr(err)
	}
	if !tables["schema_migrations"] {
		return s.damaged("it has no schema_migrations table")
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return s.openErr(err)
	}
	latest := migs[len(migs)-1].version
	known := map[int]bool{}
	for _, m := range migs {
		known[m.version] = true
	}
	for v := range applied {
		if v > latest || !known[v] {
			return &SchemaTooNewError{Path: s.path, Have: v, Support: latest}
		}
	}
	if err := s.checkTables(ctx); err != nil {
		return err
	}
	for _, m := range migs {
		if !applied[m.version] {
			return fmt.Errorf("open store %s: it lacks schema v%d (%s) that this licmon reads; run licmon collect (or serve) once to upgrade it, then try again", s.path, m.version, m.name)
		}
	}
	return nil
}

// checkTables checks that every table the applied migrations created is
// there, so a dropped table is reported once, naming the file, instead of
// as SQLite's "SQL logic error: no such table" at the first query.
func (s *sqlStore) checkTables(ctx context.Context) error {
	migs, err := s.migrationList()
	if err != nil {
		return err
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return s.openErr(err)
	}
	want := map[string]bool{}
	for _, m := range migs {
		if !applied[m.version] {
			continue
		}
		for _, st := range splitStatements(m.sql) {
			f := strings.Fields(strings.ToUpper(st))
			name := func(i int) string {
				if len(f) > i+3 && f[i] == "IF" && f[i+1] == "NOT" && f[i+2] == "EXISTS" {
					i += 3
				} else if len(f) > i+2 && f[i] == "IF" && f[i+1] == "EXISTS" {
					i += 2
				}
				if i >= len(f) {
					return ""
				}
				return strings.ToLower(strings.Trim(strings.TrimRight(f[i], "(;"), `"`+"`"))
			}
			switch {
			case len(f) > 2 && f[0] == "CREATE" && f[1] == "TABLE":
				want[name(2)] = true
			case len(f) > 2 && f[0] == "DROP" && f[1] == "TABLE":
				delete(want, name(2))
			case len(f) > 5 && f[0] == "ALTER" && f[1] == "TABLE" && f[3] == "RENAME" && f[4] == "TO":
				delete(want, name(2))
				want[name(5)] = true
			}
		}
	}
	have, err := s.tableNames(ctx)
	if err != nil {
		return s.openErr(err)
	}
	for n := range have {
		delete(want, n)
	}
	if len(want) == 0 {
		return nil
	}
	missing := make([]string, 0, len(want))
	for n := range want {
		missing = append(missing, n)
	}
	sort.Strings(missing)
	return s.damaged("table " + strings.Join(missing, ", ") + " missing")
}

// damaged is the error for a store that cannot be used as it is.
func (s *sqlStore) damaged(why string) error {
	return fmt.Errorf("the licmon database %s is %w (%s): restore it from a backup, or point --db at the right file, "+
		"or move it away and run licmon collect to start a new history", s.path, ErrDamaged, why)
}

func (s *sqlStore) migrate(ctx context.Context) error {
	migs, err := s.migrationList()
	if err != nil {
		return err
	}
	// In a transaction: on PostgreSQL it takes the write lock, so two
	// processes opening a new store do not both create the table.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.openErr(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return s.openErr(err)
	}
	if err := tx.Commit(); err != nil {
		return s.openErr(err)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return s.openErr(err)
	}
	latest := migs[len(migs)-1].version
	known := map[int]bool{}
	for _, m := range migs {
		known[m.version] = true
	}
	for v := range applied {
		if v > latest || !known[v] {
			return &SchemaTooNewError{Path: s.path, Have: v, Support: latest}
		}
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

// appliedVersions returns the migration versions recorded in the store.
func (s *sqlStore) appliedVersions(ctx context.Context) (map[int]bool, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
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
		if s.dialect == dialectPostgres {
			if stmt, err = pgDDL(stmt); err != nil {
				return fmt.Errorf("migrate store to v%d (%s): %w", m.version, m.name, err)
			}
		}
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

// q adapts a portable query to the backend (rebind). The PostgreSQL
// connection rewrites every statement again (pgconn.go), so a query that
// does not go through q is still right.
func (s *sqlStore) q(query string) string { return rebind(s.dialect, query) }

// stage calls the test hook, if any.
func (s *sqlStore) stage(name string) {
	if s.opts.hook != nil {
		s.opts.hook(name)
	}
}
