package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/licmon/licmon/internal/license"
)

// State digests let a following collection skip what did not change.
//
// The current per-user state of a site is split into parts (allocations,
// users, authoring, capacity use) and each part into digestBuckets buckets
// by a hash of the row's GUID (the user's, for authoring and capacity). A bucket's digest is the sum (two 64-bit lanes, modulo
// 2^64) of a SHA-256 of each open row, encoded field by field exactly as
// the diff compares it (the user's GUID standing for the user key, which
// the site's user_keys maps one to one). A sum, not a hash of the sorted
// rows, so that a save updates it from the rows it closes and opens, even
// when it saw only some of the users (partial users).
//
// Capacity use is upserted, never deleted, so its digest is that of the
// latest collection's rows, not of the stored ones: a bucket whose rows
// equal the last collection's equals what that collection stored.
//
// The digests of the latest collection are kept in state_digests, packed
// by pages of 256 buckets (state_digest_sites names that collection). A following collection
// computes its snapshot's digests, loads the open rows of only the buckets
// whose digests differ (bucketKeys) and diffs
// those: an unchanged site loads and diffs no per-user row. A store
// without digests for the site's latest collection (made before schema 9,
// or by a save that was told not to use them) loads the whole state once
// and writes them.

// digestBuckets is the number of buckets per part: about 1.5 allocations
// each on a 100k-user site, so that with 1% of the rows changed about 1.5%
// are read. Reading rows by key costs about ten times what a scan of all
// of them costs per row: with 4096 buckets (25 rows each), 1% changed read
// a fifth of the rows and took longer than the scan. The stored digests
// take 18 bytes per non-empty bucket (≈ 2 MB for 100k users), in pages of
// digestPage buckets, so that a save rewrites only the pages it changed.
const digestBuckets = 1 << 16

const digestPage = 256

// The parts of the per-user state that have digests.
const (
	partAllocs = iota
	partUsers
	partAuthoring
	partCapacity
	nParts
)

var partNames = [nParts]string{"allocations", "users", "authoring", "capacity"}

// digestSchema is the schema version that made state_digests.
const digestSchema = 9

// withDigests reports whether the store's schema has the digests: tests
// write stores of earlier schemas with this code (WithMaxVersion).
func (s *sqlStore) withDigests() bool {
	return s.opts.maxVersion == 0 || s.opts.maxVersion >= digestSchema
}

// digest is a bucket's digest; the zero digest is an empty bucket's. 64
// bits: two different states of a bucket share one by chance with a
// probability of 2^-64.
type digest uint64

func (d *digest) add(h digest) { *d += h }
func (d *digest) sub(h digest) { *d -= h }

func (d digest) String() string { return fmt.Sprintf("%016x", uint64(d)) }

// encodePage returns the stored form of a page of buckets: for each
// non-empty bucket in order, its index in the page (2 hex digits) and its
// digest (16 hex digits).
func encodePage(d partDigests, page int) string {
	b := make([]byte, 0, 18*16)
	var raw [9]byte
	for i := range digestPage {
		if x := d[page*digestPage+i]; x != 0 {
			// As "%02x%016x" would (a first save writes 100 000 of them).
			raw[0] = byte(i)
			binary.BigEndian.PutUint64(raw[1:], uint64(x))
			b = hex.AppendEncode(b, raw[:])
		}
	}
	return string(b)
}

// decodePage adds a stored page to d.
func decodePage(d partDigests, page int, s string) error {
	if len(s)%18 != 0 {
		return fmt.Errorf("stored digest page %d is %d characters long, not a multiple of 18", page, len(s))
	}
	var b [9]byte
	for ; s != ""; s = s[18:] {
		if _, err := hex.Decode(b[:], []byte(s[:18])); err != nil {
			return fmt.Errorf("stored digest page %d: %w", page, err)
		}
		d[page*digestPage+int(b[0])] = digest(binary.BigEndian.Uint64(b[1:]))
	}
	return nil
}

