package store

import (
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

func (s *sqlStore) Sites(ctx context.Context) ([]string, error) {
	var out []string
	err := scanAll(ctx, s.db, `SELECT s.name FROM sites s WHERE EXISTS (SELECT 1 FROM collections c WHERE c.site_id = s.id)
		OR EXISTS (SELECT 1 FROM reconstructed_daily r WHERE r.site_id = s.id)
		OR EXISTS (SELECT 1 FROM imported_daily i WHERE i.site_id = s.id) ORDER BY s.name`, nil, func(r *sql.Rows) error {
		var n string
		if err := r.Scan(&n); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return out, nil
}

func (s *sqlStore) LatestSnapshotTime(ctx context.Context, site string) (time.Time, error) {
	var at sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT MAX(c.at) FROM collections c JOIN sites s ON s.id = c.site_id WHERE s.name = ?`), site).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("latest collection of %s: %w", site, err)
	}
	return timeOf(at), nil
}

func (s *sqlStore) Collections(ctx context.Context, site string, from, to time.Time) ([]Collection, error) {
	var out []Collection
	err := scanAll(ctx, s.db, s.q(`SELECT c.id, c.at, c.users, c.allocations, c.changes FROM collections c
		JOIN sites s ON s.id = c.site_id WHERE s.name = ? AND c.at >= ? AND c.at <= ? ORDER BY c.at`),
		[]any{site, from.Unix(), to.Unix()}, func(r *sql.Rows) error {
			c := Collection{Site: site}
			var at int64
			if err := r.Scan(&c.ID, &at, &c.Users, &c.Allocations, &c.Changes); err != nil {
				return err
			}
			c.At = time.Unix(at, 0).UTC()
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list collections of %s: %w", site, err)
	}
	return out, nil
}

// collectionRef is the collection a read at a time rests on.
type collectionRef struct {
	siteID, id int64
	// latest tells whether it is the site's newest collection, which lets
	// reads use the current-state index.
	latest bool
	// users and allocations are its counts, the capacity hints of the
	// per-user reads (a 100k-row slice grown by appending copies itself
	// about twenty times).
	users, allocations int
}

// collectionAt resolves the last collection of site at or before at.
// ok is false when there is none.
func (s *sqlStore) collectionAt(ctx context.Context, site string, at time.Time) (ref collectionRef, ok bool, err error) {
	if ref.siteID, err = s.siteID(ctx, s.db, site, at, false); err != nil {
		return ref, false, err
	}
	var maxID int64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT c.id, c.users, c.allocations,
		(SELECT m.id FROM collections m WHERE m.site_id = c.site_id ORDER BY m.at DESC LIMIT 1)
		FROM collections c WHERE c.site_id = ? AND c.at <= ? ORDER BY c.at DESC LIMIT 1`),
		ref.siteID, at.Unix()).Scan(&ref.id, &ref.users, &ref.allocations, &maxID)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, false, nil
	}
	if err != nil {
		return ref, false, fmt.Errorf("find collection of %s at %s: %w", site, at.Format(time.RFC3339), err)
	}
	ref.latest = ref.id == maxID
	return ref, true, nil
}

// capHint bounds a stored count used as a slice capacity, so a damaged
// count cannot make a read allocate absurdly.
func capHint(n int) int { return min(max(n, 0), 1<<22) }

// versionsAt builds the query for the rows of a *_versions table (aliased
// v in sel) valid at collection cid, restricted by filter (with filterArgs)
// and ordered by the first result column. For the latest collection that is
// the current state; otherwise it is the current rows that started by cid
// plus the rows closed after cid, written as UNION ALL so each half is one
// range of the (site_id, valid_to) index.
func versionsAt(sel, filter string, filterArgs []any, latest bool, cid int64, order bool) (string, []any) {
	ord := ""
	if order {
		ord = " ORDER BY 1"
	}
	if latest {
		return sel + " WHERE " + filter + " AND v.valid_to IS NULL" + ord, filterArgs
	}
	q := sel + " WHERE " + filter + " AND v.valid_to IS NULL AND v.valid_from <= ?" +
		" UNION ALL " + sel + " WHERE " + filter + " AND v.valid_to > ? AND v.valid_from <= ?" + ord
	args := append(append([]any{}, filterArgs...), cid)
	args = append(append(args, filterArgs...), cid, cid)
	return q, args
}

