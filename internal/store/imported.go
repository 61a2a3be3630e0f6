package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// ImportOptions tune ImportHistory.
type ImportOptions struct {
	// DryRun computes the result and writes nothing.
	DryRun bool
	// Now is recorded as the import's time (zero: time.Now).
	Now time.Time
}

// ImportResult says what ImportHistory did, or with DryRun would do, with
// the rows it was given. Every row is counted once: New, Changed,
// Unchanged, Measured or a Conflict.
type ImportResult struct {
	// SiteCreated is true when the site had no history before.
	SiteCreated bool
	// New rows were stored for a day and type that had no imported value;
	// Changed rows replaced an earlier import's values; Unchanged rows were
	// stored already with the same values.
	New, Changed, Unchanged int
	// Measured rows have the values of the site's measured collection of
	// that day: the collection stands and nothing is stored but the row's
	// denied count.
	Measured int
	// Conflicts are rows that contradict the measured collection of their
	// day: they are not stored (not even their denied count).
	Conflicts []ImportConflict
	// DenialsWritten counts the denied counts stored new or changed.
	DenialsWritten int
	// First and Last are the first and last day of the rows that are not
	// conflicts (zero when there are none).
	First, Last time.Time
}

// ImportConflict is an imported row that contradicts a measured collection.
type ImportConflict struct {
	Measured, Imported license.HistoryDay
	// Columns names what differs: licensed, allocated, used, quarantined.
	Columns []string
}

type dayKey struct {
	day string
	typ license.Type
}

