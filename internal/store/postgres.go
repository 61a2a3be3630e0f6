package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PasswordFileParam is the DSN parameter naming a file that holds the
// PostgreSQL password (one line), licmon's own: it is removed before the DSN
// reaches the driver. The config's db_password_file sets it.
const PasswordFileParam = "password_file"

// IsPostgres reports whether db names a PostgreSQL database (a postgres://
// or postgresql:// URL) rather than an SQLite file.
func IsPostgres(db string) bool {
	l := strings.ToLower(db)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// RedactDSN returns db fit to print: a PostgreSQL DSN with its password
// (in the user info or a password parameter) replaced by *****; an SQLite
// path unchanged. Every message and log line that shows a store goes
// through it.
func RedactDSN(db string) string {
	if !IsPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		// Unparseable: keep only the scheme and what follows the user info.
		scheme, rest, _ := strings.Cut(db, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = "*****@" + rest[at+1:]
		}
		if i := strings.IndexAny(rest, "?"); i >= 0 {
			rest = rest[:i] + "?*****"
		}
		return scheme + "://" + rest
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "*****")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "*****")
		u.RawQuery = q.Encode()
	}
	return strings.Replace(u.String(), "%2A%2A%2A%2A%2A", "*****", -1)
}

// WithPasswordFile returns the PostgreSQL DSN with PasswordFileParam set to
// file, for the config's db_password_file.
func WithPasswordFile(dsn, file string) (string, error) {
	if !IsPostgres(dsn) {
		return "", errors.New("db_password_file is for a PostgreSQL db (postgres://...); an SQLite file has no password")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("db %s: %w", RedactDSN(dsn), errors.Unwrap(err))
	}
	if _, ok := u.User.Password(); ok {
		return "", errors.New("db: the DSN has a password and db_password_file is set: keep one (the file)")
	}
	q := u.Query()
	q.Set(PasswordFileParam, file)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// PostgresConfig parses a PostgreSQL DSN with licmon's password rules: the
// password comes from the DSN, else PasswordFileParam's file, else the
// driver's usual sources (PGPASSWORD, a passfile parameter, ~/.pgpass).
// Errors never contain the password.
func PostgresConfig(dsn string) (*pgx.ConnConfig, error) {
	shown := RedactDSN(dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: not a valid postgres:// URL (%v)", shown, errors.Unwrap(err))
	}
	q := u.Query()
	file := q.Get(PasswordFileParam)
	q.Del(PasswordFileParam)
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		// pgx's message repeats the DSN; say only what is wrong.
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return nil, fmt.Errorf("open store %s: invalid PostgreSQL DSN: %s", shown, msg)
	}
	if file != "" {
		if _, ok := u.User.Password(); ok {
			return nil, fmt.Errorf("open store %s: the DSN has a password and %s: keep one (the file)", shown, PasswordFileParam)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("open store %s: read the password file: %w", shown, err)
		}
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return nil, fmt.Errorf("open store %s: the password file %s is empty", shown, file)
		}
		cfg.Password = pw
	}
	if cfg.ConnectTimeout == 0 {
		// An unreachable server fails in seconds, not at the OS's TCP
		// timeout; connect_timeout in the DSN overrides it.
		cfg.ConnectTimeout = 15 * time.Second
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "licmon"
	}
	return cfg, nil
}

// ConnectPostgres opens one connection to the PostgreSQL store at dsn, for
// what needs a session of its own (the collection lock, leader election).
func ConnectPostgres(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := PostgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, pgOpenErr(RedactDSN(dsn), err)
	}
	return conn, nil
}

// openPostgres opens the PostgreSQL store at dsn (the schema is the DSN's
// search_path, public by default) and migrates it, or with opts.ReadOnly
// checks it, in read-only transactions only.
func openPostgres(ctx context.Context, dsn string, opts Options) (Store, error) {
	cfg, err := PostgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		// Every transaction, and every statement outside one, is read-only:
		// the server refuses a write whatever the code path.
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := sql.OpenDB(&pgConnector{Connector: stdlib.GetConnector(*cfg), readOnly: opts.ReadOnly})
	db.SetMaxIdleConns(4)
	s := &sqlStore{db: db, path: RedactDSN(dsn), dialect: dialectPostgres, opts: opts}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// pgOpenErr turns PostgreSQL's connection and permission failures into
// errors that say what to do. where is the redacted DSN.
func pgOpenErr(where string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("open store %s: the server refused the login (%s): check the user, and give the password with db_password_file, PGPASSWORD or a passfile", where, pe.Message)
		case "3D000":
			return fmt.Errorf("open store %s: %s: create it (createdb, or CREATE DATABASE) or fix the DSN", where, pe.Message)
		case "3F000":
			return fmt.Errorf("open store %s: %s: create the schema (CREATE SCHEMA) or fix search_path in the DSN", where, pe.Message)
		case "42501":
			return fmt.Errorf("open store %s: %s: the role needs CREATE on the schema (to migrate) and read/write on licmon's tables", where, pe.Message)
		case "25006":
			return fmt.Errorf("open store %s: the store is read-only (%s)", where, pe.Message)
		}
		return fmt.Errorf("open store %s: %s (SQLSTATE %s)", where, pe.Message, pe.Code)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("open store %s: cannot connect to PostgreSQL (is the server running and reachable? check host and port in the DSN): %w", where, err)
	}
	return fmt.Errorf("open store %s: %w", where, err)
}

// lockCollectPostgres is LockCollect on a PostgreSQL store: a session
// advisory lock on a connection of its own, keyed by the schema and the
// site's lower-case name, so the lock holds across hosts (several serve
// instances) and a killed process releases it with its connection.
func lockCollectPostgres(dsn, site string) (release func(), held bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := ConnectPostgres(ctx, dsn)
	if err != nil {
		return nil, false, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended('licmon collect ' || current_schema() || ' ' || $1, 0))`,
		strings.ToLower(site)).Scan(&got); err != nil {
		conn.Close(ctx)
		return nil, false, err
	}
	if !got {
		conn.Close(ctx)
		return nil, true, nil
	}
	// The connection outlives ctx: it holds the lock until release.
	return func() { conn.Close(context.Background()) }, false, nil
}
