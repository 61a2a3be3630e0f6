package serve

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
)

// DefaultMaxCollections is the default of serve.max_collections: one
// collection at a time. A first collection of a 100k-user site keeps about
// 120 MB live while it runs, and the report model rebuilt after it about as
// much again, so three sites collecting at once would need three times that.
const DefaultMaxCollections = 1

// slots bounds the heavy work running at once across sites: collections
// and the report models built after them and at start. Checks never take
// a slot.
type slots struct {
	ch chan struct{}

	mu               sync.Mutex
	waiting, running int
	// collections counts the waiting that are collections (the others
	// are report models to build).
	collections int
	maxRunning  int // the most ever running at once (tests)
}

func newSlots(n int) *slots {
	if n <= 0 {
		n = DefaultMaxCollections
	}
	return &slots{ch: make(chan struct{}, n)}
}

// acquire waits for a free slot or the end of ctx, in the order of arrival
// (a channel's senders are served first come, first served); what waited
// is returned so the caller can say it. collection tells a collection from
// a report model to build.
func (s *slots) acquire(ctx context.Context, collection bool) (release func(), waited time.Duration, err error) {
	start := time.Now()
	n := 0
	if collection {
		n = 1
	}
	s.mu.Lock()
	s.waiting++
	s.collections += n
	s.mu.Unlock()
	select {
	case s.ch <- struct{}{}:
	case <-ctx.Done():
		s.mu.Lock()
		s.waiting--
		s.collections -= n
		s.mu.Unlock()
		return nil, time.Since(start), ctx.Err()
	}
	s.mu.Lock()
	s.waiting--
	s.collections -= n
	s.running++
	s.maxRunning = max(s.maxRunning, s.running)
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.running--
			s.mu.Unlock()
			<-s.ch
		})
	}, time.Since(start), nil
}

// collectionsWaiting returns how many collections wait for a slot.
func (s *slots) collectionsWaiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.collections
}

// state returns how many wait, how many run and the most that ever ran at once.
func (s *slots) state() (waiting, running, maxRunning int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting, s.running, s.maxRunning
}

// slotWaitError says why a collection did not start: the slots stayed taken
// by other sites' collections until the job's timeout.
func slotWaitError(site string, waited time.Duration, limit int, err error) error {
	return fmt.Errorf("collection of %s not started: it waited %s for one of the %d collection slot(s) (serve.max_collections) while other sites collected, until its timeout: raise schedule.collect_timeout or serve.max_collections: %w",
		site, waited.Round(time.Second), limit, err)
}

// writeLocked is the store as a collection in the daemon sees it: its
// writes take the daemon's write lock, so they take turns with the log
// import and reclaim plans instead of running into SQLite's busy timeout,
// while the collection's reads of the QRS run outside it. Check results
// never take this lock (see checkQueue).
type writeLocked struct {
	store.Store
	mu *sync.Mutex
}

func (w writeLocked) SaveSnapshot(ctx context.Context, s *license.Snapshot) (*store.SaveResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Store.SaveSnapshot(ctx, s)
}

func (w writeLocked) SaveSnapshotBackfill(ctx context.Context, s *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*store.SaveResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Store.SaveSnapshotBackfill(ctx, s, reconstruct)
}

func (w writeLocked) SaveReconstructed(ctx context.Context, site string, points []license.DailyCounters) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Store.SaveReconstructed(ctx, site, points)
}

func (w writeLocked) SaveDenials(ctx context.Context, site, source string, days []license.DenialDay) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Store.SaveDenials(ctx, site, source, days)
}
