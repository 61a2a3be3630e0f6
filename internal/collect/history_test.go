package collect_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// clock is the controllable clock that drives both the simulator and the
// collector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type dayTruth struct {
	at     time.Time
	counts map[license.Type]sim.Counts
	users  map[string]sim.UserState // by allocation ID
}

func truthNow(s *simtest.Site) dayTruth {
	g := s.GroundTruth()
	d := dayTruth{at: g.At, counts: map[license.Type]sim.Counts{
		license.Professional: g.Professional, license.Analyzer: g.Analyzer}, users: map[string]sim.UserState{}}
	for _, u := range g.Users {
		if u.AllocationID != "" {
			d.users[u.AllocationID] = u
		}
	}
	return d
}

// TestHistoryMatchesSimulator collects a simulated site over two years (the
// simulator and the collector share one controllable clock) and checks that
// the stored daily series and per-user states equal the simulator's ground
// truth. By default it collects in a cycle of gaps of 1, 6 and 9 days (137
// collections): consecutive days, an incremental read within a week and a
// full read after more than a week, each across the whole two years of
// growth, reductions and quarantines. LICMON_LONG=1 collects every day
// (730 collections), as a real daily schedule does.
func TestHistoryMatchesSimulator(t *testing.T) {
	span, gaps := 730, []int{1, 6, 9}
	if long() {
		gaps = []int{1}
	} else if testing.Short() {
		span = 120
	}
	clk := &clock{t: time.Date(2024, 11, 26, 6, 0, 0, 0, time.UTC)}
	site := simtest.Start(t, sim.Options{Seed: 11, Users: 60, HistoryDays: 30, Now: clk.Now})
	c := site.Client(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()

	var truths []dayTruth
	for d, i := 0, 0; d < span; i++ {
		if i > 0 {
			gap := gaps[(i-1)%len(gaps)]
			clk.Add(time.Duration(gap) * 24 * time.Hour)
			d += gap
		}
		r, err := collect.Run(ctx, c, st, "sim", clk.Now())
		if err != nil {
			t.Fatalf("day %d: %v", d, err)
		}
		if i == 0 && (!r.Save.First || r.Backfill == 0) {
			t.Fatalf("first collection: first=%v backfill=%d", r.Save.First, r.Backfill)
		}
		truths = append(truths, truthNow(site))
	}
	days := len(truths)

	first, last := truths[0].at, truths[len(truths)-1].at
	for _, typ := range []license.Type{license.Professional, license.Analyzer} {
		series, err := st.DailyCounters(ctx, "sim", typ, first, last)
		if err != nil {
			t.Fatal(err)
		}
		var real []license.DailyCounters
		for _, p := range series {
			if !p.Reconstructed {
				real = append(real, p)
			}
		}
		if len(real) != days {
			t.Fatalf("%s: %d measured days, want %d", typ, len(real), days)
		}
		for i, p := range real {
			want := truths[i].counts[typ]
			if p.Allocated != int64(want.Allocated) || p.Quarantined != int64(want.Quarantined) || p.Total != int64(want.Total) ||
				p.Excess != int64(want.Excess) || p.Available != int64(want.Available) {
				t.Fatalf("%s day %s: stored %+v, simulator %+v", typ, p.Day.Format("2006-01-02"), p, want)
			}
		}
	}

	// Per-user state at a spread of past days equals what the simulator had.
	for _, i := range []int{0, days / 3, days / 2, days - 1} {
		tr := truths[i]
		allocs, err := st.AllocationsAt(ctx, "sim", tr.at)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]license.Allocation{}
		for _, a := range allocs {
			if a.Type == license.Professional || a.Type == license.Analyzer {
				got[a.ID] = a
			}
		}
		if len(got) != len(tr.users) {
			t.Fatalf("day %d: %d allocations stored, simulator has %d", i, len(got), len(tr.users))
		}
		ids := make([]string, 0, len(tr.users))
		for id := range tr.users {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			u, a := tr.users[id], got[id]
			if string(a.Type) != u.Type || a.Quarantined != u.Quarantined || a.Excess != u.Excess ||
				!a.LastUsed.Equal(trunc(u.LastUsed)) || a.UserID != u.UserID {
				t.Fatalf("day %d allocation %s: stored %+v, simulator %+v", i, id, a, u)
			}
		}
	}
}

// trunc maps the simulator's "never" to the store's zero time and drops
// sub-second precision the store does not keep.
func trunc(t time.Time) time.Time {
	if t.Year() <= 1753 {
		return time.Time{}
	}
	return t.Truncate(time.Second).UTC()
}