func (s *sqlStore) CountersAt(ctx context.Context, site string, at time.Time) ([]license.Counters, error) {
	ref, ok, err := s.collectionAt(ctx, site, at)
	if err != nil || !ok {
		return nil, err
	}
	// Not wrapped: callers (the report) say whose counters they read.
	return s.countersOf(ctx, s.db, ref.id)
}

func (s *sqlStore) LicenseAt(ctx context.Context, site string, at time.Time) (*license.SiteLicense, error) {
	ref, ok, err := s.collectionAt(ctx, site, at)
	if err != nil || !ok {
		return nil, err
	}
	q, args := versionsAt(`SELECT model, product, name, organization, serial_tail, license_valid_to,
		expired, invalid, blacklisted, total_tokens, available_tokens FROM license_versions v`, "v.site_id = ?", []any{ref.siteID}, ref.latest, ref.id, false)
	l, err := s.scanLicense(ctx, s.db, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read license of %s: %w", site, err)
	}
	if l == nil {
		return nil, nil
	}
	return &license.SiteLicense{Model: l.Model, Product: int(l.Product), Name: l.Name, Organization: l.Organization,
		SerialTail: l.SerialTail, ValidTo: timeOf(l.ValidTo), Expired: l.Expired, Invalid: l.Invalid,
		Blacklisted: l.Blacklisted, TotalTokens: l.TotalTokens, AvailableTokens: l.AvailableTokens}, nil
}