// partDigests are the digests of one part by bucket; a missing bucket's is zero.
type partDigests map[int]digest

// digestState is what a save knows of the stored digests.
type digestState struct {
	// ok: old holds the stored digests of the latest collection. If not,
	// the save loaded the whole current state and old is computed from it
	// when the digests are written.
	ok  bool
	old [nParts]partDigests
	// capacity: the snapshot's capacity digests, once computed.
	capacity partDigests
}

// bucketOf returns the bucket of a GUID: FNV-1a, fixed on every platform.
func bucketOf(guid string) int {
	h := uint32(2166136261)
	for i := 0; i < len(guid); i++ {
		h ^= uint32(guid[i])
		h *= 16777619
	}
	return int(h % digestBuckets)
}

// rowHasher encodes rows into a reused buffer and hashes them.
type rowHasher struct{ buf []byte }

func (h *rowHasher) start(tag byte) { h.buf = append(h.buf[:0], tag) }
func (h *rowHasher) str(s string) {
	h.buf = binary.AppendUvarint(h.buf, uint64(len(s)))
	h.buf = append(h.buf, s...)
}
func (h *rowHasher) i64(v int64) { h.buf = binary.BigEndian.AppendUint64(h.buf, uint64(v)) }
func (h *rowHasher) flag(v bool) {
	if v {
		h.buf = append(h.buf, 1)
	} else {
		h.buf = append(h.buf, 0)
	}
}
func (h *rowHasher) nullInt(n sql.NullInt64) {
	h.flag(n.Valid)
	if n.Valid {
		h.i64(n.Int64)
	}
}
func (h *rowHasher) nullStr(n sql.NullString) {
	h.flag(n.Valid)
	if n.Valid {
		h.str(n.String)
	}
}
func (h *rowHasher) sum() digest {
	s := sha256.Sum256(h.buf)
	return digest(binary.BigEndian.Uint64(s[:8]))
}

// alloc hashes an open allocation version (its UserKey stands as userGUID).
func (h *rowHasher) alloc(guid, userGUID string, a allocRow) digest {
	h.start('a')
	h.str(guid)
	h.str(a.Type)
	h.str(userGUID)
	h.str(a.Directory)
	h.str(a.UserID)
	h.nullInt(a.Created)
	h.nullInt(a.LastUsed)
	h.flag(a.Quarantined)
	h.nullInt(a.QuarantineEnd)
	h.flag(a.Excess)
	h.flag(a.DeletedUser)
	return h.sum()
}

func (h *rowHasher) user(guid string, u userRow) digest {
	h.start('u')
	h.str(guid)
	h.str(u.Directory)
	h.str(u.UserID)
	h.str(u.Name)
	h.nullInt(u.Created)
	h.flag(u.Inactive)
	h.flag(u.Blocked)
	h.flag(u.RemovedExtly)
	h.nullStr(u.Tags)
	h.nullStr(u.CustomProperties)
	h.nullStr(u.Roles)
	return h.sum()
}

func (h *rowHasher) capacity(guid, month string, minutes int64) digest {
	h.start('c')
	h.str(guid)
	h.str(month)
	h.i64(minutes)
	return h.sum()
}

func (h *rowHasher) auth(guid string, a authRow) digest {
	h.start('w')
	h.str(guid)
	h.i64(a.AppsOwned)
	h.i64(a.AppsPublished)
	h.i64(a.ObjectsOwned)
	h.i64(a.ObjectsPublished)
	h.i64(a.DataConnectionsOwned)
	h.nullInt(a.LastAuthored)
	return h.sum()
}

// toAllocRow is the stored form of an allocation, as diff builds it.
func toAllocRow(a license.Allocation, userKey int64) allocRow {
	return allocRow{Type: string(a.Type), UserKey: userKey, Directory: a.Directory, UserID: a.UserID,
		Created: unixOf(a.Created), LastUsed: unixOf(a.LastUsed), Quarantined: a.Quarantined,
		QuarantineEnd: unixOf(a.QuarantineEnd), Excess: a.Excess, DeletedUser: a.DeletedUser}
}

