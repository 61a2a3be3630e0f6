package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// current is the latest stored state of a site, the diff base of a new
// collection. It is read from the open versions (valid_to IS NULL) only.
type current struct {
	userKeys   map[string]int64 // guid -> key of every user the snapshot or the current state names
	allocKeys  map[string]int64 // guid -> key of every allocation the snapshot or the current state names
	allocs     map[int64]allocRow
	users      map[int64]userRow // all open versions, or with partial users only those of the snapshot's users
	openUsers  int               // users with an open version
	authoring  map[int64]authRow
	license    *licenseRow
	counters   []license.Counters // of the latest collection
	capacity   map[capKey]int64
	lastID     int64
	lastAt     int64
	hasLast    bool
	nextUser   int64
	nextAlloc  int64
	userGUIDOf map[int64]string
	dig        *digestState // the stored digests (digest.go)
	// newUsersKnown: how many of the delta's new user keys are in
	// userGUIDOf (digest.go).
	newUsersKnown int
	// known: digests of the snapshot's parts computed ahead (a staged
	// save's users and allocations), nil for the others.
	known [nParts]partDigests
}

type capKey struct {
	month   string
	userKey int64
}

// SaveSnapshot stores one collection in a single transaction.
//
// Idempotency: a snapshot whose per-user state, license, counters and
// capacity equal the latest stored state writes no per-user rows and reports
// zero changes. If its time is later than the latest collection, a
// collections row and its counters are still written, because "we looked and
// nothing changed" is itself history (the daily series gets its point). If
// its time equals the latest collection's, nothing at all is written and
// SaveResult.Duplicate is set, so retrying a save is safe; a different
// snapshot at that same time is ErrConflict. A snapshot older than the
// latest collection is ErrOutOfOrder: history is append-only.
func (s *sqlStore) SaveSnapshot(ctx context.Context, in *license.Snapshot) (*SaveResult, error) {
	return s.save(ctx, in, nil)
}

// SaveSnapshotBackfill is SaveSnapshot plus the reconstructed history, in
// the same transaction, so that a collection stopped at any point (disk
// full, SIGKILL) leaves either neither or both: before, a first collection
// whose backfill was lost was never backfilled again.
//
// reconstruct is called (with the normalized snapshot) only when the site
// has no reconstructed history yet: at its first collection, or at a later
// one when an earlier licmon lost it; then only its points for days before
// the site's first collection are kept, since later days have real points.
func (s *sqlStore) SaveSnapshotBackfill(ctx context.Context, in *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error) {
	return s.save(ctx, in, reconstruct)
}

func (s *sqlStore) save(ctx context.Context, in *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error) {
	snap, err := normalize(in)
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	b, err := s.begin(ctx, snap, len(snap.Authoring))
	if err != nil {
		return nil, err
	}
	defer b.abort()
	return b.finish(ctx, snap, reconstruct)
}

// saveFollowing is the save of a collection of a site that has one
// already, in b's transaction: the stored state is read (or taken from
// PrepareSave), diffed with snap, and the difference written.
func (s *sqlStore) saveFollowing(ctx context.Context, b *saveTx, snap *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error) {
	tx, siteID := b.tx, b.siteID
	// view is the part of snap that may differ from the stored state
	// (digest.go): what is diffed. Counts are snap's.
	cur, view, err := s.loadCurrent(ctx, tx, siteID, snap)
	if err != nil {
		return nil, err
	}
	users := len(snap.Users)
	if snap.UsersPartial {
		users = cur.openUsers
		for _, u := range snap.Users {
			if k, ok := cur.userKeys[u.ID]; !ok {
				users++
			} else if _, open := cur.users[k]; !open {
				users++
			}
		}
		if users != snap.UserCount {
			return nil, fmt.Errorf("save snapshot of %s: %d stored and changed users, the site has %d: %w", snap.Site, users, snap.UserCount, ErrPartialUsers)
		}
	}
	at := snap.At.Unix()
	if at < cur.lastAt {
		return nil, fmt.Errorf("save snapshot of %s at %s: %w (latest is %s)", snap.Site,
			snap.At.Format(time.RFC3339), ErrOutOfOrder, time.Unix(cur.lastAt, 0).UTC().Format(time.RFC3339))
	}
	d := diff(cur, view)
	res := &SaveResult{Changes: d.summary}
	if at == cur.lastAt {
		if d.empty() && countersEqual(cur.counters, snap.Counters) {
			res.CollectionID, res.Duplicate = cur.lastID, true
			return res, nil
		}
		return nil, fmt.Errorf("save snapshot of %s at %s: %w", snap.Site, snap.At.Format(time.RFC3339), ErrConflict)
	}
	cid, err := s.insertCollection(ctx, tx, siteID, snap, users, d.summary.Total())
	if err != nil {
		return nil, err
	}
	res.CollectionID = cid
	if err := s.writeDiff(ctx, b.tc(), siteID, cid, snap, cur, d); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if err := s.writeDigests(ctx, tx, siteID, cid, snap, cur, d); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if err := b.commit(ctx, snap, reconstruct, res); err != nil {
		return nil, err
	}
	return res, nil
}

// insertCollection inserts the collections row of snap.
func (s *sqlStore) insertCollection(ctx context.Context, tx *sql.Tx, siteID int64, snap *license.Snapshot, users, changes int) (int64, error) {
	var cid int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO collections (site_id, at, day, users, allocations, changes)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), siteID, snap.At.Unix(), snap.At.Format(time.DateOnly),
		users, len(snap.Allocations), changes).Scan(&cid)
	if err != nil {
		return 0, fmt.Errorf("save snapshot: insert collection: %w", err)
	}
	return cid, nil
}

