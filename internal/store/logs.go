package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// LogStore holds what `licmon logs import` reads from the Qlik Sense logs,
// kept apart from the QRS history (it is measured from other evidence).
// Sessions and denials are kept as per-user-day aggregates. Saving is
// idempotent by stream: every service log is a stream named by its first
// rows, and a batch adds its aggregates only if the offsets of its streams
// are still where the import found them (see LogStream), so the copies of
// a file in the active .txt and the rolled .log, and files read twice, are
// counted once.
type LogStore interface {
	// LogFiles lists the files already imported for the site (none for an
	// unknown site).
	LogFiles(ctx context.Context, site string) ([]LogFile, error)
	// LogStreams lists how far each stream of the site was read.
	LogStreams(ctx context.Context, site string) ([]LogStream, error)
	// SaveLogBatch stores events, stream offsets and file records in one
	// transaction, creating the site if new, and marks the days it changed
	// as pending. It fails with ErrLogStreamMoved, saving nothing, when a
	// stream is no longer at the batch's From.
	SaveLogBatch(ctx context.Context, site string, b *LogBatch) error
	// LogPendingDays returns the first and last of the days saved batches
	// changed and no refresh has recomputed since (zero when none).
	LogPendingDays(ctx context.Context, site string) (from, to time.Time, err error)
	// RefreshLogDays recomputes the daily figures (active users and
	// sessions per type, and the "logs" source of denials_daily) for the UTC
	// days from..to and clears their pending marks.
	RefreshLogDays(ctx context.Context, site string, from, to time.Time) error
	// LogActivity returns the daily active users and sessions per type in
	// [from, to] (UTC days), by day then type; Type "" is users whose type
	// the logs do not show.
	LogActivity(ctx context.Context, site string, from, to time.Time) ([]LogActiveDay, error)
	// LogSummary sums up what the logs gave for the site (nil, ErrUnknownSite
	// for a site never saved).
	LogSummary(ctx context.Context, site string) (*LogSummary, error)
	// LogTaskRuns returns the latest finished executions of the tasks of the
	// app named app ("" = every task), newest first, each with the script
	// log diagnosis of the same app and time when one was imported.
	LogTaskRuns(ctx context.Context, site, app string, limit int) ([]LogTaskRun, error)
	// LogReloads returns imported script-log diagnoses, newest first;
	// failedOnly keeps those that did not succeed.
	LogReloads(ctx context.Context, site string, failedOnly bool, limit int) ([]LogReload, error)
}

// ErrLogStreamMoved means a log stream was read further by another import
// since this one looked: its rows were not saved a second time.
var ErrLogStreamMoved = errors.New("another import of the same logs saved rows since this one started (two imports at once?); nothing of this batch was saved")

// LogBatch is a set of events to save. UserDays and DenialDays are added
// to what the store holds; they must come from the rows of Streams between
// each stream's From and Consumed.
type LogBatch struct {
	UserDays   []LogUserDay
	DenialDays []LogDenialDay
	Commands   []LogCommand
	Tasks      []LogTaskRun
	Reloads    []LogReload
	Streams    []LogStream
	// Files are recorded as imported (save them in the batch after their
	// last events, so a crash never records a file half read).
	Files []LogFile
}

// Len is the number of rows the batch writes.
func (b *LogBatch) Len() int {
	return len(b.UserDays) + len(b.DenialDays) + len(b.Commands) + len(b.Tasks) + len(b.Reloads) + len(b.Streams) + len(b.Files)
}

// Reset empties the batch, keeping its capacity.
func (b *LogBatch) Reset() {
	b.UserDays, b.DenialDays, b.Commands = b.UserDays[:0], b.DenialDays[:0], b.Commands[:0]
	b.Tasks, b.Reloads, b.Streams, b.Files = b.Tasks[:0], b.Reloads[:0], b.Streams[:0], b.Files[:0]
}

// LogUserDay is the sessions of one user started on one UTC day: proxy
// sessions, and engine sessions apart (the engine's count stands in where
// the proxy's is 0: a node whose proxy logs are missing); and the access
// type of the user's latest license use that day that names one (Type ""
// when none), used at TypeAt. A user's type on a day without such a use is
// that of their latest earlier one, else of their first later one.
type LogUserDay struct {
	Day            time.Time
	User           string
	Sessions       int64
	EngineSessions int64
	Type           license.Type
	TypeAt         time.Time
}

