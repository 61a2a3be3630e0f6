package reclaim_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/reclaim"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// counting counts the requests that reach the simulated QRS.
func counting(n *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			h.ServeHTTP(w, r)
		})
	}
}

func plannedWithRequests(t testing.TB, users int) (requests int64, candidates int) {
	s, err := sim.New(sim.Options{Seed: 3, Users: users, HistoryDays: 400, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	site := simtest.ServeWith(t, s, counting(&n))
	c := site.Client(t)
	in, err := reclaim.Gather(context.Background(), c, reclaim.GatherOptions{Authoring: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	pl := reclaim.Build(in, reclaim.Policy{MaxReleases: 1 << 30}, reclaim.Options{Downgrade: true})
	return n.Load(), len(pl.Candidates)
}

// TestPlanRequestsDoNotGrowWithTheSite: a plan reads users and allocations
// in bulk, so the number of QRS requests is the same for 200 and 2,000
// users (and at most ten; bench/reclaim.sh runs the 100k-user site).
func TestPlanRequestsDoNotGrowWithTheSite(t *testing.T) {
	small, cs := plannedWithRequests(t, 200)
	large, cl := plannedWithRequests(t, 2000)
	if small != large || large > 10 {
		t.Errorf("%d requests for 200 users (%d candidates), %d for 2000 (%d candidates): want the same and at most 10", small, cs, large, cl)
	}
	if cl <= cs {
		t.Errorf("the larger site has no more candidates (%d vs %d): the test does not exercise size", cl, cs)
	}
}

// BenchmarkPlan100k times Gather+Build on a 100k-user simulated site (the
// site is built once, outside the timing) next to the bare bulk reads of
// the same lists, and reports the QRS requests and candidates per plan.
func BenchmarkPlan100k(b *testing.B) {
	s, err := sim.New(sim.Options{Seed: 3, Users: 100000, HistoryDays: 400, Scenario: "idle-allocations", Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	site := simtest.ServeWith(b, s, counting(&n))
	c := site.Client(b)
	ctx := context.Background()
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			n.Store(0)
			in, err := reclaim.Gather(ctx, c, reclaim.GatherOptions{Authoring: true, Now: clock})
			if err != nil {
				b.Fatal(err)
			}
			pl := reclaim.Build(in, reclaim.Policy{MaxReleases: 1 << 30}, reclaim.Options{Downgrade: true})
			b.ReportMetric(float64(n.Load()), "requests")
			b.ReportMetric(float64(len(pl.Candidates)), "candidates")
			b.ReportMetric(float64(len(in.Users)), "users")
		}
	})
	// Reference: the same users and allocation lists, streamed and dropped.
	b.Run("bare-reads", func(b *testing.B) {
		for b.Loop() {
			for _, k := range []qrs.AccessTypeKind{qrs.KindProfessional, qrs.KindAnalyzer, qrs.KindUser} {
				if err := c.StreamAccessTypes(ctx, k, qrs.ListOptions{}, func(qrs.LicenseAccessType) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			if err := c.StreamUsers(ctx, qrs.ListOptions{}, func(qrs.User) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
