package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPoll is how often a standby tries the lock and the leader
// re-verifies it. A leader whose process dies loses its session, and with
// it the lock, at once: a standby takes over within one poll. A leader
// whose machine or network goes away is noticed by PostgreSQL's TCP
// keepalives, which every session sets (KeepaliveLoss, 25 s): a standby
// takes over within KeepaliveLoss + Poll = 35 s.
const DefaultPoll = 10 * time.Second

// KeepaliveLoss is the longest PostgreSQL takes to end the session of a
// leader that went silent: the session sets tcp_keepalives_idle 10 s,
// interval 5 s, count 3. (It does not apply to a Unix socket, where the
// peer's death is seen at once.)
const KeepaliveLoss = 25 * time.Second

// HandoverWithin is the stated handover time with the default poll: a
// standby leads within this after the leader died, whichever way.
const HandoverWithin = KeepaliveLoss + DefaultPoll

// PostgresOptions configure a Postgres elector.
type PostgresOptions struct {
	// Config is the connection (serve parses the store's DSN with
	// store.PostgresConfig, which applies db_password_file). When nil, DSN
	// is parsed: postgres://... or key=value, a password from it, from
	// Password, a passfile or PGPASSWORD; it is never logged.
	Config *pgx.ConnConfig
	DSN    string
	// Password, when set, overrides the DSN's.
	Password string
	// Shard names the sites this instance runs; instances with the same
	// shard elect one leader.
	Shard string
	// Instance is this instance's identity (default DefaultInstance()).
	Instance string
	// Poll is how often a standby tries the lock and the leader
	// re-verifies it (default DefaultPoll).
	Poll time.Duration
	// Logger receives the elections: leading, lost, connection errors.
	Logger *slog.Logger
}

// Postgres elects through a session-level advisory lock held on a
// dedicated connection while leading. Lost connection, lost lock: the
// leader re-verifies the lock every poll, and stops leading when it cannot
// (its work is cancelled through the context Campaign returned).
type Postgres struct {
	cfg             *pgx.ConnConfig
	key             int64 // the shard's lock key in the session's schema; set by connectLocked
	instance, shard string
	poll            time.Duration
	log             *slog.Logger

	mu      sync.Mutex // guards conn: a pgx.Conn is not for concurrent use
	conn    *pgx.Conn
	leading bool
	// lost is set when leadership was lost (not given up): the next
	// campaign waits a poll first, so that a standby, which tries every
	// poll, takes the lock rather than the instance that just lost its
	// session reconnecting and taking it back at once.
	lost   bool
	cancel context.CancelFunc // ends the current leadership
	// warned avoids a warning every poll while PostgreSQL is down.
	warned bool
}

