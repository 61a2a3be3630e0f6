package serve

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/licmon/licmon/internal/metrics"
	"github.com/licmon/licmon/internal/schedule"
)

// TestScheduleSkippedSurvivesReload: /metrics counts the runs skipped
// because the previous one was still going, and a reload (which replaces
// the scheduler) does not reset the counter.
func TestScheduleSkippedSurvivesReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Server{}
		slow := schedule.Job{Site: "prod", Name: "collect", Every: 5 * time.Minute, RunAtStart: true,
			Run: func(ctx context.Context) error { <-ctx.Done(); return nil }} // never ends by itself
		quick := schedule.Job{Site: "prod", Name: "check", Every: 5 * time.Minute, RunAtStart: true,
			Run: func(context.Context) error { return nil }}
		start := func() { s.runScheduler(t.Context(), schedule.New([]schedule.Job{slow, quick}, schedule.Options{})) }

		start()
		time.Sleep(11 * time.Minute) // collect runs at 0; 5 and 10 are skipped
		want := []metrics.Job{{Name: "collect", Skipped: 2}, {Name: "check", Skipped: 0}}
		if got := s.scheduleJobs("prod"); !slices.Equal(got, want) {
			t.Fatalf("jobs = %+v, want %+v", got, want)
		}
		if got := s.scheduleJobs("test"); len(got) != 0 {
			t.Errorf("jobs of another site = %+v", got)
		}

		s.stopScheduler() // a reload
		start()
		time.Sleep(6 * time.Minute) // the new scheduler's run at 0 holds; 5 is skipped
		want = []metrics.Job{{Name: "collect", Skipped: 3}, {Name: "check", Skipped: 0}}
		if got := s.scheduleJobs("prod"); !slices.Equal(got, want) {
			t.Fatalf("after a reload jobs = %+v, want %+v", got, want)
		}
		s.stopScheduler()
	})
}
