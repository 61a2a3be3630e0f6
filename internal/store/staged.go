package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// StagedSaver is implemented by stores that can begin saving a site's
// first collection before the collection has been read whole. A collector
// has a site's users and allocations long before its app objects (200 000
// of them on a site of 100 000 users, the last list to arrive), and a
// first collection writes a row for every user and allocation: written
// while the objects are still being read, they no longer wait for them.
//
// BeginSave takes the collection's site, time, users and allocations
// (every other part of part is ignored) and opens the save's transaction.
// It takes the users and allocations over: it may reorder and rewrite
// them in place (in the form reads return), so the caller keeps only
// their number, not their order, and must not change them.
// For a site without a collection yet it writes the users and allocations
// in it at once; for any other site it only opens it, and Finish does the
// whole save as SaveSnapshotBackfill would. Either way the collection is
// committed only by Finish, in one transaction: a save that is aborted,
// fails or is stopped leaves nothing of it. On SQLite, the transaction
// holds the store's write lock from BeginSave's first write until Finish
// or Abort. On PostgreSQL, BeginSave only keeps the users and
// allocations, and Finish does the whole save (see BeginSave).
type StagedSaver interface {
	BeginSave(ctx context.Context, part *license.Snapshot) (StagedSave, error)
}

// StagedSave is a save begun by BeginSave. Exactly one of Finish and Abort
// ends it (Abort after Finish does nothing).
type StagedSave interface {
	// Finish saves the rest of the collection and commits it, as
	// SaveSnapshotBackfill with in (whose site and time must be BeginSave's;
	// its users and allocations are BeginSave's, whatever in holds).
	Finish(ctx context.Context, in *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error)
	// Abort rolls the save back.
	Abort()
}

// saveTx is one save's transaction, on a connection of its own (txConn),
// between begin and finish. For a first collection (staged), begin has
// written the users and allocations (diffPerUser, writePerUser) and finish
// writes the rest; otherwise finish does all of it (saveFollowing).
type saveTx struct {
	s       *sqlStore
	conn    *sql.Conn
	tx      *sql.Tx
	restore func() // SQLite's settings of the connection before the save
	part    *license.Snapshot
	siteID  int64
	done    bool // committed or rolled back

	// Of a staged first collection:
	staged  bool
	cur     *current
	d       *delta
	cid     int64
	changes int // the collection row's changes, as begin wrote them
}

// BeginSave begins a staged save (StagedSaver).
func (s *sqlStore) BeginSave(ctx context.Context, part *license.Snapshot) (StagedSave, error) {
	p, err := normalizePerUser(part, true)
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if s.dialect != dialectSQLite {
		// PostgreSQL loads a first collection into empty tables before
		// their indexes and foreign keys (pgbulk.go), which locks those
		// tables, and sites, against every reader until the commit: held
		// while the rest of the collection is read, that would stop the
		// collector's own reads of the store (and any dashboard) until
		// the save ended. Its save begins in Finish.
		return &deferredSave{s: s, part: p}, nil
	}
	return s.begin(ctx, p, 0)
}

// deferredSave is a staged save that writes nothing before Finish.
type deferredSave struct {
	s    *sqlStore
	part *license.Snapshot
	done bool
}

func (d *deferredSave) Finish(ctx context.Context, in *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error) {
	if d.done {
		return nil, errors.New("save snapshot: the save has ended already")
	}
	d.done = true
	snap, err := completeSnapshot(d.part, in)
	if err != nil {
		return nil, err
	}
	b, err := d.s.begin(ctx, snap, len(snap.Authoring))
	if err != nil {
		return nil, err
	}
	defer b.abort()
	return b.finish(ctx, snap, reconstruct)
}

func (d *deferredSave) Abort() { d.done = true }

// completeSnapshot is in, normalized, with the users and allocations of
// part (normalizePerUser's, of the same site and time).
func completeSnapshot(part, in *license.Snapshot) (*license.Snapshot, error) {
	if in == nil || strings.TrimSpace(in.Site) != part.Site || !sec(in.At).Equal(part.At) {
		return nil, fmt.Errorf("save snapshot: %w: finished with another site or time than begun (%s at %s)", ErrInvalidSnapshot,
			part.Site, part.At.Format(time.RFC3339))
	}
	snap := &license.Snapshot{Site: part.Site, At: part.At, UsersPartial: part.UsersPartial, UserCount: part.UserCount,
		Users: part.Users, Allocations: part.Allocations}
	if err := normalizeRest(in, snap); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	return snap, nil
}