// NewPostgres returns an elector over the database of opts.DSN. It does
// not connect: Campaign does, and keeps trying while the database is away.
func NewPostgres(opts PostgresOptions) (*Postgres, error) {
	cfg := opts.Config
	if cfg == nil {
		var err error
		if cfg, err = pgx.ParseConfig(opts.DSN); err != nil {
			// pgx's parse errors mask the password already; say what to fix.
			return nil, fmt.Errorf("leader election: the PostgreSQL connection string is not valid (postgres://user@host:5432/db or key=value): %w", err)
		}
	} else {
		cfg = cfg.Copy()
	}
	if opts.Password != "" {
		cfg.Password = opts.Password
	}
	if opts.Instance == "" {
		opts.Instance = DefaultInstance()
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	// pg_stat_activity then shows which instance holds the lock.
	cfg.RuntimeParams["application_name"] = truncate("licmon serve "+opts.Instance, 63)
	return &Postgres{cfg: cfg, instance: opts.Instance, shard: opts.Shard,
		poll: opts.Poll, log: opts.Logger.With("component", "leader", "instance", opts.Instance, "shard", opts.Shard)}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Instance implements Elector.
func (p *Postgres) Instance() string { return p.instance }

// Shard implements Elector.
func (p *Postgres) Shard() string { return p.shard }

// Poll is the interval of lock attempts and re-verifications.
func (p *Postgres) Poll() time.Duration { return p.poll }

// Leading implements Elector.
func (p *Postgres) Leading() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leading
}

// Campaign tries the lock every poll until it gets it or ctx ends; after a
// lost leadership it waits a poll before its first try.
func (p *Postgres) Campaign(ctx context.Context) (context.Context, error) {
	p.mu.Lock()
	lost := p.lost
	p.lost = false
	p.mu.Unlock()
	if lost {
		t := time.NewTimer(p.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	for {
		ok, err := p.tryLock(ctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			p.mu.Lock()
			first := !p.warned
			p.warned = true
			p.mu.Unlock()
			if first {
				p.log.Warn("leader election: PostgreSQL unreachable, retrying every poll", "poll", p.poll, "err", err)
			}
		}
		if ok {
			return p.lead(ctx), nil
		}
		t := time.NewTimer(p.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// tryLock connects if needed and tries the lock once.
func (p *Postgres) tryLock(ctx context.Context) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	qctx, cancel := context.WithTimeout(ctx, p.queryTimeout())
	defer cancel()
	if err := p.connectLocked(qctx); err != nil {
		return false, err
	}
	var ok bool
	if err := p.conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", p.key).Scan(&ok); err != nil {
		p.dropLocked()
		return false, fmt.Errorf("try the advisory lock: %w", err)
	}
	if p.warned {
		p.log.Info("leader election: PostgreSQL reachable again")
		p.warned = false
	}
	return ok, nil
}

// queryTimeout bounds one election query: at most 5 s, so a leader cut off
// from PostgreSQL stops leading well before KeepaliveLoss lets a standby
// take over; at least 1 s, so a busy database is not taken for a lost one.
func (p *Postgres) queryTimeout() time.Duration { return min(max(p.poll, time.Second), 5*time.Second) }

// connectLocked opens the dedicated session. Callers hold p.mu.
func (p *Postgres) connectLocked(ctx context.Context) error {
	if p.conn != nil && !p.conn.IsClosed() {
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	// PostgreSQL ends a silent leader's session, and so frees the lock,
	// within KeepaliveLoss instead of the system's two hours. These
	// settings are per session and need no privilege.
	if _, err := conn.Exec(ctx, "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3"); err != nil {
		conn.Close(context.Background())
		return fmt.Errorf("set the session's keepalives: %w", err)
	}
	if err := createState(ctx, conn); err != nil {
		conn.Close(context.Background())
		return err
	}
	// The key names the shard within the store's schema (the DSN's
	// search_path): two licmon stores in one database elect apart, as
	// their write locks are apart.
	if err := conn.QueryRow(ctx, "SELECT hashtextextended('licmon serve leader ' || current_schema() || ' ' || $1, 0)", p.shard).Scan(&p.key); err != nil {
		conn.Close(context.Background())
		return fmt.Errorf("compute the leader lock key: %w", err)
	}
	p.conn = conn
	return nil
}

// dropLocked closes the session, which releases the lock if it was held.
// Callers hold p.mu.
func (p *Postgres) dropLocked() {
	if p.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	p.conn.Close(ctx)
	cancel()
	p.conn = nil
}

// lead marks this instance the leader and watches the lock until it is lost
// or ctx ends.
func (p *Postgres) lead(ctx context.Context) context.Context {
	lctx, cancel := context.WithCancel(ctx)
	p.mu.Lock()
	p.leading, p.cancel = true, cancel
	p.mu.Unlock()
	p.log.Info("leading: this instance runs the schedules and sends the alerts")
	go func() {
		t := time.NewTicker(p.poll)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				p.mu.Lock()
				p.leading = false
				p.mu.Unlock()
				return
			case <-t.C:
			}
			if err := p.verify(lctx); err != nil && lctx.Err() == nil {
				p.log.Warn("leadership lost: stopping the schedules", "err", err)
				// The work is told to stop before the lock can go to a
				// standby; a half-alive session must not keep the lock.
				// In one critical section, so no campaign retakes the
				// lock on the session being dropped.
				p.mu.Lock()
				p.leading, p.lost = false, true
				cancel()
				p.dropLocked()
				p.mu.Unlock()
				return
			}
		}
	}()
	return lctx
}

// heldSQL is true when this session holds the shard's lock. A bigint
// advisory key shows in pg_locks as classid (high half), objid (low half)
// and objsubid 1.
const heldSQL = `EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
	AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1)`

func (p *Postgres) keyHalves() (hi, lo int64) {
	return int64(uint64(p.key) >> 32), int64(uint64(p.key) & 0xffffffff)
}

// verify checks that the session still holds the lock.
func (p *Postgres) verify(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil || p.conn.IsClosed() {
		return errors.New("the connection to PostgreSQL is closed")
	}
	qctx, cancel := context.WithTimeout(ctx, p.queryTimeout())
	defer cancel()
	hi, lo := p.keyHalves()
	var held bool
	if err := p.conn.QueryRow(qctx, "SELECT "+heldSQL, hi, lo).Scan(&held); err != nil {
		return fmt.Errorf("verify the advisory lock: %w", err)
	}
	if !held {
		return errors.New("the advisory lock is no longer held by this session")
	}
	return nil
}

// Close gives leadership up and closes the session.
func (p *Postgres) Close() error {
	p.mu.Lock()
	cancel := p.cancel
	p.leading = false
	p.dropLocked()
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// stateTable keeps what a new leader takes over, one row per name. It is
// serve's coordination state, not license history: `licmon db migrate`
// leaves it, and serve creates it when missing.
const stateTable = "licmon_serve_state"

func createState(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+stateTable+` (
	name TEXT PRIMARY KEY,
	value BYTEA NOT NULL,
	instance TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL)`)
	if err != nil && !isDuplicateObject(err) {
		return fmt.Errorf("create table %s: %w (the database user needs CREATE on the schema)", stateTable, err)
	}
	return nil
}

// isDuplicateObject reports the race of two instances creating the table
// at once, which CREATE TABLE IF NOT EXISTS does not exclude.
func isDuplicateObject(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "SQLSTATE 42P07")
}

// LoadState returns the named state, nil when there is none. Any instance
// may read it (a standby shows the leader's alerts).
func (p *Postgres) LoadState(ctx context.Context, name string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	qctx, cancel := context.WithTimeout(ctx, p.queryTimeout())
	defer cancel()
	if err := p.connectLocked(qctx); err != nil {
		return nil, err
	}
	var b []byte
	err := p.conn.QueryRow(qctx, "SELECT value FROM "+stateTable+" WHERE name = $1", name).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		if p.conn.IsClosed() {
			p.dropLocked()
		}
		return nil, fmt.Errorf("read %s: %w", stateTable, err)
	}
	return b, nil
}

// SaveState writes the named state in the same statement that checks this
// session holds the lock, so an instance that lost leadership can never
// overwrite the new leader's state: it gets ErrNotLeader.
func (p *Postgres) SaveState(ctx context.Context, name string, value []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil || p.conn.IsClosed() {
		return ErrNotLeader
	}
	qctx, cancel := context.WithTimeout(ctx, p.queryTimeout())
	defer cancel()
	hi, lo := p.keyHalves()
	tag, err := p.conn.Exec(qctx, `INSERT INTO `+stateTable+` (name, value, instance, updated_at)
SELECT $3, $4, $5, now() WHERE `+heldSQL+`
ON CONFLICT (name) DO UPDATE SET value = excluded.value, instance = excluded.instance, updated_at = excluded.updated_at`,
		hi, lo, name, value, p.instance)
	if err != nil {
		return fmt.Errorf("write %s: %w", stateTable, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotLeader
	}
	return nil
}