func (s *sqlStore) AllocationsAt(ctx context.Context, site string, at time.Time) ([]license.Allocation, error) {
	ref, ok, err := s.collectionAt(ctx, site, at)
	if err != nil || !ok {
		return nil, err
	}
	q, args := versionsAt(`SELECT k.guid, v.type, u.guid, v.directory, v.user_id, v.created, v.last_used,
		v.quarantined, v.quarantine_end, v.excess, v.deleted_user
		FROM allocation_versions v JOIN allocation_keys k ON k.id = v.alloc_key JOIN user_keys u ON u.id = v.user_key`,
		"v.site_id = ?", []any{ref.siteID}, ref.latest, ref.id, false)
	out := make([]license.Allocation, 0, capHint(ref.allocations))
	// The scan targets live outside the per-row function: taken by address,
	// they would otherwise be allocated again for every row.
	var (
		a                       license.Allocation
		created, lastUsed, qEnd sql.NullInt64
	)
	dest := []any{&a.ID, &a.Type, &a.UserGUID, &a.Directory, &a.UserID, &created, &lastUsed,
		&a.Quarantined, &qEnd, &a.Excess, &a.DeletedUser}
	err = scanAll(ctx, s.db, s.q(q), args, func(r *sql.Rows) error {
		if err := r.Scan(dest...); err != nil {
			return err
		}
		a.Created, a.LastUsed, a.QuarantineEnd = timeOf(created), timeOf(lastUsed), timeOf(qEnd)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read allocations of %s: %w", site, err)
	}
	slices.SortFunc(out, func(a, b license.Allocation) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *sqlStore) UsersAt(ctx context.Context, site string, at time.Time) ([]license.User, error) {
	ref, ok, err := s.collectionAt(ctx, site, at)
	if err != nil || !ok {
		return nil, err
	}
	q, args := versionsAt(`SELECT k.guid, v.directory, v.user_id, v.name, v.created, v.inactive, v.blocked,
		v.removed_externally, v.tags, v.custom_properties, v.roles
		FROM user_versions v JOIN user_keys k ON k.id = v.user_key`, "v.site_id = ?", []any{ref.siteID}, ref.latest, ref.id, false)
	out := make([]license.User, 0, capHint(ref.users))
	var (
		u               license.User
		created         sql.NullInt64
		tags, cp, roles sql.NullString
	)
	dest := []any{&u.ID, &u.Directory, &u.UserID, &u.Name, &created, &u.Inactive, &u.Blocked,
		&u.RemovedExternally, &tags, &cp, &roles}
	err = scanAll(ctx, s.db, s.q(q), args, func(r *sql.Rows) error {
		if err := r.Scan(dest...); err != nil {
			return err
		}
		u.Created = timeOf(created)
		var err error
		if u.Tags, err = parseList(tags); err != nil {
			return err
		}
		if u.Roles, err = parseList(roles); err != nil {
			return err
		}
		if u.CustomProperties, err = parseMap(cp); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read users of %s: %w", site, err)
	}
	slices.SortFunc(out, func(a, b license.User) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *sqlStore) AuthoringAt(ctx context.Context, site string, at time.Time) ([]license.Authoring, error) {
	ref, ok, err := s.collectionAt(ctx, site, at)
	if err != nil || !ok {
		return nil, err
	}
	q, args := versionsAt(`SELECT k.guid, v.apps_owned, v.apps_published, v.objects_owned, v.objects_published,
		v.data_connections_owned, v.last_authored FROM authoring_versions v JOIN user_keys k ON k.id = v.user_key`,
		"v.site_id = ?", []any{ref.siteID}, ref.latest, ref.id, true)
	var out []license.Authoring
	var (
		a    license.Authoring
		last sql.NullInt64
	)
	dest := []any{&a.UserGUID, &a.AppsOwned, &a.AppsPublished, &a.ObjectsOwned, &a.ObjectsPublished,
		&a.DataConnectionsOwned, &last}
	err = scanAll(ctx, s.db, s.q(q), args, func(r *sql.Rows) error {
		if err := r.Scan(dest...); err != nil {
			return err
		}
		a.LastAuthored = timeOf(last)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read authoring of %s: %w", site, err)
	}
	return out, nil
}

func (s *sqlStore) UnusedAllocations(ctx context.Context, site string, at time.Time, idle time.Duration) ([]license.Allocation, error) {
	all, err := s.AllocationsAt(ctx, site, at)
	if err != nil {
		return nil, err
	}
	cutoff := at.Add(-idle)
	var out []license.Allocation
	for _, a := range all {
		if a.Quarantined {
			continue
		}
		if a.LastUsed.IsZero() || a.LastUsed.Before(cutoff) {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].LastUsed, out[j].LastUsed
		if a.IsZero() != b.IsZero() {
			return a.IsZero()
		}
		return a.Before(b)
	})
	return out, nil
}

func (s *sqlStore) CapacityUse(ctx context.Context, site, month string) ([]license.CapacityUse, error) {
	var out []license.CapacityUse
	err := scanAll(ctx, s.db, s.q(`SELECT k.guid, c.minutes FROM capacity_use c JOIN sites s ON s.id = c.site_id
		JOIN user_keys k ON k.id = c.user_key WHERE s.name = ? AND c.month = ? ORDER BY k.guid`),
		[]any{site, month}, func(r *sql.Rows) error {
			c := license.CapacityUse{Month: month}
			if err := r.Scan(&c.UserGUID, &c.Minutes); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read capacity use of %s in %s: %w", site, month, err)
	}
	return out, nil
}

func (s *sqlStore) SaveCheck(ctx context.Context, c CheckResult) (int64, error) {
	if c.At.IsZero() {
		return 0, errors.New("save check result: zero time")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("save check result: %w", err)
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, c.Site, c.At, true)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO check_results (site_id, at, status, exit_code, json)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), siteID, c.At.Unix(), c.Status, c.ExitCode, string(c.JSON)).Scan(&id); err != nil {
		return 0, fmt.Errorf("save check result: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("save check result: %w", err)
	}
	return id, nil
}

func (s *sqlStore) Checks(ctx context.Context, site string, limit int) ([]CheckResult, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []CheckResult
	err := scanAll(ctx, s.db, s.q(`SELECT c.id, c.at, c.status, c.exit_code, c.json FROM check_results c
		JOIN sites s ON s.id = c.site_id WHERE s.name = ? ORDER BY c.at DESC, c.id DESC LIMIT ?`),
		[]any{site, limit}, func(r *sql.Rows) error {
			c := CheckResult{Site: site}
			var at int64
			var js string
			if err := r.Scan(&c.ID, &at, &c.Status, &c.ExitCode, &js); err != nil {
				return err
			}
			c.At, c.JSON = time.Unix(at, 0).UTC(), []byte(js)
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read check results of %s: %w", site, err)
	}
	return out, nil
}