// sqliteSaveSettings sets SQLite's page cache and temporary storage of the
// connection conn for a save of rows per-user rows, and returns what
// restores them when the save's transaction has ended: statement journals
// (SQLite's copies of the pages a multi-row INSERT changes) kept in memory
// rather than written to a temporary file, and a page cache large enough
// for the pages the transaction keeps changing (the random places of
// allocation_versions' activity index) instead of spilling them to the WAL
// and reading them back again and again, as the default 2 MB does.
// Together with 32 000-parameter INSERTs they cut what a 100 000-user
// first collection writes from 490 MB to 76 MB and reads from 130 MB to
// 52 MB. Both only while the save runs: a larger cache stays allocated,
// and other statements (the sorts of reports) keep their temporary files.
//
// The save's connection also runs without SQLite's foreign-key checks: a
// save writes only versions of the keys it wrote or read in its own
// transaction, and keys of the site it looked up, and SQLite checked each
// row's parent by a B-tree seek of its own, a tenth of a first
// collection's save (TestSavesLeaveNoOrphan checks the stores the saves
// leave). PostgreSQL's saves keep theirs.
func sqliteSaveSettings(ctx context.Context, conn *sql.Conn, rows int) (restore func(), err error) {
	var cacheSize int64
	var tempStore, foreignKeys int
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cacheSize); err != nil {
		return nil, fmt.Errorf("read cache size: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&tempStore); err != nil {
		return nil, fmt.Errorf("read temporary storage: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&foreignKeys); err != nil {
		return nil, fmt.Errorf("read foreign-key checking: %w", err)
	}
	restore = func() {
		bg := context.Background()
		_, err1 := conn.ExecContext(bg, fmt.Sprintf("PRAGMA cache_size = %d", cacheSize))
		_, err2 := conn.ExecContext(bg, fmt.Sprintf("PRAGMA temp_store = %d", tempStore))
		_, err3 := conn.ExecContext(bg, fmt.Sprintf("PRAGMA foreign_keys = %d", foreignKeys))
		if err1 != nil || err2 != nil || err3 != nil {
			// Not back into the pool with the save's settings.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		restore()
		return nil, fmt.Errorf("keep statement journals in memory: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		restore()
		return nil, fmt.Errorf("turn foreign-key checking off: %w", err)
	}
	// About 24 bytes of cache per row (100 000 users: 5 MB), never less
	// than the connection has, at most 64 MB; a size in pages (positive)
	// is someone's choice and left as it is.
	if kib := min(max(int64(rows)*24/1024, -cacheSize), 64<<10); cacheSize < 0 && kib > -cacheSize {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -kib)); err != nil {
			restore()
			return nil, fmt.Errorf("size the page cache: %w", err)
		}
	}
	return restore, nil
}

// backfill writes reconstruct's points for the days before the site's first
// collection when the site has no reconstructed history, and returns how
// many it wrote.
func (s *sqlStore) backfill(ctx context.Context, tx *sql.Tx, siteID int64, snap *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (int, error) {
	var have bool
	var first string
	err := tx.QueryRowContext(ctx, s.q(`SELECT EXISTS (SELECT 1 FROM reconstructed_daily WHERE site_id = ?),
		(SELECT MIN(day) FROM collections WHERE site_id = ?)`), siteID, siteID).Scan(&have, &first)
	if err != nil {
		return 0, fmt.Errorf("look up reconstructed history: %w", err)
	}
	if have {
		return 0, nil
	}
	firstDay, err := time.Parse(time.DateOnly, first)
	if err != nil {
		return 0, fmt.Errorf("look up reconstructed history: first collection day %q: %w", first, err)
	}
	var points []license.DailyCounters
	for _, p := range reconstruct(snap) {
		if license.Day(p.Day).Before(firstDay) {
			points = append(points, p)
		}
	}
	if len(points) == 0 {
		return 0, nil
	}
	return len(points), s.writeReconstructed(ctx, tx, siteID, points)
}

func countersEqual(a, b []license.Counters) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// siteID returns the id of the named site, creating it if create is set.
func (s *sqlStore) siteID(ctx context.Context, q queryer, name string, at time.Time, create bool) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, s.q("SELECT id FROM sites WHERE name = ?"), name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("look up site %q: %w", name, err)
	}
	if !create {
		return 0, fmt.Errorf("site %q: %w", name, ErrUnknownSite)
	}
	err = q.QueryRowContext(ctx, s.q("INSERT INTO sites (name, created_at) VALUES (?, ?) RETURNING id"), name, at.Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create site %q: %w", name, err)
	}
	return id, nil
}

// queryer is the part of *sql.DB and *sql.Tx the read helpers need.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// newCurrent returns an empty current state whose maps have room for
// about users user keys and allocs open allocations (and their users'
// GUIDs). A first collection's has room for the users only: diff adds
// every key to userKeys, and neither the new allocation keys nor the GUIDs
// of new keys (userGUIDOf serves the open allocations) to the others.
func newCurrent(users, allocs int) *current {
	return &current{userKeys: make(map[string]int64, users), allocKeys: make(map[string]int64, allocs),
		allocs: make(map[int64]allocRow, allocs), users: map[int64]userRow{}, authoring: map[int64]authRow{},
		capacity: map[capKey]int64{}, userGUIDOf: make(map[int64]string, allocs)}
}