// snapshotDigests returns the digests of a normalized snapshot's parts;
// with partial users, the users part is nil (not comparable).
func snapshotDigests(snap *license.Snapshot) [nParts]partDigests {
	return snapshotDigestsOf(snap, [nParts]partDigests{})
}

// snapshotDigestsOf is snapshotDigests with the parts known (non-nil)
// taken as they are: a staged save computes the users' and allocations'
// while the rest of the collection is being read.
func snapshotDigestsOf(snap *license.Snapshot, known [nParts]partDigests) [nParts]partDigests {
	out := known
	var wg sync.WaitGroup
	run := func(p int, f func(h *rowHasher, d partDigests)) {
		if known[p] != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := partDigests{}
			f(&rowHasher{}, d)
			out[p] = d
		}()
	}
	run(partAllocs, func(h *rowHasher, d partDigests) {
		for _, a := range snap.Allocations {
			b := bucketOf(a.ID)
			x := d[b]
			x.add(h.alloc(a.ID, a.UserGUID, toAllocRow(a, 0)))
			d[b] = x
		}
	})
	if !snap.UsersPartial {
		run(partUsers, func(h *rowHasher, d partDigests) {
			for _, u := range snap.Users {
				b := bucketOf(u.ID)
				x := d[b]
				x.add(h.user(u.ID, toUserRow(u)))
				d[b] = x
			}
		})
	}
	run(partAuthoring, func(h *rowHasher, d partDigests) {
		for _, a := range snap.Authoring {
			b := bucketOf(a.UserGUID)
			x := d[b]
			x.add(h.auth(a.UserGUID, toAuthRow(a)))
			d[b] = x
		}
	})
	if known[partCapacity] == nil {
		out[partCapacity] = capacityDigests(snap)
	}
	wg.Wait()
	return out
}

func capacityDigests(snap *license.Snapshot) partDigests {
	var h rowHasher
	d := partDigests{}
	for _, cu := range snap.Capacity {
		b := bucketOf(cu.UserGUID)
		x := d[b]
		x.add(h.capacity(cu.UserGUID, cu.Month, cu.Minutes))
		d[b] = x
	}
	return d
}

// bucketSet selects the buckets of a part to load: all of them, or those
// in in (none if it is empty).
type bucketSet struct {
	all bool
	in  map[int]bool
	// keys: the ids of the keys in the buckets in, once read (bucketKeys).
	keys []any
}

var allBuckets = &bucketSet{all: true}

// changedBuckets returns the buckets whose digests differ. If more than
// an eighth of the stored buckets do, reading the whole part (a scan)
// costs less than reading those by key (about ten times a scanned row's
// cost per row).
func changedBuckets(old, now partDigests) *bucketSet {
	set := &bucketSet{in: map[int]bool{}}
	for b, d := range now {
		if old[b] != d {
			set.in[b] = true
		}
	}
	for b, d := range old {
		if now[b] != d {
			set.in[b] = true
		}
	}
	if len(set.in) > max(len(old)/8, 64) {
		return allBuckets
	}
	return set
}

// digestView returns the part of snap that may differ from the stored
// state: its rows in the changed buckets (all users if they are partial).
func digestView(snap *license.Snapshot, sets [nParts]*bucketSet) *license.Snapshot {
	v := *snap
	if s := sets[partAllocs]; !s.all {
		v.Allocations = nil
		for _, a := range snap.Allocations {
			if s.in[bucketOf(a.ID)] {
				v.Allocations = append(v.Allocations, a)
			}
		}
	}
	if s := sets[partUsers]; !snap.UsersPartial && !s.all {
		v.Users = nil
		for _, u := range snap.Users {
			if s.in[bucketOf(u.ID)] {
				v.Users = append(v.Users, u)
			}
		}
	}
	if s := sets[partAuthoring]; !s.all {
		v.Authoring = nil
		for _, a := range snap.Authoring {
			if s.in[bucketOf(a.UserGUID)] {
				v.Authoring = append(v.Authoring, a)
			}
		}
	}
	if s := sets[partCapacity]; !s.all {
		v.Capacity = nil
		for _, cu := range snap.Capacity {
			if s.in[bucketOf(cu.UserGUID)] {
				v.Capacity = append(v.Capacity, cu)
			}
		}
	}
	return &v
}

