package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/licmon/licmon/internal/license"
)

func (s *sqlStore) SaveReconstructed(ctx context.Context, site string, points []license.DailyCounters) error {
	if len(points) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save reconstructed history: %w", err)
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, site, points[0].Day, true)
	if err != nil {
		return err
	}
	if err := s.writeReconstructed(ctx, tx, siteID, points); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save reconstructed history: %w", err)
	}
	return nil
}

// writeReconstructed stores points in tx, replacing by site, type and day.
func (s *sqlStore) writeReconstructed(ctx context.Context, tx *sql.Tx, siteID int64, points []license.DailyCounters) error {
	rows := make([][]any, 0, len(points))
	seen := map[string]bool{}
	for _, p := range points {
		if !p.Type.Valid() {
			return fmt.Errorf("save reconstructed history: unknown type %q", p.Type)
		}
		day := license.Day(p.Day).Format(time.DateOnly)
		if k := string(p.Type) + day; seen[k] {
			return fmt.Errorf("save reconstructed history: %s on %s twice", p.Type, day)
		} else {
			seen[k] = true
		}
		rows = append(rows, []any{siteID, string(p.Type), day, p.Allocated, p.Used, p.Total, p.Quarantined, p.Excess, p.Available, p.Active})
	}
	if err := s.insertRows(ctx, tx, "reconstructed_daily", []string{"site_id", "type", "day", "allocated", "used", "total",
		"quarantined", "excess", "available", "active"}, rows,
		`ON CONFLICT (site_id, type, day) DO UPDATE SET allocated = excluded.allocated, used = excluded.used,
		total = excluded.total, quarantined = excluded.quarantined, excess = excluded.excess,
		available = excluded.available, active = excluded.active`); err != nil {
		return fmt.Errorf("save reconstructed history: %w", err)
	}
	return nil
}

func (s *sqlStore) DailyCounters(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DailyCounters, error) {
	out, err := s.CounterSeries(ctx, site, typ, from, to)
	if err != nil {
		return nil, err
	}
	var real []license.DailyCounters
	for i := range out {
		if !out[i].Reconstructed {
			real = out[i:]
			break
		}
	}
	if len(real) > 0 && typ.PerUser() {
		act, err := s.ActiveUsers(ctx, site, typ, real[0].Day, real[len(real)-1].Day, Day)
		if err != nil {
			return nil, err
		}
		byDay := make(map[time.Time]int64, len(act))
		for _, a := range act {
			byDay[a.Period] = a.Count
		}
		for i := range real {
			if !real[i].Imported { // an imported count names no users
				real[i].Active = byDay[real[i].Day]
			}
		}
	}
	return out, nil
}

func (s *sqlStore) CounterSeries(ctx context.Context, site string, typ license.Type, from, to time.Time) ([]license.DailyCounters, error) {
	siteID, err := s.siteID(ctx, s.db, site, from, false)
	if err != nil {
		return nil, err
	}
	from, to = license.Day(from), license.Day(to)
	wrap := func(err error) error { return fmt.Errorf("read daily counters of %s: %w", site, err) }

	var first sql.NullString
	if err := s.db.QueryRowContext(ctx, s.q("SELECT MIN(day) FROM collections WHERE site_id = ?"), siteID).Scan(&first); err != nil {
		return nil, wrap(err)
	}
	var out []license.DailyCounters
	recQ := `SELECT day, allocated, used, total, quarantined, excess, available, active FROM reconstructed_daily
		WHERE site_id = ? AND type = ? AND day >= ? AND day <= ?`
	recArgs := []any{siteID, string(typ), from.Format(time.DateOnly), to.Format(time.DateOnly)}
	if first.Valid {
		recQ += " AND day < ?"
		recArgs = append(recArgs, first.String)
	}
	err = scanAll(ctx, s.db, s.q(recQ+" ORDER BY day"), recArgs, func(r *sql.Rows) error {
		p := license.DailyCounters{Type: typ, Reconstructed: true}
		var day string
		if err := r.Scan(&day, &p.Allocated, &p.Used, &p.Total, &p.Quarantined, &p.Excess, &p.Available, &p.Active); err != nil {
			return err
		}
		var err error
		p.Day, err = time.Parse(time.DateOnly, day)
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}

	// Real points: the last collection of each day wins (rows come ordered
	// by time, so a later row of the same day overwrites).
	var real []license.DailyCounters
	err = scanAll(ctx, s.db, s.q(`SELECT c.day, n.allocated, n.used, n.total, n.quarantined, n.excess, n.available
		FROM collections c JOIN counters n ON n.collection_id = c.id
		WHERE c.site_id = ? AND n.type = ? AND c.at >= ? AND c.at < ? ORDER BY c.at`),
		[]any{siteID, string(typ), from.Unix(), to.AddDate(0, 0, 1).Unix()}, func(r *sql.Rows) error {
			var p license.DailyCounters
			var day string
			if err := r.Scan(&day, &p.Allocated, &p.Used, &p.Total, &p.Quarantined, &p.Excess, &p.Available); err != nil {
				return err
			}
			d, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return err
			}
			p.Day, p.Type = d, typ
			if n := len(real); n > 0 && real[n-1].Day.Equal(d) {
				real[n-1] = p
			} else {
				real = append(real, p)
			}
			return nil
		})
	if err != nil {
		return nil, wrap(err)
	}
	var imported []license.DailyCounters
	err = s.scanImported(ctx, s.db, siteID, typ, from, to, func(h license.HistoryDay) { imported = append(imported, h.Counters()) })
	if err != nil {
		return nil, wrap(err)
	}
	return mergeSeries(out, imported, real), nil
}