// LogDenialDay is the denials of one user on one UTC day of one type ("" =
// the log does not name it) and kind.
type LogDenialDay struct {
	Day          time.Time
	Type         license.Type
	User         string
	SessionLimit bool
	Denials      int64
}

// LogStream is how far one service-log stream was read: Consumed is the
// byte offset after the last row counted, Tail the hex of the bytes before
// it, Rows the rows counted. In a batch, From is the offset the import
// found (0 for a new stream) and Rows the rows the batch adds.
type LogStream struct {
	Ident    string
	From     int64
	Consumed int64
	Tail     string
	Rows     int64
}

// LogCommand is a license command of the repository security audit log.
type LogCommand struct {
	ID                             string
	At                             time.Time
	Command, Result, User, Message string
	Node                           string
}

// LogTaskRun is a finished task execution. Start is zero when unknown.
type LogTaskRun struct {
	ID, TaskID, Task, AppID, App string
	Start, End                   time.Time
	Status, Result, Message      string
	Node                         string
	// Reload is the diagnosed script log of this run (read only; nil when
	// none was imported).
	Reload *LogReload
}

// Failed reports whether the run did not finish successfully.
func (r LogTaskRun) Failed() bool { return r.Status != "FinishedSuccess" }

// LogReload is a diagnosed reload script log.
type LogReload struct {
	File, AppID string
	// App is the app name, from the scheduler's rows (read only; "" when unknown).
	App                             string
	Start, End                      time.Time
	Outcome, Code, Title, Hint, Err string
}

// LogFile records an imported file.
type LogFile struct {
	// Path identifies the file: its path relative to the imported root, or
	// the zip and member ("logs.zip!node/Proxy/Audit/x.log").
	Path       string
	Size       int64
	Checksum   string
	Kind, Node string
	Rows       int64
	Warnings   int64
	ImportedAt time.Time
	// Ident is the stream the file belongs to ("" for a script log).
	Ident string
}

// LogActiveDay is one day's activity of one type from the logs.
type LogActiveDay struct {
	Day      time.Time
	Type     license.Type // "" = not shown by the logs
	Users    int64
	Sessions int64
}

// LogSummary sums up the imported logs of a site.
type LogSummary struct {
	// From and To are the first and last days with events: sessions,
	// denials, task runs, script logs (zero if none).
	From, To time.Time
	Files    int64
	Rows     int64
	Warnings int64
	Nodes    []string
	Users    int64
	Sessions int64
	// Denials counts denials per type; SessionLimitDenials the
	// five-sessions denials and UntypedDenials those naming no type, which
	// are not unmet demand for a seat.
	Denials             map[license.Type]int64
	DenialUsers         int64
	SessionLimitDenials int64
	UntypedDenials      int64
	LicenseCommands     int64
	TaskRuns            int64
	FailedTaskRuns      int64
	Reloads             int64
	FailedReloads       int64
}

// logKey is the 64-bit key of a log identity (row Id, session id): a
// collision needs ~4·10⁹ rows per site to become likely.
func logKey(s string) int64 {
	// FNV-1a inline: the same value as hash/fnv's New64a, without its
	// allocations (this runs for every saved row).
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime64
	}
	return int64(h)
}