// loadDigests reads into c.dig the site's stored digests if they are those
// of its latest collection c.lastID.
func (s *sqlStore) loadDigests(ctx context.Context, q queryer, siteID int64, c *current) error {
	c.dig = &digestState{}
	if s.opts.noDigests || !s.withDigests() {
		return nil
	}
	var of int64
	err := q.QueryRowContext(ctx, s.q("SELECT collection_id FROM state_digest_sites WHERE site_id = ?"), siteID).Scan(&of)
	if err == sql.ErrNoRows || (err == nil && of != c.lastID) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load state digests: %w", err)
	}
	part := map[string]int{}
	for i, n := range partNames {
		part[n] = i
		c.dig.old[i] = partDigests{}
	}
	err = scanAll(ctx, q, s.q("SELECT part, page, digests FROM state_digests WHERE site_id = ?"), []any{siteID},
		func(r *sql.Rows) error {
			var p, text string
			var page int
			if err := r.Scan(&p, &page, &text); err != nil {
				return err
			}
			i, ok := part[p]
			if !ok {
				return fmt.Errorf("unknown part %q", p)
			}
			return decodePage(c.dig.old[i], page, text)
		})
	if err != nil {
		return fmt.Errorf("load state digests: %w", err)
	}
	c.dig.ok = true
	return nil
}