// begin opens a save of part (normalized: the whole snapshot, or
// normalizePerUser's part of it), with room in SQLite's page cache for
// authoring more rows than part's, and for a first collection writes
// part's users and allocations.
func (s *sqlStore) begin(ctx context.Context, part *license.Snapshot, authoring int) (_ *saveTx, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("save snapshot: begin: %w", err)
	}
	b := &saveTx{s: s, conn: conn, part: part}
	defer func() {
		if err != nil {
			b.abort()
		}
	}()
	if s.dialect == dialectSQLite {
		if b.restore, err = sqliteSaveSettings(ctx, conn, len(part.Users)+len(part.Allocations)+authoring); err != nil {
			return nil, fmt.Errorf("save snapshot: %w", err)
		}
	}
	if b.tx, err = conn.BeginTx(ctx, nil); err != nil {
		return nil, fmt.Errorf("save snapshot: begin: %w", err)
	}
	s.stage("begin")
	if b.siteID, err = s.siteID(ctx, b.tx, part.Site, part.At, true); err != nil {
		return nil, err
	}
	last := &current{}
	if err := s.lastCollection(ctx, b.tx, b.siteID, last); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if last.hasLast {
		return b, nil // saveFollowing, in finish
	}
	if part.UsersPartial {
		return nil, fmt.Errorf("save snapshot of %s: %w (the first collection must hold every user)", part.Site, ErrPartialUsers)
	}
	cur, _, err := s.loadCurrent(ctx, b.tx, b.siteID, part)
	if err != nil {
		return nil, err
	}
	d := &delta{}
	diffPerUser(cur, part, d)
	cid, err := s.insertCollection(ctx, b.tx, b.siteID, part, len(part.Users), d.summary.Total())
	if err != nil {
		return nil, err
	}
	if err := s.writePerUser(ctx, b.tc(), b.siteID, cid, d, d.newUsers); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if s.withDigests() {
		// Now rather than after the last list has been read.
		known := snapshotDigests(&license.Snapshot{Users: part.Users, Allocations: part.Allocations})
		cur.known[partUsers], cur.known[partAllocs] = known[partUsers], known[partAllocs]
	}
	// What Finish does not need is let go now: the rows written, and the
	// new keys (Finish writes those diffRest adds).
	d.allocVers, d.userVers, d.newAllocs, d.newUsers = nil, nil, nil, nil
	b.staged, b.cur, b.d, b.cid, b.changes = true, cur, d, cid, d.summary.Total()
	return b, nil
}

// Finish completes a staged save (StagedSave).
func (b *saveTx) Finish(ctx context.Context, in *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error) {
	defer b.abort()
	if b.done {
		return nil, errors.New("save snapshot: the save has ended already")
	}
	snap, err := completeSnapshot(b.part, in)
	if err != nil {
		return nil, err
	}
	return b.finish(ctx, snap, reconstruct)
}

// Abort rolls a staged save back (StagedSave).
func (b *saveTx) Abort() { b.abort() }

// finish saves snap (normalized; its users and allocations those begin
// had) and commits.
func (b *saveTx) finish(ctx context.Context, snap *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*SaveResult, error) {
	s := b.s
	if !b.staged {
		return s.saveFollowing(ctx, b, snap, reconstruct)
	}
	d := b.d
	diffRest(b.cur, snap, d)
	res := &SaveResult{First: true, Changes: d.summary, CollectionID: b.cid}
	if n := d.summary.Total(); n != b.changes {
		if _, err := b.tx.ExecContext(ctx, s.q("UPDATE collections SET changes = ? WHERE id = ?"), n, b.cid); err != nil {
			return nil, fmt.Errorf("save snapshot: count the changes: %w", err)
		}
	}
	if err := s.writeRest(ctx, b.tc(), b.siteID, b.cid, snap, d, d.newUsers); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if err := s.writeDigests(ctx, b.tx, b.siteID, b.cid, snap, b.cur, d); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if err := b.commit(ctx, snap, reconstruct, res); err != nil {
		return nil, err
	}
	return res, nil
}

// commit writes the backfill, if asked for, and commits.
func (b *saveTx) commit(ctx context.Context, snap *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters, res *SaveResult) error {
	s := b.s
	if reconstruct != nil {
		s.stage("backfill")
		var err error
		if res.Backfilled, err = s.backfill(ctx, b.tx, b.siteID, snap, reconstruct); err != nil {
			return fmt.Errorf("save snapshot of %s: %w", snap.Site, err)
		}
	}
	s.stage("before-commit")
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("save snapshot: commit: %w", err)
	}
	b.done = true
	s.stage("committed")
	return nil
}

// tc is the transaction with its connection, for insertN.
func (b *saveTx) tc() txConn { return txConn{b.tx, b.conn} }

// abort rolls back what is not committed, restores the connection's
// settings and returns it to the pool.
func (b *saveTx) abort() {
	if !b.done && b.tx != nil {
		_ = b.tx.Rollback()
	}
	b.done = true
	if b.restore != nil {
		b.restore()
		b.restore = nil
	}
	if b.conn != nil {
		b.conn.Close()
		b.conn = nil
	}
}
