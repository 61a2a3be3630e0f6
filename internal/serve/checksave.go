package serve

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/store"
)

// Bounds of the check-result queue.
const (
	// maxUnsavedChecks bounds the check results kept in memory while the
	// store refuses writes: at one check every 5 minutes, a week of three
	// sites. Beyond it the oldest is dropped, logged and counted.
	maxUnsavedChecks = 6000
	// checkSaveAttempt bounds one write of a check result; SQLite's own
	// busy timeout (5 s) usually ends it first.
	checkSaveAttempt = 30 * time.Second
	// checkSaveMaxBackoff caps the wait between two attempts.
	checkSaveMaxBackoff = 30 * time.Second
	// checkSaveFlush bounds how long a stopping daemon keeps trying to store
	// the results still waiting.
	checkSaveFlush = 10 * time.Second
)

// checkQueue stores check results in the background, in the order the
// checks ended. A check job hands its result over and returns at once: it
// never waits for the store, whose single writer may be held by a long
// collection (in this daemon or in a `licmon collect` beside it). A result
// the store refuses stays in memory and is written again after a backoff
// until the store takes it; the web API shows it meanwhile.
type checkQueue struct {
	st  store.Store
	log *slog.Logger
	max int
	// first and max wait between attempts (tests shorten them).
	first, cap time.Duration

	mu      sync.Mutex
	items   []store.CheckResult // oldest first; items[0] is being written
	dropped map[string]int64    // by lower-case site name
	wake    chan struct{}
}

func newCheckQueue(st store.Store, log *slog.Logger) *checkQueue {
	return &checkQueue{st: st, log: log, max: maxUnsavedChecks, first: time.Second, cap: checkSaveMaxBackoff,
		dropped: map[string]int64{}, wake: make(chan struct{}, 1)}
}

// add queues a result; it never blocks.
func (q *checkQueue) add(c store.CheckResult) {
	q.mu.Lock()
	if len(q.items) >= q.max {
		// items[0] may be in the writer's hands: drop the next one instead,
		// so the writer's pop stays right (max is at least 2).
		old := q.items[1]
		q.items = slices.Delete(q.items, 1, 2)
		q.dropped[strings.ToLower(old.Site)]++
		q.log.Error("too many check results wait for the store: the oldest waiting one is dropped",
			"site", old.Site, "checked_at", old.At, "status", old.Status, "waiting", len(q.items))
	}
	q.items = append(q.items, c)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// head returns the oldest waiting result.
func (q *checkQueue) head() (store.CheckResult, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return store.CheckResult{}, false
	}
	return q.items[0], true
}

func (q *checkQueue) pop() {
	q.mu.Lock()
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = nil // let the backing array go
	}
	q.mu.Unlock()
}

// pending returns the site's results not stored yet, newest first.
func (q *checkQueue) pending(site string) []store.CheckResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []store.CheckResult
	for i := len(q.items) - 1; i >= 0; i-- {
		if strings.EqualFold(q.items[i].Site, site) {
			out = append(out, q.items[i])
		}
	}
	return out
}

// counts returns how many of the site's results wait and how many were dropped.
func (q *checkQueue) counts(site string) (waiting int, dropped int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range q.items {
		if strings.EqualFold(c.Site, site) {
			waiting++
		}
	}
	return waiting, q.dropped[strings.ToLower(site)]
}

// run writes the queued results until ctx ends.
func (q *checkQueue) run(ctx context.Context) {
	wait := q.first
	failing := false
	for {
		c, ok := q.head()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			}
			continue
		}
		actx, cancel := context.WithTimeout(ctx, checkSaveAttempt)
		_, err := q.st.SaveCheck(actx, c)
		cancel()
		if err == nil {
			q.pop()
			if failing {
				waiting, _ := q.counts(c.Site)
				q.log.Info("the store takes check results again", "site", c.Site, "checked_at", c.At, "still_waiting_for_site", waiting)
			}
			wait, failing = q.first, false
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if !failing {
			// Once per streak: the retries that follow would only repeat it.
			q.log.Warn("the store did not take a check result: it is kept in memory and written again later (the API shows it meanwhile)",
				"site", c.Site, "checked_at", c.At, "err", err)
			failing = true
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, q.cap)
	}
}

// flush tries once more to store what is still waiting, within d, when the
// daemon stops; what the store still refuses is logged, one line per result.
func (q *checkQueue) flush(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		c, ok := q.head()
		if !ok {
			return
		}
		if _, err := q.st.SaveCheck(ctx, c); err != nil {
			q.mu.Lock()
			lost := q.items
			q.items = nil
			q.mu.Unlock()
			for _, l := range lost {
				q.log.Error("check result not stored before stopping (the store refused writes)",
					"site", l.Site, "checked_at", l.At, "status", l.Status, "err", err)
			}
			return
		}
		q.pop()
	}
}
