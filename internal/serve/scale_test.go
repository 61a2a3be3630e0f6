package serve

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// runServer runs s until the test ends.
func runServer(t *testing.T, s *Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + s.Addr().String()
}

// holdingStore is the store of a collection that holds SQLite's one write
// lock for as long as the test wants: when the collection saves, a write
// transaction is opened on the same database file (as a `licmon collect`
// in another process would), held until release is closed, and only then
// does the save go on.
type holdingStore struct {
	store.Store
	path             string
	holding, release chan struct{}
	once             sync.Once
	err              error
}

func (h *holdingStore) SaveSnapshotBackfill(ctx context.Context, s *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*store.SaveResult, error) {
	h.once.Do(func() { h.err = h.hold(ctx) })
	if h.err != nil {
		return nil, h.err
	}
	return h.Store.SaveSnapshotBackfill(ctx, s, reconstruct)
}

func (h *holdingStore) hold(ctx context.Context) error {
	db, err := sql.Open("sqlite", h.path+"?_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		return fmt.Errorf("hold the write lock: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE held_by_test (x INTEGER)"); err != nil {
		return err
	}
	close(h.holding)
	select {
	case <-h.release:
	case <-ctx.Done():
	}
	return nil
}

type apiChecks struct {
	Checks []struct {
		At     time.Time `json:"at"`
		Status string    `json:"status"`
	} `json:"checks"`
}

