package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// denialSources are the sources SaveDenials accepts: a typo would otherwise
// create a fourth source that no report reads.
var denialSources = map[string]bool{
	license.DenialsFromLogs:   true,
	license.DenialsFromImport: true,
	license.DenialsEstimated:  true,
}

func (s *sqlStore) SaveDenials(ctx context.Context, site, source string, days []license.DenialDay) error {
	rows, err := denialRows(source, days)
	if err != nil || len(rows) == 0 {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save denials: %w", err)
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, site, license.Day(days[0].Day), true)
	if err != nil {
		return err
	}
	if err := s.writeDenials(ctx, tx, siteID, rows); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save denials: %w", err)
	}
	return nil
}

// denialRows validates days of one source and returns them as rows of
// denials_daily with the site left to writeDenials.
func denialRows(source string, days []license.DenialDay) ([][]any, error) {
	if !denialSources[source] {
		return nil, fmt.Errorf("save denials: unknown source %q (want %s, %s or %s)", source,
			license.DenialsFromLogs, license.DenialsFromImport, license.DenialsEstimated)
	}
	rows := make([][]any, 0, len(days))
	seen := make(map[string]bool, len(days))
	for _, d := range days {
		if !d.Type.Valid() {
			return nil, fmt.Errorf("save denials: unknown type %q", d.Type)
		}
		if d.Denials < 0 || (d.UsersKnown && d.Users < 0) {
			return nil, fmt.Errorf("save denials: negative count for %s on %s", d.Type, license.Day(d.Day).Format(time.DateOnly))
		}
		day := license.Day(d.Day).Format(time.DateOnly)
		k := string(d.Type) + day
		if seen[k] {
			return nil, fmt.Errorf("save denials: %s on %s twice", d.Type, day)
		}
		seen[k] = true
		var users any
		if d.UsersKnown {
			users = d.Users
		}
		rows = append(rows, []any{nil, string(d.Type), day, source, d.Denials, users})
	}
	return rows, nil
}

// writeDenials stores rows of denialRows for a site within tx, replacing
// the same source's counts of the same type and day.
func (s *sqlStore) writeDenials(ctx context.Context, tx *sql.Tx, siteID int64, rows [][]any) error {
	for _, r := range rows {
		r[0] = siteID
	}
	if err := s.insertRows(ctx, tx, "denials_daily", []string{"site_id", "type", "day", "source", "denials", "users"}, rows,
		`ON CONFLICT (site_id, type, day, source) DO UPDATE SET denials = excluded.denials, users = excluded.users`); err != nil {
		return fmt.Errorf("save denials: %w", err)
	}
	return nil
}

func (s *sqlStore) Denials(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DenialDay, error) {
	siteID, err := s.siteID(ctx, s.db, site, from, false)
	if err != nil {
		return nil, err
	}
	var out []license.DenialDay
	err = scanAll(ctx, s.db, s.q(`SELECT day, source, denials, users FROM denials_daily
		WHERE site_id = ? AND type = ? AND day >= ? AND day <= ? ORDER BY day, source`),
		[]any{siteID, string(typ), license.Day(from).Format(time.DateOnly), license.Day(to).Format(time.DateOnly)},
		func(r *sql.Rows) error {
			d := license.DenialDay{Type: typ}
			var day string
			var users sql.NullInt64
			if err := r.Scan(&day, &d.Source, &d.Denials, &users); err != nil {
				return err
			}
			t, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return err
			}
			d.Day, d.Users, d.UsersKnown = t, users.Int64, users.Valid
			out = append(out, d)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read denials of %s: %w", site, err)
	}
	return out, nil
}
