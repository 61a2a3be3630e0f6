package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// WithHook returns opts with a SaveSnapshot stage hook (tests only).
func WithHook(opts Options, hook func(stage string)) Options {
	opts.hook = hook
	return opts
}

// WithMaxVersion returns opts that stop migrating at version v (tests only).
func WithMaxVersion(opts Options, v int) Options {
	opts.maxVersion = v
	return opts
}

// Normalize exposes normalize: reads return snapshots in this form.
var Normalize = normalize

// PreparedPending reports whether a state read ahead by PrepareSave waits
// for the site's next save (tests only).
func PreparedPending(s Store, site string) bool {
	_, ok := prepared.Load(preparedKey{s.(*sqlStore), site})
	return ok
}

// WithoutDigests returns opts whose saves load the whole current state,
// never the stored digests (tests only).
func WithoutDigests(opts Options) Options {
	opts.noDigests = true
	return opts
}

// StoredDigests returns the site's stored state digests ("part/bucket" ->
// digest; zero digests left out) and the collection they are of (tests
// only).
func StoredDigests(st Store, site string) (map[string]string, int64, error) {
	s := st.(*sqlStore)
	ctx := context.Background()
	siteID, err := s.siteID(ctx, s.db, site, time.Time{}, false)
	if err != nil {
		return nil, 0, err
	}
	var of int64
	if err := s.db.QueryRowContext(ctx, s.q("SELECT collection_id FROM state_digest_sites WHERE site_id = ?"), siteID).Scan(&of); err != nil {
		return nil, 0, err
	}
	out := map[string]string{}
	err = scanAll(ctx, s.db, s.q("SELECT part, page, digests FROM state_digests WHERE site_id = ?"), []any{siteID}, func(r *sql.Rows) error {
		var p, text string
		var page int
		if err := r.Scan(&p, &page, &text); err != nil {
			return err
		}
		d := partDigests{}
		if err := decodePage(d, page, text); err != nil {
			return err
		}
		for b, x := range d {
			out[fmt.Sprintf("%s/%d", p, b)] = x.String()
		}
		return nil
	})
	return out, of, err
}

// DigestsOf returns the state digests of a snapshot as StoredDigests
// does (tests only).
func DigestsOf(snap *license.Snapshot) map[string]string {
	n, err := normalize(snap)
	if err != nil {
		panic(err)
	}
	out := map[string]string{}
	for p, d := range snapshotDigests(n) {
		for b, x := range d {
			if x != 0 {
				out[fmt.Sprintf("%s/%d", partNames[p], b)] = x.String()
			}
		}
	}
	return out
}

// NullBuckets counts the keys of the store without a bucket (tests only).
func NullBuckets(st Store) (int, error) {
	s := st.(*sqlStore)
	var n int
	err := s.db.QueryRowContext(context.Background(), `SELECT (SELECT COUNT(*) FROM user_keys WHERE bucket IS NULL) +
		(SELECT COUNT(*) FROM allocation_keys WHERE bucket IS NULL)`).Scan(&n)
	return n, err
}

// ForeignKeyViolations lists the rows of an SQLite store whose parent row
// is missing ("table rowid parent"), as PRAGMA foreign_key_check finds
// them (tests only).
func ForeignKeyViolations(st Store) ([]string, error) {
	s := st.(*sqlStore)
	var out []string
	err := scanAll(context.Background(), s.db, "PRAGMA foreign_key_check", nil, func(r *sql.Rows) error {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := r.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %v %s", table, rowid.Int64, parent))
		return nil
	})
	return out, err
}

// Loaded is what a save of a snapshot would read and diff (tests only).
type Loaded struct {
	Allocations, Users, Authoring, Capacity int  // stored rows read
	Diffed                                  int  // snapshot rows diffed
	Digests                                 bool // the stored digests were used
}

// LoadFor runs what a save of snap reads before its diff, in a transaction
// it rolls back, and reports how much it read (tests only).
func LoadFor(st Store, snap *license.Snapshot) (Loaded, error) {
	s := st.(*sqlStore)
	ctx := context.Background()
	n, err := normalize(snap)
	if err != nil {
		return Loaded{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Loaded{}, err
	}
	defer tx.Rollback()
	siteID, err := s.siteID(ctx, tx, n.Site, n.At, false)
	if err != nil {
		return Loaded{}, err
	}
	c, view, err := s.loadCurrent(ctx, tx, siteID, n)
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{Allocations: len(c.allocs), Users: len(c.users), Authoring: len(c.authoring), Capacity: len(c.capacity),
		Diffed: len(view.Allocations) + len(view.Users) + len(view.Authoring) + len(view.Capacity), Digests: c.dig.ok}, nil
}