// TestCheckCompletesWhileCollectionHoldsStore: while a collection holds the
// store's one writer, checks go on every interval, their results are in the
// API at once (latest check and history) and reach the store once the
// collection lets go; nothing is lost, and the collection itself succeeds.
func TestCheckCompletesWhileCollectionHoldsStore(t *testing.T) {
	t.Parallel() // waits on its schedule: runs beside the other waiting ones
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30})
	dbPath := filepath.Join(t.TempDir(), "licmon.db")
	st, err := store.Open(t.Context(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := &holdingStore{Store: st, path: dbPath, holding: make(chan struct{}), release: make(chan struct{})}
	released := false
	defer func() {
		if !released {
			close(hs.release)
		}
	}()
	cfg := config.Default()
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	cfg.Schedule.CheckEvery = config.Duration(time.Second)
	cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test", Store: hs})
	if err != nil {
		t.Fatal(err)
	}
	s.checks.first, s.checks.cap = 50*time.Millisecond, 200*time.Millisecond
	base := runServer(t, s)
	defer st.Close() // after Run's cleanup: Run does not close a store it was given

	select {
	case <-hs.holding:
	case <-time.After(60 * time.Second):
		t.Fatal("the collection never reached its save")
	}
	if hs.err != nil {
		t.Fatal(hs.err)
	}
	// The lock is held from here on: checks that start now cannot be stored.
	held := time.Now().Truncate(time.Second).Add(time.Second)
	var during []time.Time
	waitFor(t, "two checks while the collection holds the store", func() bool {
		code, b := get(t, base+"/api/v1/sites/sim/checks?limit=100")
		if code != 200 {
			t.Fatalf("/checks = %d %s", code, b)
		}
		var h apiChecks
		if err := json.Unmarshal([]byte(b), &h); err != nil {
			t.Fatal(err)
		}
		during = during[:0]
		for _, c := range h.Checks {
			if !c.At.Before(held) {
				during = append(during, c.At)
			}
		}
		return len(during) >= 2
	})
	code, b := get(t, base+"/api/v1/sites/sim/check")
	var latest check.Report
	if code != 200 || json.Unmarshal([]byte(b), &latest) != nil {
		t.Fatalf("/check = %d %s", code, b)
	}
	if latest.CheckedAt.Before(held) {
		t.Errorf("the latest check in the API is from %s, before the store was held (%s)", latest.CheckedAt, held)
	}
	stored, err := st.Checks(context.Background(), "sim", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range stored {
		if !c.At.Before(held) {
			t.Fatalf("a check of %s was stored while the write lock was held: the test does not hold it", c.At)
		}
	}
	_, m := get(t, base+"/metrics")
	if strings.Contains(m, `licmon_check_results_unsaved{site="sim"} 0`) || !strings.Contains(m, `licmon_check_results_unsaved{site="sim"}`) {
		t.Errorf("/metrics does not count the results waiting for the store:\n%s", grepLines(m, "licmon_check"))
	}

	close(hs.release)
	released = true
	waitFor(t, "the checks made while the store was held to be stored", func() bool {
		stored, err := st.Checks(context.Background(), "sim", 1000)
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for _, c := range stored {
			have[c.At.Unix()] = true
		}
		for _, at := range during {
			if !have[at.Unix()] {
				return false
			}
		}
		return true
	})
	waitFor(t, "the collection to succeed", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `licmon_collect_success{site="sim"} 1`)
	})
	waitFor(t, "no result left waiting", func() bool {
		_, m := get(t, base+"/metrics")
		return strings.Contains(m, `licmon_check_results_unsaved{site="sim"} 0`)
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestLateFinding(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	every, jitter := 5*time.Minute, 30*time.Second
	for _, tc := range []struct {
		name      string
		prev      time.Time
		start     time.Time
		took      time.Duration
		wantLate  bool
		wantTitle string
	}{
		{"first check", time.Time{}, t0, time.Second, false, ""},
		{"on time with the most jitter", t0, t0.Add(every + jitter), time.Second, false, ""},
		{"a run skipped", t0, t0.Add(2*every + jitter/2), time.Second, true, "ran 5m15s late"},
		{"paused for an hour", t0, t0.Add(time.Hour), time.Second, true, "ran 55m0s late"},
		{"took the whole interval", t0, t0.Add(every), every - jitter/2, true, "took 4m45s"},
		{"late and long", t0, t0.Add(3 * every), every, true, "ran 10m0s late"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := lateFinding(tc.prev, tc.start, tc.took, every, jitter)
			if (f != nil) != tc.wantLate {
				t.Fatalf("late = %v, want %v (%+v)", f != nil, tc.wantLate, f)
			}
			if f == nil {
				return
			}
			if f.Code != "check-late" || f.Severity != check.OK || !strings.Contains(f.Title, tc.wantTitle) || len(f.Evidence) == 0 || f.Hint == "" {
				t.Errorf("finding %+v, want code check-late, severity ok, a title with %q, evidence and a hint", f, tc.wantTitle)
			}
		})
	}
}

// TestLateCheckSaysSo: a check that starts long after the previous one
// (scheduled runs did not happen) carries a check-late finding, keeps the
// License Monitor's status, and is counted in /metrics; its result is in
// the API before it is stored, and the stored JSON has the finding too.
func TestLateCheckSaysSo(t *testing.T) {
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 40, HistoryDays: 20})
	cfg := config.Default()
	cfg.DB = filepath.Join(t.TempDir(), "licmon.db")
	cfg.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ld := &loader{cfg: cfg}
	s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.closeStore()
	defer s.ln.Close()
	h := httptest.NewServer(s.Handler())
	defer h.Close()
	rt := s.rt.Load()
	st := rt.sites[0]

	if err := s.runCheck(t.Context(), rt, st); err != nil {
		t.Fatal(err)
	}
	first := st.latestCheck()
	if hasFinding(first, "check-late") {
		t.Fatalf("the first check is late: %+v", first.Findings)
	}
	mu.Lock()
	now = now.Add(20 * time.Minute) // three 5-minute runs did not happen
	mu.Unlock()
	if err := s.runCheck(t.Context(), rt, st); err != nil {
		t.Fatal(err)
	}
	second := st.latestCheck()
	if !hasFinding(second, "check-late") {
		t.Fatalf("a check 20 minutes after the previous one (every 5m) has no check-late finding: %+v", second.Findings)
	}
	if second.Status != first.Status {
		t.Errorf("status %s, was %s: lateness must not change the License Monitor's status", second.Status, first.Status)
	}
	if _, m := get(t, h.URL+"/metrics"); !strings.Contains(m, `licmon_check_late_total{site="sim"} 1`) {
		t.Errorf("/metrics does not count the late check:\n%s", grepLines(m, "licmon_check"))
	}
	if _, b := get(t, h.URL+"/api/v1/sites/sim/check"); !strings.Contains(b, `"code": "check-late"`) {
		t.Errorf("/check lacks the check-late finding: %s", b)
	}
	var hist apiChecks
	if _, b := get(t, h.URL+"/api/v1/sites/sim/checks"); json.Unmarshal([]byte(b), &hist) != nil || len(hist.Checks) != 2 {
		t.Errorf("/checks shows %d checks before they are stored, want 2: %s", len(hist.Checks), b)
	}

	// The writer is not running (no Run): what the stopping daemon flushes
	// is what the check handed over.
	s.checks.flush(time.Minute)
	stored, err := s.st.Checks(t.Context(), "sim", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || !strings.Contains(string(stored[0].JSON), `"check-late"`) || strings.Contains(string(stored[1].JSON), `"check-late"`) {
		t.Errorf("stored %d checks; want 2, the newest with the check-late finding", len(stored))
	}
}

func hasFinding(r *check.Report, code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// blockedSites serves simulated sites whose first user-list request (which
// only a collection makes) waits until the test lets it go, so the test
// knows which collections are under way.
type blockedSites struct {
	mu      sync.Mutex
	entered []string
	release map[string]chan struct{}
}

func (b *blockedSites) start(t *testing.T, name string, seed int64) config.Site {
	rel := make(chan struct{})
	b.mu.Lock()
	b.release[name] = rel
	b.mu.Unlock()
	s, err := sim.New(sim.Options{Seed: seed, Users: 40, HistoryDays: 20})
	if err != nil {
		t.Fatal(err)
	}
	first := true
	site := simtest.ServeWith(t, s, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/qrs/user") {
				b.mu.Lock()
				wait := first
				if first {
					first = false
					b.entered = append(b.entered, name)
				}
				b.mu.Unlock()
				if wait {
					select {
					case <-rel:
					case <-r.Context().Done():
						return
					}
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	return config.Site{Name: name, Server: site.URL, CertDir: site.CertDir}
}

func (b *blockedSites) in() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.entered...)
}

func (b *blockedSites) let(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch := b.release[name]; ch != nil {
		close(ch)
		b.release[name] = nil
	}
}

func (b *blockedSites) letAll() {
	for _, n := range []string{"a", "b", "c"} {
		b.let(n)
	}
}

// TestCollectionsTakeTurns: with serve.max_collections N, at most N of the
// three sites' first collections run at once (the others wait for a slot
// before reading the QRS), every site is checked meanwhile, and all three
// collections end stored.
func TestCollectionsTakeTurns(t *testing.T) {
	for _, limit := range []int{1, 2} {
		t.Run(fmt.Sprintf("max_collections=%d", limit), func(t *testing.T) {
			b := &blockedSites{release: map[string]chan struct{}{}}
			cfg := config.Default()
			cfg.DB = filepath.Join(t.TempDir(), "licmon.db")
			cfg.Sites = []config.Site{b.start(t, "a", 1), b.start(t, "b", 2), b.start(t, "c", 3)}
			cfg.Serve.Listen = "127.0.0.1:0"
			cfg.Serve.MaxCollections = limit
			cfg.Schedule.CheckJitter = config.Duration(time.Millisecond)
			ld := &loader{cfg: cfg}
			s, err := New(t.Context(), Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			defer b.letAll()
			base := runServer(t, s)

			waitFor(t, fmt.Sprintf("%d collections in the QRS and %d waiting for a slot", limit, 3-limit), func() bool {
				waiting, running, _ := s.collectSlots.state()
				return len(b.in()) == limit && waiting == 3-limit && running == limit
			})
			waitFor(t, "a check of every site while the collections wait", func() bool {
				for _, st := range s.rt.Load().sites {
					if st.latestCheck() == nil {
						return false
					}
				}
				return true
			})
			if in := b.in(); len(in) != limit {
				t.Fatalf("collections under way: %v, want %d", in, limit)
			}
			// Let them go one by one: each frees a slot for a waiting one.
			for done := 0; done < 3; done++ {
				b.let(b.in()[done])
				want := min(3, limit+done+1)
				waitFor(t, fmt.Sprintf("%d collections started", want), func() bool { return len(b.in()) == want })
				if limit == 1 && done == 0 {
					// The first site's report model waits for the other
					// collections: kept in memory, it would add to theirs.
					if r := siteNamed(s, b.in()[0]).reportModel(); r != nil {
						t.Errorf("the report model of %s was built while other collections waited", b.in()[0])
					}
				}
			}
			b.letAll()
			waitFor(t, "every collection stored", func() bool {
				_, m := get(t, base+"/metrics")
				return allCollected(m)
			})
			waitFor(t, "every report model built", func() bool {
				for _, st := range s.rt.Load().sites {
					if st.reportModel() == nil {
						return false
					}
				}
				return true
			})
			if _, _, most := s.collectSlots.state(); most != limit {
				t.Errorf("at most %d collections ran at once, want %d", most, limit)
			}
		})
	}
}

func allCollected(m string) bool {
	for _, n := range []string{"a", "b", "c"} {
		if !strings.Contains(m, `licmon_collect_success{site="`+n+`"} 1`) {
			return false
		}
	}
	return true
}

func siteNamed(s *Server, name string) *siteState { return s.rt.Load().byKey[name] }

func (s *siteState) reportModel() *report.Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.report
}
