package reclaim_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/reclaim"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// memRecorder is an in-memory audit trail.
type memRecorder struct {
	mu      sync.Mutex
	entries []entry
}

type entry struct {
	action, target, id, result, detail string
}

func (m *memRecorder) Start(_ context.Context, action, target, id, detail string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, entry{action: action, target: target, id: id, result: "pending", detail: detail})
	return int64(len(m.entries)), nil
}

func (m *memRecorder) Finish(_ context.Context, n int64, result, detail string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[n-1].result, m.entries[n-1].detail = result, detail
	return nil
}

func (m *memRecorder) pendingFor(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.entries {
		if strings.EqualFold(e.id, id) && e.result == "pending" {
			return true
		}
	}
	return false
}

var clock = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newSite(t *testing.T, scenario string, wrap func(http.Handler) http.Handler) (*simtest.Site, *qrs.Client) {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 11, Users: 400, HistoryDays: 400, Scenario: scenario, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	site := simtest.ServeWith(t, s, wrap)
	return site, site.Client(t)
}

func plan(t *testing.T, c *qrs.Client, p reclaim.Policy, o reclaim.Options) *reclaim.Plan {
	t.Helper()
	in, err := reclaim.Gather(context.Background(), c, reclaim.GatherOptions{Types: o.Types, Authoring: o.Downgrade, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return reclaim.Build(in, p, o)
}

func fast() reclaim.ApplyOptions {
	return reclaim.ApplyOptions{Rate: 1000, Backoff: time.Millisecond, Policy: reclaim.Policy{MaxReleases: 1000}, Now: func() time.Time { return clock }}
}

func allocations(t *testing.T, c *qrs.Client, kind qrs.AccessTypeKind) map[string]qrs.LicenseAccessType {
	t.Helper()
	list, err := c.AccessTypes(context.Background(), kind, qrs.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]qrs.LicenseAccessType{}
	for _, a := range list {
		out[a.ID] = a
	}
	return out
}

func TestApplyReleasesAndQuarantineMatchesTheSimulator(t *testing.T) {
	// old-version has a serial/LEF license: the simulator quarantines.
	site, c := newSite(t, "old-version", nil)
	// Force and a 3-day threshold: some candidates were used within 7 days
	// and must end in quarantine until lastUsed + 7 days.
	p := reclaim.Policy{Force: true, MaxReleases: 1000, Inactive: map[reclaim.Type]time.Duration{reclaim.Professional: 3 * 24 * time.Hour}}
	pl := plan(t, c, p, reclaim.Options{Types: []reclaim.Type{reclaim.Professional}})
	var quarantined, freed int
	for _, cd := range pl.Candidates {
		if cd.QuarantineEnd != nil {
			quarantined++
		} else {
			freed++
		}
	}
	if quarantined == 0 || freed == 0 {
		t.Fatalf("test site gives %d quarantined and %d freed candidates; want both", quarantined, freed)
	}
	rec := &memRecorder{}
	o := fast()
	o.Policy = p
	res, err := reclaim.Apply(context.Background(), c, pl, o, rec)
	if err != nil {
		t.Fatal(err)
	}
	after := allocations(t, c, qrs.KindProfessional)
	for _, r := range res {
		if r.Result != reclaim.Released {
			t.Errorf("%s: %s %s", r.User, r.Result, r.Detail)
			continue
		}
		a, still := after[r.AllocationID]
		switch {
		case r.QuarantineEnd == nil && still:
			t.Errorf("%s: plan said freed now, the site still has the allocation (quarantined %v)", r.User, a.Quarantined)
		case r.QuarantineEnd != nil && (!still || !a.Quarantined || !a.QuarantineEnd.Equal(*r.QuarantineEnd)):
			t.Errorf("%s: plan said quarantined until %s, the site has %+v (present %v)", r.User, r.QuarantineEnd, a.QuarantineEnd, still)
		}
	}
	if len(rec.entries) != len(pl.Candidates) {
		t.Errorf("%d audit entries for %d candidates", len(rec.entries), len(pl.Candidates))
	}
	_ = site
}

func TestApplySkipsWhatChangedSinceThePlan(t *testing.T) {
	site, c := newSite(t, "healthy", nil)
	pl := plan(t, c, reclaim.Policy{}, reclaim.Options{Types: []reclaim.Type{reclaim.Professional, reclaim.Analyzer}})
	if len(pl.Candidates) < 3 {
		t.Fatalf("only %d candidates", len(pl.Candidates))
	}
	used, gone := pl.Candidates[0], pl.Candidates[1]
	if err := site.Use(used.UserGUID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAllocation(context.Background(), gone.Type.Kind(), gone.AllocationID); err != nil {
		t.Fatal(err)
	}
	res, err := reclaim.Apply(context.Background(), c, pl, fast(), &memRecorder{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reclaim.Result{}
	for _, r := range res {
		got[r.AllocationID] = r
	}
	if r := got[used.AllocationID]; r.Result != reclaim.Skipped || !strings.Contains(r.Detail, "used again since the plan") {
		t.Errorf("used after the plan: %s %s", r.Result, r.Detail)
	}
	if r := got[gone.AllocationID]; r.Result != reclaim.Skipped || !strings.Contains(r.Detail, "already released") {
		t.Errorf("released meanwhile: %s %s", r.Result, r.Detail)
	}
	if _, still := allocations(t, c, used.Type.Kind())[used.AllocationID]; !still {
		t.Error("the allocation used after the plan was released")
	}
}

// failing500 answers 500 to every DELETE of the given allocation ids (so
// retries do not help) and counts the requests that reach the simulator.
func failing500(ids map[string]bool, deletes *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				deletes.Add(1)
				parts := strings.Split(r.URL.Path, "/")
				if ids[strings.ToLower(parts[len(parts)-1])] {
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestApplyGoesOnPast500s(t *testing.T) {
	bad := map[string]bool{}
	var deletes atomic.Int64
	_, c := newSite(t, "healthy", failing500(bad, &deletes))
	pl := plan(t, c, reclaim.Policy{}, reclaim.Options{Types: []reclaim.Type{reclaim.Professional}})
	if len(pl.Candidates) < 4 {
		t.Fatalf("only %d candidates", len(pl.Candidates))
	}
	bad[strings.ToLower(pl.Candidates[0].AllocationID)] = true
	bad[strings.ToLower(pl.Candidates[2].AllocationID)] = true
	rec := &memRecorder{}
	o := fast()
	o.Retries = 2
	res, err := reclaim.Apply(context.Background(), c, pl, o, rec)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, r := range res {
		want := reclaim.Released
		if i == 0 || i == 2 {
			want = reclaim.Failed
			failed++
			if !strings.Contains(r.Detail, "after 3 attempt(s)") || !strings.Contains(r.Detail, "500") {
				t.Errorf("failure detail %q", r.Detail)
			}
		}
		if r.Result != want {
			t.Errorf("candidate %d: %s %s, want %s", i, r.Result, r.Detail, want)
		}
	}
	if int(deletes.Load()) != len(pl.Candidates)+2*2 {
		t.Errorf("%d DELETEs, want one per candidate plus two retries for each of the two failing", deletes.Load())
	}
	recorded := 0
	for _, e := range rec.entries {
		if e.result == reclaim.Failed {
			recorded++
		}
	}
	if recorded != failed {
		t.Errorf("%d failures in the audit, %d in the results", recorded, failed)
	}
}

// TestAuditWrittenBeforeEachChange: when a DELETE reaches the site its
// audit entry already exists, so a run killed at any point leaves every
// change it made recorded; the run is then cut off halfway.
func TestAuditWrittenBeforeEachChange(t *testing.T) {
	rec := &memRecorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen atomic.Int64
	var unrecorded atomic.Int64
	var mu sync.Mutex
	reached := map[string]bool{}
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
				if !rec.pendingFor(id) {
					unrecorded.Add(1)
				}
				mu.Lock()
				reached[strings.ToLower(id)] = true
				mu.Unlock()
				if seen.Add(1) == 3 {
					cancel() // the operator kills the run
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	_, c := newSite(t, "healthy", wrap)
	pl := plan(t, c, reclaim.Policy{}, reclaim.Options{Types: []reclaim.Type{reclaim.Professional}})
	if len(pl.Candidates) < 6 {
		t.Fatalf("only %d candidates", len(pl.Candidates))
	}
	res, _ := reclaim.Apply(ctx, c, pl, fast(), rec)
	if unrecorded.Load() != 0 {
		t.Errorf("%d DELETEs reached the site before their audit entry existed", unrecorded.Load())
	}
	if len(res) >= len(pl.Candidates) {
		t.Fatalf("the run was not cut short: %d results", len(res))
	}
	for id := range reached {
		found := false
		for _, e := range rec.entries {
			if strings.EqualFold(e.id, id) && e.result != "pending" {
				found = true
			}
		}
		if !found {
			t.Errorf("DELETE of %s reached the site but its audit entry has no outcome", id)
		}
	}
}

func TestDowngradeRollsBackWhenNoAnalyzerSeat(t *testing.T) {
	var posts atomic.Int64
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(strings.ToLower(r.URL.Path), "analyzeraccesstype") {
				posts.Add(1)
				if posts.Load() == 1 {
					http.Error(w, "Bad Request: no analyzer access available", http.StatusBadRequest)
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	}
	// Seats to spare, so that the Professional allocation can be given back.
	yml := filepath.Join(t.TempDir(), "spare.yaml")
	os.WriteFile(yml, []byte("license:\n  professional: 1000\n  analyzer: 1000\n"), 0o600)
	_, c := newSite(t, yml, wrap)
	pl := plan(t, c, reclaim.Policy{MaxReleases: 1000}, reclaim.Options{Types: []reclaim.Type{reclaim.Professional}, Downgrade: true})
	var downs []reclaim.Candidate
	for _, cd := range pl.Candidates {
		if cd.Action == "downgrade" {
			downs = append(downs, cd)
		}
	}
	if len(downs) == 0 {
		t.Fatalf("no downgrade candidates (excluded: %d)", len(pl.Excluded))
	}
	pl.Candidates = downs[:1]
	rec := &memRecorder{}
	o := fast()
	res, err := reclaim.Apply(context.Background(), c, pl, o, rec)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Result != reclaim.RolledBack {
		t.Fatalf("result %s %s, want rolled-back", res[0].Result, res[0].Detail)
	}
	prof := allocations(t, c, qrs.KindProfessional)
	back := false
	for _, a := range prof {
		if a.User != nil && strings.EqualFold(a.User.ID, downs[0].UserGUID) && !a.Quarantined {
			back = true
		}
	}
	if !back {
		t.Error("the user has no Professional allocation after the rollback")
	}
	var actions []string
	for _, e := range rec.entries {
		actions = append(actions, e.action+":"+e.result)
	}
	if strings.Join(actions, " ") != "downgrade-release:released downgrade-allocate:failed rollback-allocate:ok" {
		t.Errorf("audit %v", actions)
	}
}

// TestDowngradeRollbackRefusedIsReported: when the site refuses to give the
// released Professional seat back (someone took it meanwhile), the result
// says so and what to do, and the run goes on.
func TestDowngradeRollbackRefusedIsReported(t *testing.T) {
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := strings.ToLower(r.URL.Path)
			if r.Method == http.MethodPost && (strings.HasSuffix(p, "analyzeraccesstype") || strings.HasSuffix(p, "professionalaccesstype")) {
				http.Error(w, "Bad Request: no access available", http.StatusBadRequest)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	_, c := newSite(t, "healthy", wrap)
	pl := plan(t, c, reclaim.Policy{MaxReleases: 1000}, reclaim.Options{Types: []reclaim.Type{reclaim.Professional}, Downgrade: true})
	var downs []reclaim.Candidate
	for _, cd := range pl.Candidates {
		if cd.Action == "downgrade" {
			downs = append(downs, cd)
		}
	}
	if len(downs) < 2 {
		t.Fatalf("%d downgrade candidates", len(downs))
	}
	pl.Candidates = downs[:2]
	rec := &memRecorder{}
	res, err := reclaim.Apply(context.Background(), c, pl, fast(), rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Result != reclaim.Failed || !strings.Contains(r.Detail, "could not be given back") || !strings.Contains(r.Detail, "allocate it in the QMC") {
			t.Errorf("%s: %s %s", r.User, r.Result, r.Detail)
		}
	}
	if len(res) != 2 {
		t.Errorf("the run stopped after %d of 2", len(res))
	}
}