// loadCurrent reads the stored state the snapshot is diffed against, and
// returns it with the part of the snapshot to diff (view). With the stored
// digests of the latest collection (digest.go), only the rows of the
// buckets whose digests differ from the snapshot's are read, and view
// holds only the snapshot's rows of those buckets; without them, the whole
// current state is read (and view is snap) so that the digests can be
// written.
func (s *sqlStore) loadCurrent(ctx context.Context, tx *sql.Tx, siteID int64, snap *license.Snapshot) (*current, *license.Snapshot, error) {
	c := newCurrent(0, 0)
	wrap := func(what string, err error) error { return fmt.Errorf("load current %s: %w", what, err) }

	if err := s.lastCollection(ctx, tx, siteID, c); err != nil {
		return nil, nil, wrap("collection", err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM user_keys").Scan(&c.nextUser); err != nil {
		return nil, nil, wrap("user keys", err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM allocation_keys").Scan(&c.nextAlloc); err != nil {
		return nil, nil, wrap("allocation keys", err)
	}
	if !c.hasLast {
		// Every user and allocation of the snapshot gets a key (see
		// newCurrent).
		first := newCurrent(len(snap.Users), 0)
		first.nextUser, first.nextAlloc, first.dig = c.nextUser, c.nextAlloc, &digestState{}
		return first, snap, nil
	}
	if p := takePrepared(s, snap.Site, siteID, c.lastID); p != nil {
		// Read ahead by PrepareSave while the collector read the QRS, and
		// still the latest state: no collection of the site since.
		p.nextUser, p.nextAlloc = c.nextUser, c.nextAlloc
		c = p
	} else {
		if err := s.loadDigests(ctx, tx, siteID, c); err != nil {
			return nil, nil, err
		}
		if !c.dig.ok {
			// Room for the open allocations and their users.
			open := newCurrent(len(snap.Allocations), len(snap.Allocations))
			open.lastID, open.lastAt, open.hasLast, open.nextUser, open.nextAlloc = c.lastID, c.lastAt, true, c.nextUser, c.nextAlloc
			open.dig = c.dig
			c = open
			if err := s.loadOpen(ctx, tx, siteID, c, allBuckets, allBuckets); err != nil {
				return nil, nil, err
			}
		}
	}
	view := snap
	sets := [nParts]*bucketSet{allBuckets, allBuckets, allBuckets, allBuckets}
	if c.dig.ok {
		now := snapshotDigests(snap)
		c.dig.capacity = now[partCapacity]
		for p := range sets {
			sets[p] = &bucketSet{} // users, if partial: read by key below
			if now[p] != nil {
				sets[p] = changedBuckets(c.dig.old[p], now[p])
			}
		}
		if err := s.bucketKeys(ctx, tx, "user_keys", siteID, sets[partUsers], sets[partAuthoring], sets[partCapacity]); err != nil {
			return nil, nil, wrap("user keys", err)
		}
		if err := s.bucketKeys(ctx, tx, "allocation_keys", siteID, sets[partAllocs]); err != nil {
			return nil, nil, wrap("allocation keys", err)
		}
		if err := s.loadOpen(ctx, tx, siteID, c, sets[partAllocs], sets[partAuthoring]); err != nil {
			return nil, nil, err
		}
		view = digestView(snap, sets)
	}
	scanUser := func(r *sql.Rows) error {
		var k int64
		var g string
		var u userRow
		if err := r.Scan(&k, &g, &u.Directory, &u.UserID, &u.Name, &u.Created, &u.Inactive, &u.Blocked,
			&u.RemovedExtly, &u.Tags, &u.CustomProperties, &u.Roles); err != nil {
			return err
		}
		c.users[k] = u
		c.userKeys[g], c.userGUIDOf[k] = k, g
		return nil
	}
	const userCols = `v.user_key, uk.guid, v.directory, v.user_id, v.name, v.created, v.inactive, v.blocked,
		v.removed_externally, v.tags, v.custom_properties, v.roles`
	if !c.dig.ok || !snap.UsersPartial {
		// Every open user, or those of the changed buckets. Without
		// digests, with partial users too: the digests written after the
		// save are computed from them.
		if err := bucketFilter(sets[partUsers], "uk.id", func(cond string, args []any) error {
			if cond == "" {
				return scanAll(ctx, tx, s.q("SELECT "+userCols+` FROM user_versions v JOIN user_keys uk ON uk.id = v.user_key
					WHERE v.site_id = ? AND v.valid_to IS NULL`), []any{siteID}, scanUser)
			}
			return scanAll(ctx, tx, s.q("SELECT "+userCols+` FROM user_keys uk JOIN user_versions v ON v.user_key = uk.id
				WHERE `+cond+" AND v.valid_to IS NULL"), args, scanUser)
		}); err != nil {
			return nil, nil, wrap("users", err)
		}
		if sets[partUsers].all {
			c.openUsers = len(c.users)
		}
	}
	if err := s.lookupKeys(ctx, tx, siteID, c, view); err != nil {
		return nil, nil, err
	}
	if snap.UsersPartial {
		keys := make([]any, 0, len(snap.Users))
		for _, u := range snap.Users {
			if k, ok := c.userKeys[u.ID]; ok {
				if _, loaded := c.users[k]; !loaded {
					keys = append(keys, k)
				}
			}
		}
		if err := inChunks(keys, func(chunk []any, marks string) error {
			return scanAll(ctx, tx, s.q("SELECT "+userCols+" FROM user_versions v JOIN user_keys uk ON uk.id = v.user_key WHERE v.valid_to IS NULL AND v.user_key IN ("+marks+")"), chunk, scanUser)
		}); err != nil {
			return nil, nil, wrap("users", err)
		}
	}
	months := map[string]bool{}
	for _, cu := range view.Capacity {
		months[cu.Month] = true
	}
	for m := range months {
		if err := bucketFilter(sets[partCapacity], "user_key", func(cond string, args []any) error {
			query := "SELECT user_key, minutes FROM capacity_use WHERE site_id = ? AND month = ?"
			if cond != "" {
				query = "SELECT user_key, minutes FROM capacity_use WHERE site_id = ? AND month = ? AND " + cond
				args = append([]any{siteID, m}, args...)
			} else {
				args = []any{siteID, m}
			}
			return scanAll(ctx, tx, s.q(query), args, func(r *sql.Rows) error {
				var k, min int64
				if err := r.Scan(&k, &min); err != nil {
					return err
				}
				c.capacity[capKey{m, k}] = min
				return nil
			})
		}); err != nil {
			return nil, nil, wrap("capacity use", err)
		}
	}
	return c, view, nil
}

// SavePreparer is implemented by stores that can read a site's current
// state ahead of its next save: a collector calls PrepareSave while it
// reads the QRS, so that the save, which must diff the new snapshot
// against that state, does not start by reading it. The state read ahead
// is used only if the site's latest collection is still the one it was
// read at; discard drops it when no save follows (a failed collection).
type SavePreparer interface {
	PrepareSave(ctx context.Context, site string) (discard func(), err error)
}

// prepared holds the states read ahead by PrepareSave, by store and site
// (kept out of sqlStore so that the store's own type stays as it is).
var prepared sync.Map // preparedKey -> *preparedState

type preparedKey struct {
	s    *sqlStore
	site string
}

type preparedState struct {
	siteID int64
	c      *current
}

// PrepareSave reads the site's stored state digests (digest.go), or
// without them its current state (open allocation and authoring versions,
// the number of open users, license, counters), outside any transaction,
// for its next save. Collections of the site are
// serialised (LockCollect), but one that commits meanwhile changes the
// latest collection, and then the save reads the state itself.
func (s *sqlStore) PrepareSave(ctx context.Context, site string) (func(), error) {
	key := preparedKey{s, strings.TrimSpace(site)}
	none := func() {}
	siteID, err := s.siteID(ctx, s.db, key.site, time.Time{}, false)
	if errors.Is(err, ErrUnknownSite) {
		return none, nil
	}
	if err != nil {
		return none, fmt.Errorf("prepare save: %w", err)
	}
	c := newCurrent(0, 0)
	if err := s.lastCollection(ctx, s.db, siteID, c); err != nil || !c.hasLast {
		return none, err
	}
	if err := s.loadDigests(ctx, s.db, siteID, c); err != nil {
		return none, fmt.Errorf("prepare save: %w", err)
	}
	if !c.dig.ok {
		// No digests: the save needs the whole state.
		if cs, err := s.Collections(ctx, key.site, time.Unix(c.lastAt, 0), time.Unix(c.lastAt, 0)); err == nil && len(cs) == 1 {
			// Room for the open allocations and their users.
			open := newCurrent(cs[0].Allocations, cs[0].Allocations)
			open.lastID, open.lastAt, open.hasLast, open.dig = c.lastID, c.lastAt, true, c.dig
			c = open
		}
		if err := s.loadOpen(ctx, s.db, siteID, c, allBuckets, allBuckets); err != nil {
			return none, fmt.Errorf("prepare save: %w", err)
		}
	}
	// Read in several statements without a transaction: kept only if no
	// collection of the site committed while they ran.
	again := newCurrent(0, 0)
	if err := s.lastCollection(ctx, s.db, siteID, again); err != nil || again.lastID != c.lastID {
		return none, err
	}
	st := &preparedState{siteID: siteID, c: c}
	prepared.Store(key, st)
	return func() { prepared.CompareAndDelete(key, st) }, nil
}

// takePrepared returns (once) the state PrepareSave read of the site if it
// is the state as of its latest collection lastID, else nil.
func takePrepared(s *sqlStore, site string, siteID, lastID int64) *current {
	v, ok := prepared.LoadAndDelete(preparedKey{s, site})
	if !ok {
		return nil
	}
	p := v.(*preparedState)
	if p.siteID != siteID || p.c.lastID != lastID {
		return nil
	}
	return p.c
}

// lastCollection sets c's latest collection of the site, if any.
func (s *sqlStore) lastCollection(ctx context.Context, q queryer, siteID int64, c *current) error {
	err := q.QueryRowContext(ctx, s.q("SELECT id, at FROM collections WHERE site_id = ? ORDER BY at DESC LIMIT 1"), siteID).Scan(&c.lastID, &c.lastAt)
	switch {
	case err == nil:
		c.hasLast = true
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

// loadOpen reads into c the state of the site's latest collection that
// does not depend on the snapshot: the open allocation and authoring
// versions (of the buckets allocs and auth, digest.go) with the GUIDs of
// their keys, the number of open users, the license and the counters.
func (s *sqlStore) loadOpen(ctx context.Context, q queryer, siteID int64, c *current, allocs, auth *bucketSet) error {
	wrap := func(what string, err error) error { return fmt.Errorf("load current %s: %w", what, err) }
	// The current state is read with the GUIDs of its keys, and only the
	// keys the snapshot names besides are looked up: reading every key the
	// site ever had (user_keys, allocation_keys), and with partial users
	// every open user, made a following collection reload the whole site.
	const allocCols = `SELECT v.alloc_key, ak.guid, uk.guid, v.type, v.user_key, v.directory, v.user_id, v.created,
		v.last_used, v.quarantined, v.quarantine_end, v.excess, v.deleted_user`
	if err := bucketFilter(allocs, "ak.id", func(cond string, args []any) error {
		query := allocCols + ` FROM allocation_versions v JOIN allocation_keys ak ON ak.id = v.alloc_key JOIN user_keys uk ON uk.id = v.user_key
			WHERE v.site_id = ? AND v.valid_to IS NULL`
		if cond == "" {
			args = []any{siteID}
		} else {
			// Keys first, by id (bucketKeys: of the site), then each
			// key's versions by primary key.
			query = allocCols + ` FROM allocation_keys ak JOIN allocation_versions v ON v.alloc_key = ak.id JOIN user_keys uk ON uk.id = v.user_key
				WHERE ` + cond + " AND v.valid_to IS NULL"
		}
		return scanAll(ctx, q, s.q(query), args, func(r *sql.Rows) error {
			var k int64
			var ag, ug string
			var a allocRow
			if err := r.Scan(&k, &ag, &ug, &a.Type, &a.UserKey, &a.Directory, &a.UserID, &a.Created, &a.LastUsed,
				&a.Quarantined, &a.QuarantineEnd, &a.Excess, &a.DeletedUser); err != nil {
				return err
			}
			c.allocs[k] = a
			c.allocKeys[ag] = k
			c.userKeys[ug], c.userGUIDOf[a.UserKey] = a.UserKey, ug
			return nil
		})
	}); err != nil {
		return wrap("allocations", err)
	}
	if err := q.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM user_versions WHERE site_id = ? AND valid_to IS NULL"),
		siteID).Scan(&c.openUsers); err != nil {
		return wrap("users", err)
	}
	const authCols = `SELECT v.user_key, uk.guid, v.apps_owned, v.apps_published, v.objects_owned, v.objects_published,
		v.data_connections_owned, v.last_authored`
	if err := bucketFilter(auth, "uk.id", func(cond string, args []any) error {
		query := authCols + ` FROM authoring_versions v JOIN user_keys uk ON uk.id = v.user_key
			WHERE v.site_id = ? AND v.valid_to IS NULL`
		if cond == "" {
			args = []any{siteID}
		} else {
			query = authCols + ` FROM user_keys uk JOIN authoring_versions v ON v.user_key = uk.id
				WHERE ` + cond + " AND v.valid_to IS NULL"
		}
		return scanAll(ctx, q, s.q(query), args, func(r *sql.Rows) error {
			var k int64
			var g string
			var a authRow
			if err := r.Scan(&k, &g, &a.AppsOwned, &a.AppsPublished, &a.ObjectsOwned, &a.ObjectsPublished,
				&a.DataConnectionsOwned, &a.LastAuthored); err != nil {
				return err
			}
			c.authoring[k] = a
			c.userKeys[g], c.userGUIDOf[k] = k, g
			return nil
		})
	}); err != nil {
		return wrap("authoring", err)
	}
	lic, err := s.scanLicense(ctx, q, s.q(`SELECT model, product, name, organization, serial_tail, license_valid_to,
		expired, invalid, blacklisted, total_tokens, available_tokens FROM license_versions WHERE site_id = ? AND valid_to IS NULL`), siteID)
	if err != nil {
		return wrap("license", err)
	}
	c.license = lic
	if c.counters, err = s.countersOf(ctx, q, c.lastID); err != nil {
		return wrap("counters", err)
	}
	return nil
}

// lookupKeys adds to c the keys of the users and allocations the snapshot
// names that the current state did not: new ones have none, the others
// (a user without an allocation, authoring or open version, an allocation
// released and back) are looked up by GUID.
func (s *sqlStore) lookupKeys(ctx context.Context, tx *sql.Tx, siteID int64, c *current, snap *license.Snapshot) error {
	var users, allocs []any
	wantUser := map[string]bool{}
	user := func(g string) {
		if _, ok := c.userKeys[g]; !ok && !wantUser[g] {
			wantUser[g] = true
			users = append(users, g)
		}
	}
	for _, u := range snap.Users {
		user(u.ID)
	}
	for _, a := range snap.Allocations {
		user(a.UserGUID)
		if _, ok := c.allocKeys[a.ID]; !ok {
			allocs = append(allocs, a.ID)
		}
	}
	for _, a := range snap.Authoring {
		user(a.UserGUID)
	}
	for _, cu := range snap.Capacity {
		user(cu.UserGUID)
	}
	for _, k := range []struct {
		table string
		guids []any
		into  func(id int64, g string)
	}{
		{"user_keys", users, func(id int64, g string) { c.userKeys[g], c.userGUIDOf[id] = id, g }},
		{"allocation_keys", allocs, func(id int64, g string) { c.allocKeys[g] = id }},
	} {
		if err := inChunks(k.guids, func(chunk []any, marks string) error {
			return scanAll(ctx, tx, s.q("SELECT id, guid FROM "+k.table+" WHERE site_id = ? AND guid IN ("+marks+")"),
				append([]any{siteID}, chunk...), func(r *sql.Rows) error {
					var id int64
					var g string
					if err := r.Scan(&id, &g); err != nil {
						return err
					}
					k.into(id, g)
					return nil
				})
		}); err != nil {
			return fmt.Errorf("load current %s: %w", k.table, err)
		}
	}
	return nil
}

// inChunks calls f with the values in chunks small enough for one
// statement's parameters, and the matching "?, ?, …" list.
func inChunks(values []any, f func(chunk []any, marks string) error) error {
	const per = 500
	for start := 0; start < len(values); start += per {
		chunk := values[start:min(start+per, len(values))]
		if err := f(chunk, strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")); err != nil {
			return err
		}
	}
	return nil
}

func scanAll(ctx context.Context, q queryer, query string, args []any, each func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *sqlStore) scanLicense(ctx context.Context, q queryer, query string, args ...any) (*licenseRow, error) {
	var l licenseRow
	err := q.QueryRowContext(ctx, query, args...).Scan(&l.Model, &l.Product, &l.Name, &l.Organization, &l.SerialTail,
		&l.ValidTo, &l.Expired, &l.Invalid, &l.Blacklisted, &l.TotalTokens, &l.AvailableTokens)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func (s *sqlStore) countersOf(ctx context.Context, q queryer, cid int64) ([]license.Counters, error) {
	var out []license.Counters
	err := scanAll(ctx, q, s.q(`SELECT type, enabled, total, allocated, used, quarantined, excess, available, unavailable, token_cost
		FROM counters WHERE collection_id = ?`), []any{cid}, func(r *sql.Rows) error {
		var c license.Counters
		if err := r.Scan(&c.Type, &c.Enabled, &c.Total, &c.Allocated, &c.Used, &c.Quarantined, &c.Excess,
			&c.Available, &c.Unavailable, &c.TokenCost); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	order := map[license.Type]int{}
	for i, t := range license.Types() {
		order[t] = i
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i].Type] < order[out[j].Type] })
	return out, err
}

// delta is what a collection must write.
type delta struct {
	summary    ChangeSummary
	newUsers   []keyRow // user_keys rows
	newAllocs  []keyRow // allocation_keys rows
	closeAlloc []int64
	allocVers  []keyed[allocRow] // by key
	closeUser  []int64
	userVers   []keyed[userRow] // by key
	closeAuth  []int64
	authVers   []keyed[authRow] // by key
	license    *licenseRow      // new license version, nil if unchanged
	capacity   [][]any
}

// keyed is a new version of the entity with key key. Versions are kept in
// slices ordered by key, not in maps: they are inserted in primary-key
// order (sequential B-tree appends), and a first collection's 200 000 of
// them are cheaper in a slice than in a map.
type keyed[R any] struct {
	key int64
	row R
}

// byKey orders v by key (a no-op for a first collection, whose new keys
// are assigned in order).
func byKey[R any](v []keyed[R]) {
	cmp := func(a, b keyed[R]) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	}
	if !slices.IsSortedFunc(v, cmp) {
		slices.SortFunc(v, cmp)
	}
}

// keyRow is a new interned GUID.
type keyRow struct {
	id   int64
	guid string
}

func (d *delta) empty() bool {
	return len(d.closeAlloc) == 0 && len(d.allocVers) == 0 && len(d.closeUser) == 0 && len(d.userVers) == 0 &&
		len(d.closeAuth) == 0 && len(d.authVers) == 0 && d.license == nil && len(d.capacity) == 0
}

func inc(m *map[license.Type]int, t license.Type) {
	if *m == nil {
		*m = map[license.Type]int{}
	}
	(*m)[t]++
}

// diff compares a normalized snapshot with the current state.
func diff(c *current, s *license.Snapshot) *delta {
	d := &delta{}
	diffPerUser(c, s, d)
	diffRest(c, s, d)
	return d
}

// userKey returns the key of the user with the GUID, assigning the next
// one (a new user_keys row of d) to a user the state does not know.
func (d *delta) userKey(c *current, guid string) int64 {
	if k, ok := c.userKeys[guid]; ok {
		return k
	}
	k := c.nextUser
	c.nextUser++
	c.userKeys[guid] = k
	d.newUsers = append(d.newUsers, keyRow{k, guid})
	return k
}

// diffPerUser is the part of diff that a first collection's save can
// begin with (BeginSave): the allocations and the users. diffRest then
// adds authoring, the license and capacity use; the users' keys come out
// the same as diff's.
func diffPerUser(c *current, s *license.Snapshot, d *delta) {
	if !c.hasLast {
		// A first collection writes every row: slices of that size from
		// the start.
		d.allocVers = make([]keyed[allocRow], 0, len(s.Allocations))
		d.userVers = make([]keyed[userRow], 0, len(s.Users))
		d.newAllocs = make([]keyRow, 0, len(s.Allocations))
		d.newUsers = make([]keyRow, 0, len(s.Users))
	}
	userKey := func(guid string) int64 { return d.userKey(c, guid) }
	// New users get their keys as the allocations name them, in the
	// allocations' order, then the users without one: the report reads
	// the allocations with their users' GUIDs in allocation order, and
	// keys in that order make those lookups sequential. Keys in the users'
	// GUID order (appending to user_keys' GUID index at a first save) made
	// that read of a 300k-user site 1.7 times as slow (bench/rawread).

	// Allocations. A user who gained a type and lost another changed
	// type; gains are kept in a list and matched against the losses only
	// when there are any (a first collection has none).
	type userType struct {
		user string
		typ  license.Type
	}
	var gained []userType
	var lost map[string][]license.Type
	// Which open allocations the snapshot still has: none to look for in a
	// first collection.
	var seen map[int64]bool
	if len(c.allocs) > 0 {
		seen = make(map[int64]bool, len(s.Allocations))
	}
	for _, a := range s.Allocations {
		row := allocRow{Type: string(a.Type), UserKey: userKey(a.UserGUID), Directory: a.Directory, UserID: a.UserID,
			Created: unixOf(a.Created), LastUsed: unixOf(a.LastUsed), Quarantined: a.Quarantined,
			QuarantineEnd: unixOf(a.QuarantineEnd), Excess: a.Excess, DeletedUser: a.DeletedUser}
		k, known := c.allocKeys[a.ID]
		if !known {
			// Snapshot allocations are unique and sorted: new keys in
			// GUID order, and no need to remember them in allocKeys.
			k = c.nextAlloc
			c.nextAlloc++
			d.newAllocs = append(d.newAllocs, keyRow{k, a.ID})
		}
		if seen != nil {
			seen[k] = true
		}
		old, open := c.allocs[k]
		if open && old == row {
			continue
		}
		d.allocVers = append(d.allocVers, keyed[allocRow]{k, row})
		if !open {
			inc(&d.summary.Allocated, a.Type)
			gained = append(gained, userType{a.UserGUID, a.Type})
			continue
		}
		d.closeAlloc = append(d.closeAlloc, k)
		t := a.Type
		counted := false
		if old.Type != row.Type {
			inc(&d.summary.TypeChanged, t)
			counted = true
		}
		if !old.Quarantined && row.Quarantined {
			inc(&d.summary.Quarantined, t)
			counted = true
		}
		if old.Quarantined && !row.Quarantined {
			inc(&d.summary.Unquarantined, t)
			counted = true
		}
		if old.LastUsed != row.LastUsed {
			inc(&d.summary.LastUsedAdvanced, t)
			counted = true
		}
		if old.Excess != row.Excess {
			inc(&d.summary.ExcessChanged, t)
			counted = true
		}
		if !counted {
			inc(&d.summary.OtherChanged, t)
		}
	}
	for k, old := range c.allocs {
		if seen[k] {
			continue
		}
		d.closeAlloc = append(d.closeAlloc, k)
		inc(&d.summary.Released, license.Type(old.Type))
		g := c.userGUIDOf[old.UserKey]
		if lost == nil {
			lost = map[string][]license.Type{}
		}
		lost[g] = append(lost[g], license.Type(old.Type))
	}
	if len(lost) > 0 {
		for _, g := range gained {
			for _, l := range lost[g.user] {
				if g.typ != l {
					inc(&d.summary.TypeChanged, g.typ)
					break
				}
			}
		}
	}

	// Users.
	var seenUser map[int64]bool
	if len(c.users) > 0 && !s.UsersPartial {
		seenUser = make(map[int64]bool, len(s.Users))
	}
	for _, u := range s.Users {
		k := userKey(u.ID)
		if seenUser != nil {
			seenUser[k] = true
		}
		row := toUserRow(u)
		old, open := c.users[k]
		if open && old == row {
			continue
		}
		d.userVers = append(d.userVers, keyed[userRow]{k, row})
		if open {
			d.closeUser = append(d.closeUser, k)
			d.summary.UsersChanged++
		} else {
			d.summary.UsersAdded++
		}
	}
	for k := range c.users {
		if !seenUser[k] && !s.UsersPartial {
			d.closeUser = append(d.closeUser, k)
			d.summary.UsersRemoved++
		}
	}

	sortKeys(d.closeAlloc)
	sortKeys(d.closeUser)
	byKey(d.allocVers)
	byKey(d.userVers)
}

// diffRest is diff after diffPerUser: authoring, the license and capacity
// use.
func diffRest(c *current, s *license.Snapshot, d *delta) {
	if !c.hasLast {
		d.authVers = make([]keyed[authRow], 0, len(s.Authoring))
	}
	userKey := func(guid string) int64 { return d.userKey(c, guid) }
	// Authoring.
	var seenAuth map[int64]bool
	if len(c.authoring) > 0 {
		seenAuth = make(map[int64]bool, len(s.Authoring))
	}
	for _, a := range s.Authoring {
		k := userKey(a.UserGUID)
		if seenAuth != nil {
			seenAuth[k] = true
		}
		row := toAuthRow(a)
		old, open := c.authoring[k]
		if open && old == row {
			continue
		}
		d.authVers = append(d.authVers, keyed[authRow]{k, row})
		if open {
			d.closeAuth = append(d.closeAuth, k)
		}
		d.summary.AuthoringChanged++
	}
	for k := range c.authoring {
		if !seenAuth[k] {
			d.closeAuth = append(d.closeAuth, k)
			d.summary.AuthoringChanged++
		}
	}

	// License.
	if lr := toLicenseRow(s.License); c.license == nil || *c.license != lr {
		d.license = &lr
		d.summary.LicenseChanged = true
	}

	// Capacity use (upserted, never deleted).
	for _, cu := range s.Capacity {
		k := userKey(cu.UserGUID)
		if old, ok := c.capacity[capKey{cu.Month, k}]; ok && old == cu.Minutes {
			continue
		}
		d.capacity = append(d.capacity, []any{cu.Month, k, cu.Minutes})
		d.summary.CapacityChanged++
	}
	sortKeys(d.closeAuth)
	byKey(d.authVers)
}

func sortKeys(k []int64) { sort.Slice(k, func(i, j int) bool { return k[i] < k[j] }) }

func (s *sqlStore) writeDiff(ctx context.Context, tc txConn, siteID, cid int64, snap *license.Snapshot, cur *current, d *delta) error {
	if err := s.writePerUser(ctx, tc, siteID, cid, d, d.newUsers); err != nil {
		return err
	}
	return s.writeRest(ctx, tc, siteID, cid, snap, d, nil)
}

// boxer boxes values repeated on every row into interface values once, not
// once a row (each a heap allocation): the few license types and user
// directories.
type boxer map[string]any

func (few boxer) box(v string) any {
	b, ok := few[v]
	if !ok {
		b = v
		few[v] = b
	}
	return b
}

// writeKeys inserts new interned GUIDs into table (user_keys,
// allocation_keys).
func (s *sqlStore) writeKeys(ctx context.Context, tc txConn, table string, siteID int64, rows []keyRow) error {
	cols := []string{"id", "guid", "bucket"} // bucket: digest.go
	if !s.withDigests() {
		cols = cols[:2]
	}
	return s.insertFixed(ctx, tc, table, cols, []fixedCol{{"site_id", siteID}}, len(rows), func(i int, dst []any) []any {
		dst = append(dst, rows[i].id, rows[i].guid)
		if len(cols) == 3 {
			dst = append(dst, int64(bucketOf(rows[i].guid)))
		}
		return dst
	}, "")
}

// writePerUser writes the allocations and users of d, with the new user
// keys users (all of d's, or those diffPerUser assigned) and the new
// allocation keys.
func (s *sqlStore) writePerUser(ctx context.Context, tc txConn, siteID, cid int64, d *delta, users []keyRow) error {
	tx := tc.Tx
	fixed := []fixedCol{{"valid_from", cid}, {"site_id", siteID}}
	few := boxer{}
	if err := s.writeKeys(ctx, tc, "user_keys", siteID, users); err != nil {
		return err
	}
	if err := s.writeKeys(ctx, tc, "allocation_keys", siteID, d.newAllocs); err != nil {
		return err
	}
	if err := s.closeVersions(ctx, tx, "allocation_versions", "alloc_key", cid, d.closeAlloc); err != nil {
		return err
	}
	s.stage("allocations")
	if err := s.insertFixed(ctx, tc, "allocation_versions", []string{"alloc_key", "type", "user_key",
		"directory", "user_id", "created", "last_used", "quarantined", "quarantine_end", "excess", "deleted_user"}, fixed, len(d.allocVers),
		func(i int, dst []any) []any {
			k, a := d.allocVers[i].key, &d.allocVers[i].row
			return append(dst, k, few.box(a.Type), a.UserKey, few.box(a.Directory), a.UserID, nullable(a.Created), nullable(a.LastUsed),
				b2i(a.Quarantined), nullable(a.QuarantineEnd), b2i(a.Excess), b2i(a.DeletedUser))
		}, ""); err != nil {
		return err
	}
	s.stage("users")
	if err := s.closeVersions(ctx, tx, "user_versions", "user_key", cid, d.closeUser); err != nil {
		return err
	}
	return s.insertFixed(ctx, tc, "user_versions", []string{"user_key", "directory", "user_id", "name",
		"created", "inactive", "blocked", "removed_externally", "tags", "custom_properties", "roles"}, fixed, len(d.userVers),
		func(i int, dst []any) []any {
			k, u := d.userVers[i].key, &d.userVers[i].row
			return append(dst, k, few.box(u.Directory), u.UserID, u.Name, nullable(u.Created), b2i(u.Inactive), b2i(u.Blocked),
				b2i(u.RemovedExtly), nullStr(u.Tags), nullStr(u.CustomProperties), nullStr(u.Roles))
		}, "")
}

// writeRest writes the rest of d after writePerUser: the counters, the new
// user keys users (those diffRest assigned, when writePerUser wrote
// diffPerUser's), authoring, the license and capacity use.
func (s *sqlStore) writeRest(ctx context.Context, tc txConn, siteID, cid int64, snap *license.Snapshot, d *delta, users []keyRow) error {
	tx := tc.Tx
	var counters [][]any
	for _, c := range snap.Counters {
		counters = append(counters, []any{cid, string(c.Type), b2i(c.Enabled), c.Total, c.Allocated, c.Used,
			c.Quarantined, c.Excess, c.Available, c.Unavailable, c.TokenCost})
	}
	if err := s.insertRows(ctx, tx, "counters", []string{"collection_id", "type", "enabled", "total", "allocated", "used",
		"quarantined", "excess", "available", "unavailable", "token_cost"}, counters, ""); err != nil {
		return err
	}
	if err := s.writeKeys(ctx, tc, "user_keys", siteID, users); err != nil {
		return err
	}
	if err := s.closeVersions(ctx, tx, "authoring_versions", "user_key", cid, d.closeAuth); err != nil {
		return err
	}
	if err := s.insertFixed(ctx, tc, "authoring_versions", []string{"user_key", "apps_owned",
		"apps_published", "objects_owned", "objects_published", "data_connections_owned", "last_authored"},
		[]fixedCol{{"valid_from", cid}, {"site_id", siteID}}, len(d.authVers),
		func(i int, dst []any) []any {
			k, a := d.authVers[i].key, &d.authVers[i].row
			return append(dst, k, a.AppsOwned, a.AppsPublished, a.ObjectsOwned, a.ObjectsPublished,
				a.DataConnectionsOwned, nullable(a.LastAuthored))
		}, ""); err != nil {
		return err
	}
	if l := d.license; l != nil {
		if _, err := tx.ExecContext(ctx, s.q("UPDATE license_versions SET valid_to = ? WHERE site_id = ? AND valid_to IS NULL"), cid, siteID); err != nil {
			return fmt.Errorf("close license version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO license_versions (site_id, valid_from, model, product, name, organization,
			serial_tail, license_valid_to, expired, invalid, blacklisted, total_tokens, available_tokens)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), siteID, cid, l.Model, l.Product, l.Name, l.Organization,
			l.SerialTail, nullable(l.ValidTo), b2i(l.Expired), b2i(l.Invalid), b2i(l.Blacklisted), l.TotalTokens, l.AvailableTokens); err != nil {
			return fmt.Errorf("insert license version: %w", err)
		}
	}
	capRows := make([][]any, 0, len(d.capacity))
	for _, r := range d.capacity {
		capRows = append(capRows, []any{siteID, r[0], r[1], r[2]})
	}
	if err := s.insertRows(ctx, tx, "capacity_use", []string{"site_id", "month", "user_key", "minutes"}, capRows,
		"ON CONFLICT (site_id, month, user_key) DO UPDATE SET minutes = excluded.minutes"); err != nil {
		return err
	}
	return nil
}