// mergeSeries orders one type's points by day, one per day, by precedence:
// measured, then imported, then reconstructed (each input is by day).
func mergeSeries(recon, imported, measured []license.DailyCounters) []license.DailyCounters {
	if len(imported) == 0 {
		return append(recon, measured...)
	}
	taken := make(map[time.Time]bool, len(measured)+len(imported))
	for _, p := range measured {
		taken[p.Day] = true
	}
	out := make([]license.DailyCounters, 0, len(recon)+len(imported)+len(measured))
	for _, p := range imported {
		if !taken[p.Day] {
			out = append(out, p)
			taken[p.Day] = true
		}
	}
	for _, p := range recon {
		if !taken[p.Day] {
			out = append(out, p)
		}
	}
	out = append(out, measured...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Day.Before(out[j].Day) })
	return out
}

func periodStart(t time.Time, g Granularity) time.Time {
	t = t.UTC()
	if g == Month {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return license.Day(t)
}

func nextPeriod(t time.Time, g Granularity) time.Time {
	if g == Month {
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

func (s *sqlStore) ActiveUsers(ctx context.Context, site string, typ license.Type, from, to time.Time, g Granularity) ([]ActivePoint, error) {
	if g != Day && g != Month {
		return nil, fmt.Errorf("active users: unknown granularity %d", g)
	}
	siteID, err := s.siteID(ctx, s.db, site, from, false)
	if err != nil {
		return nil, err
	}
	start, end := periodStart(from, g), nextPeriod(periodStart(to, g), g)
	if !start.Before(end) {
		return nil, nil
	}
	counts := map[time.Time]int64{}
	switch {
	case typ.PerUser():
		// Every distinct (user, lastUsed) ever stored is one known use.
		seen := map[struct {
			user int64
			p    time.Time
		}]bool{}
		err = scanAll(ctx, s.db, s.q(`SELECT DISTINCT v.user_key, v.last_used FROM allocation_versions v
			WHERE v.site_id = ? AND v.type = ? AND v.last_used >= ? AND v.last_used < ?`),
			[]any{siteID, string(typ), start.Unix(), end.Unix()}, func(r *sql.Rows) error {
				var u, lu int64
				if err := r.Scan(&u, &lu); err != nil {
					return err
				}
				p := periodStart(time.Unix(lu, 0), g)
				k := struct {
					user int64
					p    time.Time
				}{u, p}
				if !seen[k] {
					seen[k] = true
					counts[p]++
				}
				return nil
			})
	case typ == license.AnalyzerCapacity && g == Month:
		err = scanAll(ctx, s.db, s.q(`SELECT month, COUNT(*) FROM capacity_use WHERE site_id = ? AND minutes > 0
			AND month >= ? AND month < ? GROUP BY month`),
			[]any{siteID, license.MonthOf(start), license.MonthOf(end)}, func(r *sql.Rows) error {
				var m string
				var n int64
				if err := r.Scan(&m, &n); err != nil {
					return err
				}
				p, err := time.Parse("2006-01", m)
				counts[p] = n
				return err
			})
	default:
		return nil, fmt.Errorf("active users of %s: only monthly per-user data exists for analyzer capacity and none for login access", typ)
	}
	if err != nil {
		return nil, fmt.Errorf("active users of %s: %w", site, err)
	}
	var out []ActivePoint
	for p := start; p.Before(end); p = nextPeriod(p, g) {
		out = append(out, ActivePoint{Period: p, Count: counts[p]})
	}
	return out, nil
}