func (s *sqlStore) ImportHistory(ctx context.Context, site string, days []license.HistoryDay, opts ImportOptions) (*ImportResult, error) {
	res := &ImportResult{}
	if len(days) == 0 {
		return res, nil
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	wrap := func(err error) error { return fmt.Errorf("import history of %s: %w", site, err) }
	lo, hi := license.Day(days[0].Day), license.Day(days[0].Day)
	seen := make(map[dayKey]bool, len(days))
	for _, d := range days {
		day := license.Day(d.Day)
		k := dayKey{day.Format(time.DateOnly), d.Type}
		switch {
		case !d.Type.Valid():
			return nil, wrap(fmt.Errorf("unknown type %q", d.Type))
		case d.Licensed < 0 || d.Allocated < 0 || d.Used < 0 || d.Quarantined < 0 || d.Denied < 0:
			return nil, wrap(fmt.Errorf("negative count for %s on %s", d.Type, k.day))
		case seen[k]:
			return nil, wrap(fmt.Errorf("%s on %s twice", d.Type, k.day))
		}
		seen[k] = true
		lo, hi = minTime(lo, day), maxTime(hi, day)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap(err)
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, site, opts.Now, false)
	if errors.Is(err, ErrUnknownSite) {
		siteID, err = s.siteID(ctx, tx, site, opts.Now, true)
		res.SiteCreated = true
	}
	if err != nil {
		return nil, err
	}
	measured, err := s.measuredDays(ctx, tx, siteID, lo, hi)
	if err != nil {
		return nil, wrap(err)
	}
	stored, err := s.importedDays(ctx, tx, siteID, lo, hi)
	if err != nil {
		return nil, wrap(err)
	}
	denied := map[dayKey]int64{}
	err = scanAll(ctx, tx, s.q(`SELECT day, type, denials FROM denials_daily WHERE site_id = ? AND source = ? AND day >= ? AND day <= ?`),
		[]any{siteID, license.DenialsFromImport, lo.Format(time.DateOnly), hi.Format(time.DateOnly)}, func(r *sql.Rows) error {
			var k dayKey
			var n int64
			if err := r.Scan(&k.day, &k.typ, &n); err != nil {
				return err
			}
			denied[k] = n
			return nil
		})
	if err != nil {
		return nil, wrap(err)
	}

	var rows [][]any
	var denials []license.DenialDay
	for _, d := range days {
		d.Day = license.Day(d.Day)
		k := dayKey{d.Day.Format(time.DateOnly), d.Type}
		if m, ok := measured[k]; ok {
			if cols := differs(m, d); len(cols) > 0 {
				res.Conflicts = append(res.Conflicts, ImportConflict{Measured: m, Imported: d, Columns: cols})
				continue
			}
			res.Measured++
		} else {
			old, had := stored[k]
			switch {
			case !had:
				res.New++
			case sameCounts(old, d) && (!d.DeniedKnown || denied[k] == d.Denied):
				res.Unchanged++
			default:
				res.Changed++
			}
			if !had || !sameCounts(old, d) {
				rows = append(rows, []any{siteID, string(d.Type), k.day, d.Licensed, d.Allocated,
					nullable(sql.NullInt64{Int64: d.Used, Valid: d.UsedKnown}), nullable(sql.NullInt64{Int64: d.Quarantined, Valid: d.QuarantinedKnown}), opts.Now.Unix()})
			}
		}
		if res.First.IsZero() || d.Day.Before(res.First) {
			res.First = d.Day
		}
		res.Last = maxTime(res.Last, d.Day)
		if n, ok := denied[k]; d.DeniedKnown && (!ok || n != d.Denied) {
			denials = append(denials, license.DenialDay{Day: d.Day, Type: d.Type, Source: license.DenialsFromImport, Denials: d.Denied})
		}
	}
	sort.Slice(res.Conflicts, func(i, j int) bool {
		a, b := res.Conflicts[i].Imported, res.Conflicts[j].Imported
		if !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		return typeRank(a.Type) < typeRank(b.Type)
	})
	res.DenialsWritten = len(denials)
	if opts.DryRun {
		return res, nil // the deferred rollback also forgets a new site
	}
	if err := s.insertRows(ctx, tx, "imported_daily", []string{"site_id", "type", "day", "licensed", "allocated", "used",
		"quarantined", "imported_at"}, rows,
		`ON CONFLICT (site_id, type, day) DO UPDATE SET licensed = excluded.licensed, allocated = excluded.allocated,
		used = excluded.used, quarantined = excluded.quarantined, imported_at = excluded.imported_at`); err != nil {
		return nil, wrap(err)
	}
	if len(denials) > 0 {
		dr, err := denialRows(license.DenialsFromImport, denials)
		if err != nil {
			return nil, wrap(err)
		}
		if err := s.writeDenials(ctx, tx, siteID, dr); err != nil {
			return nil, wrap(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, wrap(err)
	}
	return res, nil
}

// differs names the columns where an imported row contradicts a measured
// day; an optional column the row leaves empty contradicts nothing.
func differs(m, d license.HistoryDay) []string {
	var out []string
	if m.Licensed != d.Licensed {
		out = append(out, "licensed")
	}
	if m.Allocated != d.Allocated {
		out = append(out, "allocated")
	}
	if m.UsedKnown && d.UsedKnown && m.Used != d.Used {
		out = append(out, "used")
	}
	if m.QuarantinedKnown && d.QuarantinedKnown && m.Quarantined != d.Quarantined {
		out = append(out, "quarantined")
	}
	return out
}

// sameCounts compares the counters an import stores (not denied, which is
// kept with the other denial sources).
func sameCounts(a, b license.HistoryDay) bool {
	return a.Licensed == b.Licensed && a.Allocated == b.Allocated && a.UsedKnown == b.UsedKnown && a.Used == b.Used &&
		a.QuarantinedKnown == b.QuarantinedKnown && a.Quarantined == b.Quarantined
}

func typeRank(t license.Type) int {
	for i, k := range license.Types() {
		if k == t {
			return i
		}
	}
	return len(license.Types())
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// measuredDays returns the last collection of each day in [lo, hi] per
// type, in the report's terms.
func (s *sqlStore) measuredDays(ctx context.Context, q queryer, siteID int64, lo, hi time.Time) (map[dayKey]license.HistoryDay, error) {
	out := map[dayKey]license.HistoryDay{}
	err := scanAll(ctx, q, s.q(`SELECT c.day, n.type, n.allocated, n.used, n.total, n.quarantined, n.excess, n.available
		FROM collections c JOIN counters n ON n.collection_id = c.id
		WHERE c.site_id = ? AND c.at >= ? AND c.at < ? ORDER BY c.at`),
		[]any{siteID, lo.Unix(), hi.AddDate(0, 0, 1).Unix()}, func(r *sql.Rows) error {
			var p license.DailyCounters
			var day string
			if err := r.Scan(&day, &p.Type, &p.Allocated, &p.Used, &p.Total, &p.Quarantined, &p.Excess, &p.Available); err != nil {
				return err
			}
			d, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return err
			}
			p.Day = d
			out[dayKey{day, p.Type}] = license.HistoryDayOf(p) // rows come by time: the day's last wins
			return nil
		})
	return out, err
}

// importedDays returns the site's imported rows in [lo, hi].
func (s *sqlStore) importedDays(ctx context.Context, q queryer, siteID int64, lo, hi time.Time) (map[dayKey]license.HistoryDay, error) {
	out := map[dayKey]license.HistoryDay{}
	err := s.scanImported(ctx, q, siteID, "", lo, hi, func(h license.HistoryDay) {
		out[dayKey{h.Day.Format(time.DateOnly), h.Type}] = h
	})
	return out, err
}

// scanImported reads imported rows of a site in [lo, hi], of one type
// unless typ is "", ordered by day.
func (s *sqlStore) scanImported(ctx context.Context, q queryer, siteID int64, typ license.Type, lo, hi time.Time, fn func(license.HistoryDay)) error {
	query := `SELECT day, type, licensed, allocated, used, quarantined FROM imported_daily WHERE site_id = ? AND day >= ? AND day <= ?`
	args := []any{siteID, license.Day(lo).Format(time.DateOnly), license.Day(hi).Format(time.DateOnly)}
	if typ != "" {
		query += " AND type = ?"
		args = append(args, string(typ))
	}
	return scanAll(ctx, q, s.q(query+" ORDER BY day"), args, func(r *sql.Rows) error {
		var h license.HistoryDay
		var day string
		var used, quar sql.NullInt64
		if err := r.Scan(&day, &h.Type, &h.Licensed, &h.Allocated, &used, &quar); err != nil {
			return err
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return err
		}
		h.Day = d
		h.Used, h.UsedKnown = used.Int64, used.Valid
		h.Quarantined, h.QuarantinedKnown = quar.Int64, quar.Valid
		fn(h)
		return nil
	})
}

func (s *sqlStore) ImportedHistory(ctx context.Context, site string, from, to time.Time) ([]license.HistoryDay, error) {
	siteID, err := s.siteID(ctx, s.db, site, from, false)
	if err != nil {
		return nil, err
	}
	var out []license.HistoryDay
	err = s.scanImported(ctx, s.db, siteID, "", from, to, func(h license.HistoryDay) { out = append(out, h) })
	if err != nil {
		return nil, fmt.Errorf("read imported history of %s: %w", site, err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Day.Before(out[j].Day) || out[i].Day.Equal(out[j].Day) && typeRank(out[i].Type) < typeRank(out[j].Type)
	})
	return out, nil
}

func (s *sqlStore) ImportedRange(ctx context.Context, site string) (first, last time.Time, err error) {
	siteID, err := s.siteID(ctx, s.db, site, time.Time{}, false)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	var lo, hi sql.NullString
	if err := s.db.QueryRowContext(ctx, s.q("SELECT MIN(day), MAX(day) FROM imported_daily WHERE site_id = ?"), siteID).Scan(&lo, &hi); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("read imported range of %s: %w", site, err)
	}
	if lo.Valid {
		first, _ = time.Parse(time.DateOnly, lo.String)
		last, _ = time.Parse(time.DateOnly, hi.String)
	}
	return first, last, nil
}
