// Package leader decides which of several `licmon serve` instances runs the
// schedules (checks, collections, log imports, alerts) of a shard of sites.
// Every instance serves the dashboard, API and /metrics; exactly one per
// shard leads at a time.
//
// Two electors implement Elector: Single, for the SQLite store of one
// machine, always leads; Postgres holds a session-level advisory lock
// (pg_try_advisory_lock) on a dedicated connection while it leads, so the
// lock goes when the leader's session goes, and re-verifies it every poll
// interval. Postgres also keeps the small state a new leader takes over
// (the alert engine's deliveries) in a table, written only while the lock
// is held.
package leader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Elector elects the leader of one shard among the serve instances that
// share a store.
type Elector interface {
	// Campaign blocks until this instance leads the shard, or ctx ends
	// (then it returns ctx's error). The context it returns ends when
	// leadership is lost or ctx ends: the caller stops its leader's work
	// then, and may campaign again.
	Campaign(ctx context.Context) (context.Context, error)
	// Leading reports whether this instance leads now.
	Leading() bool
	// Instance is this instance's identity (the instance label of
	// licmon_leader); Shard names what it leads.
	Instance() string
	Shard() string
	// Close gives leadership up at once (the next instance may take over)
	// and frees the connection.
	Close() error
}

// ErrNotLeader is returned by a write that only the leader may make (the
// shared alert state) when this instance does not hold the lock.
var ErrNotLeader = errors.New("not the leader of this shard: another licmon serve instance took over")

// DefaultInstance is this process's default identity: host name and pid,
// distinct for two instances on one machine.
func DefaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Single is the elector of a store only one machine uses (SQLite): the
// instance always leads.
type Single struct {
	instance, shard string

	mu      sync.Mutex
	leading bool
	cancel  context.CancelFunc
}

// NewSingle returns the elector that always leads.
func NewSingle(instance, shard string) *Single {
	return &Single{instance: instance, shard: shard}
}

// Campaign returns at once: the only instance leads until ctx ends or
// Close is called.
func (s *Single) Campaign(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.leading, s.cancel = true, cancel
	s.mu.Unlock()
	context.AfterFunc(lctx, func() {
		s.mu.Lock()
		s.leading = false
		s.mu.Unlock()
	})
	return lctx, nil
}

// Leading implements Elector.
func (s *Single) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leading
}

// Instance implements Elector.
func (s *Single) Instance() string { return s.instance }

// Shard implements Elector.
func (s *Single) Shard() string { return s.shard }

// Close ends the leadership.
func (s *Single) Close() error {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}