// writeDigests stores the digests of the state collection cid leaves:
// with all users in snap, the snapshot's own (the stored state is now
// snap's); else the stored ones updated by the versions d closes and
// opens, computed first from the whole state the save loaded if there
// were none.
func (s *sqlStore) writeDigests(ctx context.Context, tx *sql.Tx, siteID, cid int64, snap *license.Snapshot, c *current, d *delta) error {
	if !s.withDigests() {
		return nil
	}
	wrap := func(err error) error { return fmt.Errorf("write state digests: %w", err) }
	full := c.dig == nil || !c.dig.ok
	var touched [nParts]map[int]bool
	dig := c.dig
	switch {
	case full && !snap.UsersPartial:
		dig = &digestState{old: snapshotDigestsOf(snap, c.known)}
	case full:
		dig = &digestState{old: c.digests()}
		fallthrough
	default:
		touched = dig.update(c, d, snap)
	}

	var rows [][]any
	for p := range nParts {
		pages := map[int]bool{}
		if full {
			for b, x := range dig.old[p] {
				if x != 0 {
					pages[b/digestPage] = true
				}
			}
		} else {
			for b := range touched[p] {
				pages[b/digestPage] = true
			}
		}
		for page := range pages {
			rows = append(rows, []any{siteID, partNames[p], int64(page), encodePage(dig.old[p], page)})
		}
	}
	// Sorted: rows in primary-key order, the same statements every run.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i][1] != rows[j][1] {
			return rows[i][1].(string) < rows[j][1].(string)
		}
		return rows[i][2].(int64) < rows[j][2].(int64)
	})
	if full {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM state_digests WHERE site_id = ?"), siteID); err != nil {
			return wrap(err)
		}
		if c.hasLast {
			if err := s.setBuckets(ctx, tx, siteID); err != nil {
				return wrap(err)
			}
		}
	}
	if err := s.insertRows(ctx, tx, "state_digests", []string{"site_id", "part", "page", "digests"}, rows,
		"ON CONFLICT (site_id, part, page) DO UPDATE SET digests = excluded.digests"); err != nil {
		return wrap(err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO state_digest_sites (site_id, collection_id) VALUES (?, ?)
		ON CONFLICT (site_id) DO UPDATE SET collection_id = excluded.collection_id`), siteID, cid); err != nil {
		return wrap(err)
	}
	return nil
}

// digests computes the digests of the whole current state c holds
// (every open row loaded), but capacity's, which are the snapshot's.
func (c *current) digests() [nParts]partDigests {
	var h rowHasher
	var out [nParts]partDigests
	for p := range out {
		out[p] = partDigests{}
	}
	allocGUID := make(map[int64]string, len(c.allocKeys))
	for g, k := range c.allocKeys {
		allocGUID[k] = g
	}
	add := func(p int, g string, x digest) {
		b := bucketOf(g)
		y := out[p][b]
		y.add(x)
		out[p][b] = y
	}
	for k, a := range c.allocs {
		add(partAllocs, allocGUID[k], h.alloc(allocGUID[k], c.userGUIDOf[a.UserKey], a))
	}
	for k, u := range c.users {
		add(partUsers, c.userGUIDOf[k], h.user(c.userGUIDOf[k], u))
	}
	for k, a := range c.authoring {
		add(partAuthoring, c.userGUIDOf[k], h.auth(c.userGUIDOf[k], a))
	}
	return out
}

// update applies to dig the versions d closes (rows of c) and opens, and
// sets the capacity digests to snap's; it returns the buckets it changed.
func (dig *digestState) update(c *current, d *delta, snap *license.Snapshot) [nParts]map[int]bool {
	var h rowHasher
	touched := [nParts]map[int]bool{{}, {}, {}, {}}
	capNow := dig.capacity
	if capNow == nil {
		capNow = capacityDigests(snap)
	}
	for b, x := range capNow {
		if dig.old[partCapacity][b] != x {
			dig.old[partCapacity][b], touched[partCapacity][b] = x, true
		}
	}
	for b := range dig.old[partCapacity] {
		if _, ok := capNow[b]; !ok {
			dig.old[partCapacity][b], touched[partCapacity][b] = 0, true
		}
	}
	// GUIDs of the keys: of the rows read, looked up, or new.
	allocGUID := make(map[int64]string, len(c.allocKeys)+len(d.newAllocs))
	for g, k := range c.allocKeys {
		allocGUID[k] = g
	}
	for _, k := range d.newAllocs {
		allocGUID[k.id] = k.guid
	}
	userGUID := func(k int64) string {
		if g, ok := c.userGUIDOf[k]; ok {
			return g
		}
		return c.newUserGUID(d, k)
	}
	apply := func(p int, g string, x digest, sign int) {
		b := bucketOf(g)
		y := dig.old[p][b]
		if sign < 0 {
			y.sub(x)
		} else {
			y.add(x)
		}
		dig.old[p][b], touched[p][b] = y, true
	}
	for _, k := range d.closeAlloc {
		g, a := allocGUID[k], c.allocs[k]
		apply(partAllocs, g, h.alloc(g, userGUID(a.UserKey), a), -1)
	}
	for _, v := range d.allocVers {
		g := allocGUID[v.key]
		apply(partAllocs, g, h.alloc(g, userGUID(v.row.UserKey), v.row), 1)
	}
	for _, k := range d.closeUser {
		g := userGUID(k)
		apply(partUsers, g, h.user(g, c.users[k]), -1)
	}
	for _, v := range d.userVers {
		g := userGUID(v.key)
		apply(partUsers, g, h.user(g, v.row), 1)
	}
	for _, k := range d.closeAuth {
		g := userGUID(k)
		apply(partAuthoring, g, h.auth(g, c.authoring[k]), -1)
	}
	for _, v := range d.authVers {
		g := userGUID(v.key)
		apply(partAuthoring, g, h.auth(g, v.row), 1)
	}
	return touched
}

// newUserGUID returns the GUID of a user key diff made (d.newUsers), and
// remembers the new keys' GUIDs in c on its first call.
func (c *current) newUserGUID(d *delta, k int64) string {
	if c.newUsersKnown < len(d.newUsers) {
		for _, n := range d.newUsers[c.newUsersKnown:] {
			c.userGUIDOf[n.id] = n.guid
		}
		c.newUsersKnown = len(d.newUsers)
	}
	return c.userGUIDOf[k]
}

// setBuckets sets the bucket of the site's keys made before schema 9.
func (s *sqlStore) setBuckets(ctx context.Context, tx *sql.Tx, siteID int64) error {
	for _, table := range []string{"user_keys", "allocation_keys"} {
		byBucket := map[int][]any{}
		if err := scanAll(ctx, tx, s.q("SELECT id, guid FROM "+table+" WHERE site_id = ? AND bucket IS NULL"), []any{siteID},
			func(r *sql.Rows) error {
				var id int64
				var g string
				if err := r.Scan(&id, &g); err != nil {
					return err
				}
				b := bucketOf(g)
				byBucket[b] = append(byBucket[b], id)
				return nil
			}); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		for b, ids := range byBucket {
			if err := inChunks(ids, func(chunk []any, marks string) error {
				_, err := tx.ExecContext(ctx, s.q("UPDATE "+table+" SET bucket = "+strconv.Itoa(b)+" WHERE id IN ("+marks+")"), chunk...)
				return err
			}); err != nil {
				return fmt.Errorf("set buckets of %s: %w", table, err)
			}
		}
	}
	return nil
}

// bucketKeys sets the keys of each set (of a part whose keys are table's)
// to the ids of the site's keys in its buckets, in id order: one statement
// for all the sets (each lists at most 8 192 buckets, changedBuckets: the
// three of user_keys fit one statement's parameters), which the database
// runs as one scan of the site's keys. The key tables have no index of the bucket (schema 10): at
// a first collection, maintaining one at random places cost more than
// this scan costs a following collection. Nothing is read when no set
// lists buckets.
func (s *sqlStore) bucketKeys(ctx context.Context, q queryer, table string, siteID int64, sets ...*bucketSet) error {
	var want []*bucketSet
	union := map[int]bool{}
	for _, set := range sets {
		if !set.all && len(set.in) > 0 {
			want = append(want, set)
			for b := range set.in {
				union[b] = true
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	args := make([]any, 0, len(union)+1)
	args = append(args, siteID)
	for b := range union {
		args = append(args, int64(b))
	}
	per := make([][]int64, len(want))
	// "+site_id": not the (site_id, guid) index, which would look every
	// key of the site up in the table for its bucket: a scan of the table.
	query := "SELECT id, bucket FROM " + table + " WHERE +site_id = ? AND bucket IN (" +
		strings.TrimSuffix(strings.Repeat("?,", len(union)), ",") + ")"
	err := scanAll(ctx, q, s.q(query), args, func(r *sql.Rows) error {
		var id, b int64
		if err := r.Scan(&id, &b); err != nil {
			return err
		}
		for i, set := range want {
			if set.in[int(b)] {
				per[i] = append(per[i], id)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	for i, set := range want {
		sortKeys(per[i])
		set.keys = make([]any, len(per[i]))
		for j, k := range per[i] {
			set.keys[j] = k
		}
	}
	return nil
}

// bucketFilter calls f with the SQL condition and arguments that select
// the keys (column col, a key id) of a bucket set, whose keys bucketKeys
// read, in chunks small enough for a statement: once with none for all
// buckets, never for no key. The condition selects keys of the site only
// and by primary key: a query with it needs no other condition on the
// site (which could make the database read the site's keys by another
// index instead).
func bucketFilter(set *bucketSet, col string, f func(cond string, args []any) error) error {
	if set.all {
		return f("", nil)
	}
	return inChunks(set.keys, func(chunk []any, marks string) error {
		return f(col+" IN ("+marks+")", chunk)
	})
}