// dayText is t's UTC day as YYYY-MM-DD (what time.DateOnly formats,
// without the formatter: it runs for every saved row).
func dayText(t time.Time) string {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().Format(time.DateOnly)
	}
	b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
	return string(b[:])
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func (s *sqlStore) LogFiles(ctx context.Context, site string) ([]LogFile, error) {
	var out []LogFile
	err := scanAll(ctx, s.db, s.q(`SELECT f.path, f.size, f.checksum, f.kind, f.node, f.rows_read, f.warnings, f.imported_at, f.ident
		FROM log_files f JOIN sites s ON s.id = f.site_id WHERE s.name = ? ORDER BY f.path`), []any{site}, func(r *sql.Rows) error {
		var f LogFile
		var at int64
		if err := r.Scan(&f.Path, &f.Size, &f.Checksum, &f.Kind, &f.Node, &f.Rows, &f.Warnings, &at, &f.Ident); err != nil {
			return err
		}
		f.ImportedAt = time.Unix(at, 0).UTC()
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list imported log files of %s: %w", site, err)
	}
	return out, nil
}

func (s *sqlStore) LogStreams(ctx context.Context, site string) ([]LogStream, error) {
	var out []LogStream
	err := scanAll(ctx, s.db, s.q(`SELECT l.ident, l.consumed, l.tail, l.rows_read
		FROM log_streams l JOIN sites s ON s.id = l.site_id WHERE s.name = ? ORDER BY l.ident`), []any{site}, func(r *sql.Rows) error {
		var x LogStream
		if err := r.Scan(&x.Ident, &x.Consumed, &x.Tail, &x.Rows); err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list log streams of %s: %w", site, err)
	}
	return out, nil
}

func (s *sqlStore) SaveLogBatch(ctx context.Context, site string, b *LogBatch) error {
	if b.Len() == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save logs: %w", err)
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, site, time.Now(), true)
	if err != nil {
		return err
	}
	// The streams first: a batch whose rows another import saved since
	// this one looked is refused before anything is added.
	for _, x := range b.Streams {
		var n int64
		if x.From > 0 {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE log_streams SET consumed = ?, tail = ?, rows_read = rows_read + ?
				WHERE site_id = ? AND ident = ? AND consumed = ?`), x.Consumed, x.Tail, x.Rows, siteID, x.Ident, x.From)
			if err != nil {
				return fmt.Errorf("save logs of %s: %w", site, err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("save logs of %s: %w", site, err)
			}
		}
		if n == 0 {
			// A new stream; or, From > 0, a file recorded before streams
			// (schema 6) whose rows up to From were counted then.
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO log_streams (site_id, ident, consumed, tail, rows_read) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (site_id, ident) DO NOTHING`), siteID, x.Ident, x.Consumed, x.Tail, x.Rows)
			if err != nil {
				return fmt.Errorf("save logs of %s: %w", site, err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("save logs of %s: %w", site, err)
			}
		}
		if n != 1 {
			return fmt.Errorf("save logs of %s: stream %s: %w", site, x.Ident, ErrLogStreamMoved)
		}
	}
	mergeLogBatch(b)
	if err := s.saveLogRows(ctx, tx, siteID, b); err != nil {
		return fmt.Errorf("save logs of %s: %w", site, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save logs: %w", err)
	}
	return nil
}

func (s *sqlStore) saveLogRows(ctx context.Context, tx *sql.Tx, siteID int64, b *LogBatch) error {
	// A day's type is that of its latest use naming one.
	if err := s.insertN(ctx, tx, "log_user_days", []string{"site_id", "user_name", "day", "sessions", "engine_sessions", "type", "type_at"}, len(b.UserDays),
		func(i int, dst []any) []any {
			x := b.UserDays[i]
			at := int64(0)
			if x.Type != "" {
				at = x.TypeAt.Unix()
			}
			return append(dst, siteID, x.User, dayText(x.Day), x.Sessions, x.EngineSessions, string(x.Type), at)
		}, `ON CONFLICT (site_id, user_name, day) DO UPDATE SET sessions = log_user_days.sessions + excluded.sessions,
			engine_sessions = log_user_days.engine_sessions + excluded.engine_sessions,
			type = CASE WHEN excluded.type <> '' AND excluded.type_at >= log_user_days.type_at THEN excluded.type ELSE log_user_days.type END,
			type_at = CASE WHEN excluded.type <> '' AND excluded.type_at >= log_user_days.type_at THEN excluded.type_at ELSE log_user_days.type_at END`); err != nil {
		return err
	}
	if err := s.insertN(ctx, tx, "log_denial_days", []string{"site_id", "day", "type", "user_name", "session_limit", "denials"}, len(b.DenialDays),
		func(i int, dst []any) []any {
			x := b.DenialDays[i]
			return append(dst, siteID, dayText(x.Day), string(x.Type), x.User, x.SessionLimit, x.Denials)
		}, `ON CONFLICT (site_id, day, type, user_name, session_limit) DO UPDATE SET denials = log_denial_days.denials + excluded.denials`); err != nil {
		return err
	}
	if err := s.insertN(ctx, tx, "log_license_commands", []string{"site_id", "key", "at", "command", "result", "user", "message", "node"}, len(b.Commands),
		func(i int, dst []any) []any {
			x := b.Commands[i]
			return append(dst, siteID, logKey(x.ID), x.At.Unix(), x.Command, x.Result, x.User, x.Message, x.Node)
		}, `ON CONFLICT (site_id, key) DO NOTHING`); err != nil {
		return err
	}
	if err := s.insertN(ctx, tx, "log_task_runs", []string{"site_id", "key", "task_id", "task", "app_id", "app", "start", "stop", "status", "result", "message", "node"}, len(b.Tasks),
		func(i int, dst []any) []any {
			x := b.Tasks[i]
			return append(dst, siteID, logKey(x.ID), x.TaskID, x.Task, x.AppID, x.App, nullTime(x.Start), x.End.Unix(), x.Status, x.Result, x.Message, x.Node)
		}, `ON CONFLICT (site_id, key) DO UPDATE SET start = COALESCE(log_task_runs.start, excluded.start)`); err != nil {
		return err
	}
	if err := s.insertN(ctx, tx, "log_reloads", []string{"site_id", "file", "app_id", "start", "stop", "outcome", "code", "title", "hint", "error"}, len(b.Reloads),
		func(i int, dst []any) []any {
			x := b.Reloads[i]
			return append(dst, siteID, x.File, x.AppID, nullTime(x.Start), nullTime(x.End), x.Outcome, x.Code, x.Title, x.Hint, x.Err)
		}, `ON CONFLICT (site_id, file) DO UPDATE SET app_id = excluded.app_id, start = excluded.start, stop = excluded.stop,
			outcome = excluded.outcome, code = excluded.code, title = excluded.title, hint = excluded.hint, error = excluded.error`); err != nil {
		return err
	}
	days := pendingDays(b)
	if err := s.insertN(ctx, tx, "log_pending_days", []string{"site_id", "day"}, len(days),
		func(i int, dst []any) []any { return append(dst, siteID, days[i]) }, `ON CONFLICT (site_id, day) DO NOTHING`); err != nil {
		return err
	}
	return s.insertN(ctx, tx, "log_files", []string{"site_id", "path", "size", "checksum", "kind", "node", "rows_read", "warnings", "imported_at", "ident"}, len(b.Files),
		func(i int, dst []any) []any {
			x := b.Files[i]
			return append(dst, siteID, x.Path, x.Size, x.Checksum, x.Kind, x.Node, x.Rows, x.Warnings, x.ImportedAt.Unix(), x.Ident)
		}, `ON CONFLICT (site_id, path) DO UPDATE SET size = excluded.size, checksum = excluded.checksum, kind = excluded.kind,
			node = excluded.node, rows_read = excluded.rows_read, warnings = excluded.warnings, imported_at = excluded.imported_at, ident = excluded.ident`)
}

// pendingDays lists the days whose daily figures the batch changes: those
// of its sessions, denials and uses, sorted. (A use also sets the type of
// the user's days around it that have none; those are refreshed when an
// import touches them.)
func pendingDays(b *LogBatch) []string {
	set := map[string]bool{}
	for _, x := range b.UserDays {
		set[dayText(x.Day)] = true
	}
	for _, x := range b.DenialDays {
		set[dayText(x.Day)] = true
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func (s *sqlStore) LogPendingDays(ctx context.Context, site string) (from, to time.Time, err error) {
	var f, t sql.NullString
	row := s.db.QueryRowContext(ctx, s.q(`SELECT MIN(p.day), MAX(p.day) FROM log_pending_days p JOIN sites s ON s.id = p.site_id WHERE s.name = ?`), site)
	if err := row.Scan(&f, &t); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("read pending log days of %s: %w", site, err)
	}
	if !f.Valid {
		return time.Time{}, time.Time{}, nil
	}
	if from, err = time.Parse(time.DateOnly, f.String); err == nil {
		to, err = time.Parse(time.DateOnly, t.String)
	}
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("read pending log days of %s: %w", site, err)
	}
	return from, to, nil
}

func (s *sqlStore) RefreshLogDays(ctx context.Context, site string, from, to time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("refresh log days: %w", err)
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, site, from, false)
	if err != nil {
		return err
	}
	f, t := dayText(from), dayText(to)
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM log_active_daily WHERE site_id = ? AND day >= ? AND day <= ?`), siteID, f, t); err != nil {
		return fmt.Errorf("refresh log days of %s: %w", site, err)
	}
	// A user's type on a day is that of their latest use on or before it,
	// else of their first later use (a user seen before any usage row). The
	// day's sessions are the proxy's, or the engine's where the proxy logs
	// show none; a day with a use and no session is no activity.
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO log_active_daily (site_id, day, type, users, sessions)
		SELECT ?, day, typ, COUNT(*), SUM(n) FROM (
			SELECT d.day AS day, CASE WHEN d.sessions > 0 THEN d.sessions ELSE d.engine_sessions END AS n, COALESCE(
				(SELECT u.type FROM log_user_days u WHERE u.site_id = d.site_id AND u.user_name = d.user_name AND u.day <= d.day AND u.type <> ''
					ORDER BY u.day DESC LIMIT 1),
				(SELECT u.type FROM log_user_days u WHERE u.site_id = d.site_id AND u.user_name = d.user_name AND u.day > d.day AND u.type <> ''
					ORDER BY u.day LIMIT 1),
				'') AS typ
			FROM log_user_days d WHERE d.site_id = ? AND d.day >= ? AND d.day <= ? AND (d.sessions > 0 OR d.engine_sessions > 0)
		) x GROUP BY day, typ`), siteID, siteID, f, t); err != nil {
		return fmt.Errorf("refresh log days of %s: %w", site, err)
	}
	var days []license.DenialDay
	err = scanAll(ctx, tx, s.q(`SELECT day, type, SUM(denials), COUNT(DISTINCT NULLIF(LOWER(user_name), '')) FROM log_denial_days
		WHERE site_id = ? AND day >= ? AND day <= ? AND type <> '' GROUP BY day, type ORDER BY day, type`),
		[]any{siteID, f, t}, func(r *sql.Rows) error {
			var d license.DenialDay
			var day, typ string
			if err := r.Scan(&day, &typ, &d.Denials, &d.Users); err != nil {
				return err
			}
			tm, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return err
			}
			d.Day, d.Type, d.Source, d.UsersKnown = tm, license.Type(typ), license.DenialsFromLogs, true
			days = append(days, d)
			return nil
		})
	if err != nil {
		return fmt.Errorf("refresh log denials of %s: %w", site, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("refresh log days: %w", err)
	}
	// Keep only types licmon knows; a future Qlik kind is left in log_denial_days.
	known := days[:0]
	for _, d := range days {
		if d.Type.Valid() {
			known = append(known, d)
		}
	}
	if err := s.SaveDenials(ctx, site, license.DenialsFromLogs, known); err != nil {
		return err
	}
	// Cleared last: a crash before this leaves the days pending, and the
	// next import recomputes them.
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM log_pending_days WHERE site_id = ? AND day >= ? AND day <= ?`), siteID, f, t); err != nil {
		return fmt.Errorf("refresh log days of %s: %w", site, err)
	}
	return nil
}

func (s *sqlStore) LogActivity(ctx context.Context, site string, from, to time.Time) ([]LogActiveDay, error) {
	var out []LogActiveDay
	err := scanAll(ctx, s.db, s.q(`SELECT a.day, a.type, a.users, a.sessions FROM log_active_daily a JOIN sites s ON s.id = a.site_id
		WHERE s.name = ? AND a.day >= ? AND a.day <= ? ORDER BY a.day, a.type`), []any{site, dayText(from), dayText(to)},
		func(r *sql.Rows) error {
			var d LogActiveDay
			var day, typ string
			if err := r.Scan(&day, &typ, &d.Users, &d.Sessions); err != nil {
				return err
			}
			t, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return err
			}
			d.Day, d.Type = t, license.Type(typ)
			out = append(out, d)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read log activity of %s: %w", site, err)
	}
	return out, nil
}

func (s *sqlStore) LogSummary(ctx context.Context, site string) (*LogSummary, error) {
	siteID, err := s.siteID(ctx, s.db, site, time.Time{}, false)
	if err != nil {
		return nil, err
	}
	sum := &LogSummary{Denials: map[license.Type]int64{}}
	var from, to sql.NullString
	var sfrom, sto sql.NullString
	// Rows: those counted in streams, and those of files recorded before
	// streams existed (schema 6).
	row := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN ident = '' THEN rows_read ELSE 0 END), 0) +
		COALESCE((SELECT SUM(rows_read) FROM log_streams WHERE site_id = ?), 0), COALESCE(SUM(warnings), 0) FROM log_files WHERE site_id = ?`), siteID, siteID)
	if err := row.Scan(&sum.Files, &sum.Rows, &sum.Warnings); err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	row = s.db.QueryRowContext(ctx, s.q(`SELECT MIN(day), MAX(day), COALESCE(SUM(CASE WHEN sessions > 0 THEN sessions ELSE engine_sessions END), 0),
		COUNT(DISTINCT LOWER(user_name)) FROM log_user_days WHERE site_id = ? AND (sessions > 0 OR engine_sessions > 0)`), siteID)
	if err := row.Scan(&sfrom, &sto, &sum.Sessions, &sum.Users); err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	row = s.db.QueryRowContext(ctx, s.q(`SELECT MIN(day), MAX(day), COUNT(DISTINCT NULLIF(LOWER(user_name), '')),
		COALESCE(SUM(CASE WHEN session_limit <> 0 THEN denials ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN type = '' AND session_limit = 0 THEN denials ELSE 0 END), 0)
		FROM log_denial_days WHERE site_id = ?`), siteID)
	if err := row.Scan(&from, &to, &sum.DenialUsers, &sum.SessionLimitDenials, &sum.UntypedDenials); err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	var tfrom, tto, rfrom, rto sql.NullInt64
	row = s.db.QueryRowContext(ctx, s.q(`SELECT (SELECT MIN(stop) FROM log_task_runs WHERE site_id = ?), (SELECT MAX(stop) FROM log_task_runs WHERE site_id = ?),
		(SELECT MIN(start) FROM log_reloads WHERE site_id = ?), (SELECT MAX(start) FROM log_reloads WHERE site_id = ?)`), siteID, siteID, siteID, siteID)
	if err := row.Scan(&tfrom, &tto, &rfrom, &rto); err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	days := func(a, b sql.NullInt64) [2]sql.NullString {
		var out [2]sql.NullString
		for i, v := range []sql.NullInt64{a, b} {
			if v.Valid {
				out[i] = sql.NullString{String: dayText(time.Unix(v.Int64, 0)), Valid: true}
			}
		}
		return out
	}
	for _, r := range [][2]sql.NullString{{sfrom, sto}, {from, to}, days(tfrom, tto), days(rfrom, rto)} {
		if f, err := time.Parse(time.DateOnly, r[0].String); err == nil && (sum.From.IsZero() || f.Before(sum.From)) {
			sum.From = f
		}
		if t, err := time.Parse(time.DateOnly, r[1].String); err == nil && t.After(sum.To) {
			sum.To = t
		}
	}
	err = scanAll(ctx, s.db, s.q(`SELECT type, SUM(denials) FROM log_denial_days WHERE site_id = ? AND type <> '' GROUP BY type`), []any{siteID},
		func(r *sql.Rows) error {
			var typ string
			var n int64
			if err := r.Scan(&typ, &n); err != nil {
				return err
			}
			sum.Denials[license.Type(typ)] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	err = scanAll(ctx, s.db, s.q(`SELECT DISTINCT node FROM log_files WHERE site_id = ? AND node <> '' ORDER BY node`), []any{siteID},
		func(r *sql.Rows) error {
			var n string
			if err := r.Scan(&n); err != nil {
				return err
			}
			sum.Nodes = append(sum.Nodes, n)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	row = s.db.QueryRowContext(ctx, s.q(`SELECT (SELECT COUNT(*) FROM log_license_commands WHERE site_id = ?),
		(SELECT COUNT(*) FROM log_task_runs WHERE site_id = ?),
		(SELECT COUNT(*) FROM log_task_runs WHERE site_id = ? AND status <> 'FinishedSuccess'),
		(SELECT COUNT(*) FROM log_reloads WHERE site_id = ?),
		(SELECT COUNT(*) FROM log_reloads WHERE site_id = ? AND outcome <> 'success')`), siteID, siteID, siteID, siteID, siteID)
	if err := row.Scan(&sum.LicenseCommands, &sum.TaskRuns, &sum.FailedTaskRuns, &sum.Reloads, &sum.FailedReloads); err != nil {
		return nil, fmt.Errorf("log summary of %s: %w", site, err)
	}
	return sum, nil
}

func (s *sqlStore) LogReloads(ctx context.Context, site string, failedOnly bool, limit int) ([]LogReload, error) {
	if limit <= 0 {
		limit = 50
	}
	cond := ""
	if failedOnly {
		cond = " AND r.outcome <> 'success'"
	}
	var out []LogReload
	err := scanAll(ctx, s.db, s.q(`SELECT r.file, r.app_id, COALESCE((SELECT t.app FROM log_task_runs t WHERE t.site_id = r.site_id AND t.app_id = r.app_id AND t.app <> '' LIMIT 1), ''),
		r.start, r.stop, r.outcome, r.code, r.title, r.hint, r.error
		FROM log_reloads r JOIN sites s ON s.id = r.site_id WHERE s.name = ?`+cond+` ORDER BY r.start DESC, r.file LIMIT ?`), []any{site, limit},
		func(r *sql.Rows) error {
			var x LogReload
			var start, stop sql.NullInt64
			if err := r.Scan(&x.File, &x.AppID, &x.App, &start, &stop, &x.Outcome, &x.Code, &x.Title, &x.Hint, &x.Err); err != nil {
				return err
			}
			x.Start, x.End = timeOf(start), timeOf(stop)
			out = append(out, x)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read reloads of %s: %w", site, err)
	}
	return out, nil
}

func (s *sqlStore) LogTaskRuns(ctx context.Context, site, app string, limit int) ([]LogTaskRun, error) {
	if limit <= 0 {
		limit = 50
	}
	args := []any{site}
	cond := ""
	if app != "" {
		cond = " AND LOWER(t.app) = ?"
		args = append(args, strings.ToLower(app))
	}
	args = append(args, limit)
	var out []LogTaskRun
	appIDs := map[string]bool{}
	err := scanAll(ctx, s.db, s.q(`SELECT t.task_id, t.task, t.app_id, t.app, t.start, t.stop, t.status, t.result, t.message, t.node
		FROM log_task_runs t JOIN sites s ON s.id = t.site_id WHERE s.name = ?`+cond+` ORDER BY t.stop DESC LIMIT ?`), args,
		func(r *sql.Rows) error {
			var x LogTaskRun
			var start sql.NullInt64
			var stop int64
			if err := r.Scan(&x.TaskID, &x.Task, &x.AppID, &x.App, &start, &stop, &x.Status, &x.Result, &x.Message, &x.Node); err != nil {
				return err
			}
			x.Start, x.End = timeOf(start), time.Unix(stop, 0).UTC()
			if x.AppID != "" {
				appIDs[x.AppID] = true
			}
			out = append(out, x)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read task runs of %s: %w", site, err)
	}
	// Attach each run's script log: same app, started within the run (a
	// minute of slack for clocks and the file name's second precision).
	for id := range appIDs {
		var reloads []LogReload
		err := scanAll(ctx, s.db, s.q(`SELECT r.file, r.start, r.stop, r.outcome, r.code, r.title, r.hint, r.error FROM log_reloads r
			JOIN sites s ON s.id = r.site_id WHERE s.name = ? AND r.app_id = ? AND r.start IS NOT NULL ORDER BY r.start`), []any{site, id},
			func(r *sql.Rows) error {
				x := LogReload{AppID: id}
				var start, stop sql.NullInt64
				if err := r.Scan(&x.File, &start, &stop, &x.Outcome, &x.Code, &x.Title, &x.Hint, &x.Err); err != nil {
					return err
				}
				x.Start, x.End = timeOf(start), timeOf(stop)
				reloads = append(reloads, x)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("read reloads of %s: %w", site, err)
		}
		for i := range out {
			run := &out[i]
			if run.AppID != id {
				continue
			}
			lo := run.End.Add(-24 * time.Hour)
			if !run.Start.IsZero() {
				lo = run.Start.Add(-time.Minute)
			}
			hi := run.End.Add(time.Minute)
			j := sort.Search(len(reloads), func(k int) bool { return !reloads[k].Start.Before(lo) })
			var best *LogReload
			for ; j < len(reloads) && !reloads[j].Start.After(hi); j++ {
				best = &reloads[j] // the latest log that started within the run
			}
			if best != nil {
				rl := *best
				rl.App = run.App
				run.Reload = &rl
			}
		}
	}
	return out, nil
}

// Key identifies the file record (its path).
func (f LogFile) Key() string { return f.Path }

// mergeLogBatch orders the rows of each table by key, so one batch's
// inserts walk each B-tree once from left to right, and merges rows of the
// same key (one statement may not update a row twice in PostgreSQL).
func mergeLogBatch(b *LogBatch) {
	slices.SortFunc(b.UserDays, func(x, y LogUserDay) int {
		return cmp.Or(cmp.Compare(x.User, y.User), x.Day.Compare(y.Day))
	})
	b.UserDays = mergeSorted(b.UserDays, func(x, y LogUserDay) bool { return x.User == y.User && x.Day.Equal(y.Day) },
		func(into *LogUserDay, x LogUserDay) {
			into.Sessions += x.Sessions
			into.EngineSessions += x.EngineSessions
			if x.Type != "" && (into.Type == "" || !x.TypeAt.Before(into.TypeAt)) {
				into.Type, into.TypeAt = x.Type, x.TypeAt
			}
		})
	slices.SortFunc(b.DenialDays, func(x, y LogDenialDay) int {
		return cmp.Or(x.Day.Compare(y.Day), cmp.Compare(x.Type, y.Type), cmp.Compare(x.User, y.User), cmp.Compare(boolInt(x.SessionLimit), boolInt(y.SessionLimit)))
	})
	b.DenialDays = mergeSorted(b.DenialDays, func(x, y LogDenialDay) bool {
		return x.Day.Equal(y.Day) && x.Type == y.Type && x.User == y.User && x.SessionLimit == y.SessionLimit
	}, func(into *LogDenialDay, x LogDenialDay) { into.Denials += x.Denials })
	sortByKey(b.Commands, func(x LogCommand) string { return x.ID })
	sortByKey(b.Tasks, func(x LogTaskRun) string { return x.ID })
	b.Commands = mergeSorted(b.Commands, func(x, y LogCommand) bool { return x.ID == y.ID }, func(*LogCommand, LogCommand) {})
	b.Tasks = mergeSorted(b.Tasks, func(x, y LogTaskRun) bool { return x.ID == y.ID }, func(into *LogTaskRun, x LogTaskRun) {
		if into.Start.IsZero() {
			into.Start = x.Start
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mergeSorted folds adjacent rows that are the same key into the first.
func mergeSorted[T any](rows []T, same func(a, b T) bool, fold func(into *T, x T)) []T {
	if len(rows) < 2 {
		return rows
	}
	out := rows[:1]
	for _, x := range rows[1:] {
		if last := &out[len(out)-1]; same(*last, x) {
			fold(last, x)
			continue
		}
		out = append(out, x)
	}
	return out
}

// sortByKey sorts rows by the logKey of their identity, hashing each row
// once rather than at every comparison (the hash was a tenth of an
// import's CPU).
func sortByKey[T any](rows []T, id func(T) string) {
	if len(rows) < 2 {
		return
	}
	type keyed struct {
		k int64
		i int32
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		ks[i] = keyed{logKey(id(r)), int32(i)}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(a.k, b.k) })
	sorted := make([]T, len(rows))
	for i, k := range ks {
		sorted[i] = rows[k.i]
	}
	copy(rows, sorted)
}