// TestIdempotent: collecting an unchanged site again changes nothing.
func TestIdempotent(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)}
	site := simtest.Start(t, sim.Options{Seed: 4, Users: 40, HistoryDays: 60, Now: clk.Now})
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "i.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := site.Client(t)
	if _, err := collect.Run(context.Background(), c, st, "sim", clk.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := collect.Run(context.Background(), c, st, "sim", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Save.Changes.Total(); n != 0 {
		t.Fatalf("second collection of an unchanged site reported %d changes: %+v", n, r.Save.Changes)
	}
}

// TestIncrementalAuthoring: reading app objects incrementally during a week
// gives the same per-user authoring as reading them all.
func TestIncrementalAuthoring(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)} // a Monday
	site := simtest.Start(t, sim.Options{Seed: 8, Users: 120, HistoryDays: 60, Now: clk.Now})
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := site.Client(t)
	incremental := 0
	for d := 0; d < 6; d++ {
		r, err := collect.Run(ctx, c, st, "sim", clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if r.Incremental {
			incremental++
		}
		if d < 5 {
			clk.Add(24 * time.Hour)
		}
	}
	if incremental != 5 {
		t.Fatalf("%d incremental collections in a week, want 5 (the first is full)", incremental)
	}
	last, _ := st.LatestSnapshotTime(ctx, "sim")
	got, err := st.AuthoringAt(ctx, "sim", last)
	if err != nil {
		t.Fatal(err)
	}
	full, err := collect.Snapshot(ctx, c, "sim", last, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(full.Authoring) {
		t.Fatalf("incremental has %d authors, full read %d", len(got), len(full.Authoring))
	}
	for i := range got {
		g, f := got[i], full.Authoring[i]
		if g.UserGUID != f.UserGUID || g.ObjectsOwned != f.ObjectsOwned || g.ObjectsPublished != f.ObjectsPublished ||
			g.AppsOwned != f.AppsOwned || !g.LastAuthored.Equal(f.LastAuthored.Truncate(time.Second)) {
			t.Fatalf("author %s: incremental %+v, full %+v", g.UserGUID, g, f)
		}
	}
}

// TestIncrementalUsers: reading users incrementally during a week (joiners,
// leavers flagged inactive) gives the same users as reading them all, and a
// user count that does not add up (a deletion) falls back to a full read.
func TestIncrementalUsers(t *testing.T) {
	for _, lying := range []bool{false, true} {
		name := "consistent count"
		if lying {
			name = "count shows a deletion"
		}
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)} // a Monday
			s, err := sim.New(sim.Options{Seed: 12, Users: 300, HistoryDays: 30, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			var fullReads atomic.Int32
			site := simtest.ServeWith(t, s, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					p := strings.ToLower(r.URL.Path)
					if p == "/qrs/user/full" && r.URL.Query().Get("filter") == "" {
						fullReads.Add(1)
					}
					if lying && p == "/qrs/user/count" {
						w.Header().Set("Content-Type", "application/json")
						io.WriteString(w, `{"value": 1}`)
						return
					}
					h.ServeHTTP(w, r)
				})
			})
			ctx := context.Background()
			st, err := store.Open(ctx, filepath.Join(t.TempDir(), "u.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			c := site.Client(t)
			for d := 0; d < 6; d++ {
				if _, err := collect.Run(ctx, c, st, "sim", clk.Now()); err != nil {
					t.Fatal(err)
				}
				if d < 5 {
					clk.Add(24 * time.Hour)
				}
			}
			wantFull := int32(1)
			if lying {
				wantFull = 6
			}
			if got := fullReads.Load(); got != wantFull {
				t.Errorf("%d full user reads in a week, want %d", got, wantFull)
			}
			last, _ := st.LatestSnapshotTime(ctx, "sim")
			got, err := st.UsersAt(ctx, "sim", last)
			if err != nil {
				t.Fatal(err)
			}
			full, err := collect.Snapshot(ctx, c, "sim", last, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := full.Users
			sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
			if len(got) != len(want) {
				t.Fatalf("%d users stored, a full read has %d", len(got), len(want))
			}
			inactive := 0
			for i := range got {
				g, w := got[i], want[i]
				if g.ID != w.ID || g.Inactive != w.Inactive || g.UserID != w.UserID || g.RemovedExternally != w.RemovedExternally {
					t.Fatalf("user %s: stored %+v, full read %+v", g.ID, g, w)
				}
				if g.Inactive {
					inactive++
				}
			}
			if inactive == 0 {
				t.Error("no inactive user: the test does not exercise leavers")
			}
		})
	}
}
