package schedule

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// recorder records the fake-clock start time of every run.
type recorder struct {
	mu     sync.Mutex
	starts []time.Time
}

func (r *recorder) run(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		r.mu.Lock()
		r.starts = append(r.starts, time.Now())
		r.mu.Unlock()
		if d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
}

func (r *recorder) offsets(t0 time.Time) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for _, s := range r.starts {
		out = append(out, s.Sub(t0))
	}
	return out
}

// runFor runs the scheduler for d of fake time, then stops it and waits.
func runFor(s *Scheduler, d time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	time.Sleep(d)
	cancel()
	<-done
}

func TestIntervalRunsAtStartAndEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var r recorder
		s := New([]Job{{Site: "prod", Name: "check", Every: 5 * time.Minute, RunAtStart: true, Run: r.run(0)}}, Options{})
		runFor(s, 21*time.Minute)
		want := []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute}
		if got := r.offsets(t0); !equal(got, want) {
			t.Fatalf("runs at %v, want %v", got, want)
		}
		st := s.Stats()[0]
		if st.Runs != 5 || st.Skipped != 0 || st.Failures != 0 || st.Running || !st.Next.IsZero() {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestIntervalWithoutRunAtStartWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var r recorder
		s := New([]Job{{Site: "prod", Name: "check", Every: 5 * time.Minute, Run: r.run(0)}}, Options{})
		runFor(s, 11*time.Minute)
		if got, want := r.offsets(t0), []time.Duration{5 * time.Minute, 10 * time.Minute}; !equal(got, want) {
			t.Fatalf("runs at %v, want %v", got, want)
		}
	})
}

func TestJitterStaysWithinBoundsAndDoesNotDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var r recorder
		const every, jitter = 5 * time.Minute, 30 * time.Second
		// The real random source: bounds must hold whatever it draws.
		s := New([]Job{{Site: "prod", Name: "check", Every: every, Jitter: jitter, RunAtStart: true, Run: r.run(0)}}, Options{})
		// Slot 99 runs before 99*every+jitter; slot 100 not before 100*every.
		runFor(s, 100*every-time.Second)
		got := r.offsets(t0)
		if len(got) != 100 {
			t.Fatalf("%d runs in 100 intervals, want 100: %v", len(got), got)
		}
		spread := false
		for k, off := range got {
			slot := time.Duration(k) * every
			if off < slot || off >= slot+jitter {
				t.Errorf("run %d at %v, want within [%v, %v)", k, off, slot, slot+jitter)
			}
			if off != slot {
				spread = true
			}
		}
		if !spread {
			t.Error("no run was jittered")
		}
	})
}

func TestJitterSourceIsClamped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var r recorder
		// A bad jitter source returning more than asked must not push runs
		// past their window.
		s := New([]Job{{Site: "prod", Name: "check", Every: time.Minute, Jitter: 10 * time.Second, RunAtStart: true, Run: r.run(0)}},
			Options{Jitter: func(time.Duration) time.Duration { return time.Hour }})
		runFor(s, 2*time.Minute+30*time.Second)
		for k, off := range r.offsets(t0) {
			if slot := time.Duration(k) * time.Minute; off >= slot+10*time.Second {
				t.Errorf("run %d at %v beyond its jitter window", k, off)
			}
		}
	})
}

func TestNoOverlapSkipsAndCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var r recorder
		var running, maxRunning atomic.Int32
		slow := r.run(12 * time.Minute)
		s := New([]Job{{Site: "prod", Name: "collect", Every: 5 * time.Minute, RunAtStart: true, Run: func(ctx context.Context) error {
			n := running.Add(1)
			defer running.Add(-1)
			if n > maxRunning.Load() {
				maxRunning.Store(n)
			}
			return slow(ctx)
		}}}, Options{})
		runFor(s, 31*time.Minute)
		// 0 runs until 12; 5 and 10 are skipped; 15 runs until 27; 20, 25 skipped; 30 runs.
		if got, want := r.offsets(t0), []time.Duration{0, 15 * time.Minute, 30 * time.Minute}; !equal(got, want) {
			t.Fatalf("runs at %v, want %v", got, want)
		}
		if maxRunning.Load() != 1 {
			t.Errorf("%d runs at once", maxRunning.Load())
		}
		st := s.Stats()[0]
		if st.Skipped != 4 || st.Runs != 3 {
			t.Errorf("stats = %+v, want 3 runs and 4 skipped", st)
		}
	})
}

func TestDifferentSitesRunConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a, b recorder
		s := New([]Job{
			{Site: "a", Name: "collect", Every: time.Hour, RunAtStart: true, Run: a.run(30 * time.Minute)},
			{Site: "b", Name: "collect", Every: time.Hour, RunAtStart: true, Run: b.run(30 * time.Minute)},
		}, Options{})
		runFor(s, time.Minute)
		if len(a.starts) != 1 || len(b.starts) != 1 || !a.starts[0].Equal(b.starts[0]) {
			t.Errorf("a %v b %v: sites should not wait for each other", a.starts, b.starts)
		}
	})
}

func TestDailyAtConfiguredTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now().UTC() // synctest starts at midnight UTC
		var r recorder
		s := New([]Job{{Site: "prod", Name: "collect", Hour: 2, Minute: 30, Location: time.UTC, Run: r.run(0)}}, Options{})
		runFor(s, 3*24*time.Hour)
		want := []time.Duration{2*time.Hour + 30*time.Minute, 26*time.Hour + 30*time.Minute, 50*time.Hour + 30*time.Minute}
		if got := r.offsets(t0); !equal(got, want) {
			t.Fatalf("runs at %v, want %v", got, want)
		}
	})
}

func TestDailyCatchUpAtStart(t *testing.T) {
	for _, missed := range []bool{true, false} {
		t.Run(map[bool]string{true: "missed", false: "up to date"}[missed], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				time.Sleep(10 * time.Hour) // start at 10:00, after today's 02:00
				t0 := time.Now()
				var r recorder
				var asked time.Time
				s := New([]Job{{Site: "prod", Name: "collect", Hour: 2, Location: time.UTC, Run: r.run(0),
					CatchUp: func(_ context.Context, now time.Time) bool { asked = now; return missed }}}, Options{})
				runFor(s, 17*time.Hour)
				want := []time.Duration{16 * time.Hour} // tomorrow 02:00
				if missed {
					want = append([]time.Duration{0}, want...)
				}
				if got := r.offsets(t0); !equal(got, want) {
					t.Fatalf("runs at %v, want %v", got, want)
				}
				if !asked.Equal(t0) {
					t.Errorf("CatchUp asked with %v, want the start time", asked)
				}
			})
		})
	}
}

func TestGracefulStopWaitsForRunningJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sawCancel atomic.Bool
		var finished atomic.Bool
		s := New([]Job{{Site: "prod", Name: "collect", Every: time.Hour, RunAtStart: true, Run: func(ctx context.Context) error {
			<-ctx.Done()
			sawCancel.Store(true)
			time.Sleep(time.Second) // cleanup after cancellation
			finished.Store(true)
			return ctx.Err()
		}}}, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(time.Minute)
		cancel()
		<-done
		if !sawCancel.Load() || !finished.Load() {
			t.Fatal("Run returned before the running job finished")
		}
		if st := s.Stats()[0]; st.Failures != 1 || st.LastErr != context.Canceled.Error() {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestTimeoutAndPanicAreFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New([]Job{
			{Site: "a", Name: "check", Every: time.Hour, RunAtStart: true, Timeout: time.Minute, Run: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			}},
			{Site: "b", Name: "check", Every: time.Hour, RunAtStart: true, Run: func(context.Context) error { panic("boom") }},
		}, Options{})
		runFor(s, 2*time.Minute)
		st := s.Stats()
		if st[0].Failures != 1 || st[0].LastErr != context.DeadlineExceeded.Error() || st[0].LastDuration != time.Minute {
			t.Errorf("timeout stats = %+v", st[0])
		}
		if st[1].Failures != 1 || st[1].LastErr != "job panicked: boom" {
			t.Errorf("panic stats = %+v", st[1])
		}
	})
}

func TestNextDaily(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	cases := []struct {
		name string
		now  time.Time
		h, m int
		want time.Time
	}{
		{"later today", time.Date(2025, 3, 1, 1, 0, 0, 0, paris), 2, 0, time.Date(2025, 3, 1, 2, 0, 0, 0, paris)},
		{"exactly now goes to tomorrow", time.Date(2025, 3, 1, 2, 0, 0, 0, paris), 2, 0, time.Date(2025, 3, 2, 2, 0, 0, 0, paris)},
		{"passed today", time.Date(2025, 3, 1, 9, 0, 0, 0, paris), 2, 0, time.Date(2025, 3, 2, 2, 0, 0, 0, paris)},
		{"DST gap runs at 03:30", time.Date(2025, 3, 29, 23, 0, 0, 0, paris), 2, 30, time.Date(2025, 3, 30, 3, 30, 0, 0, paris)},
		{"input in UTC", time.Date(2025, 7, 1, 23, 30, 0, 0, time.UTC), 2, 0, time.Date(2025, 7, 2, 2, 0, 0, 0, paris)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextDaily(tc.now, tc.h, tc.m, paris); !got.Equal(tc.want) {
				t.Errorf("NextDaily = %v, want %v", got, tc.want)
			}
		})
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A scheduler that starts where another left off (a new leader) runs the
// interval job one interval after the last recorded run, not at once, and
// at once when that run is more than an interval old.
func TestIntervalContinuesFromTheLastRecordedRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		var r recorder
		recent := func(context.Context) time.Time { return t0.Add(-2 * time.Minute) }
		s := New([]Job{{Site: "prod", Name: "check", Every: 5 * time.Minute, RunAtStart: true, Last: recent, Run: r.run(0)}}, Options{})
		runFor(s, 9*time.Minute)
		if got, want := r.offsets(t0), []time.Duration{3 * time.Minute, 8 * time.Minute}; !equal(got, want) {
			t.Fatalf("runs at %v, want %v", got, want)
		}

		t1 := time.Now()
		var old recorder
		stale := func(context.Context) time.Time { return t1.Add(-7 * time.Minute) }
		s = New([]Job{{Site: "prod", Name: "check", Every: 5 * time.Minute, RunAtStart: true, Last: stale, Run: old.run(0)}}, Options{})
		runFor(s, 6*time.Minute)
		if got, want := old.offsets(t1), []time.Duration{0, 5 * time.Minute}; !equal(got, want) {
			t.Fatalf("after a stale last run: runs at %v, want %v", got, want)
		}
	})
}

func TestPrevDaily(t *testing.T) {
	loc := time.UTC
	at := func(h, m int) time.Time { return time.Date(2025, 5, 2, h, m, 0, 0, loc) }
	if got := PrevDaily(at(2, 30), 2, 0, loc); !got.Equal(at(2, 0)) {
		t.Errorf("after today's slot: %v", got)
	}
	if got := PrevDaily(at(2, 0), 2, 0, loc); !got.Equal(at(2, 0)) {
		t.Errorf("at the slot: %v", got)
	}
	if got := PrevDaily(at(1, 59), 2, 0, loc); !got.Equal(at(2, 0).AddDate(0, 0, -1)) {
		t.Errorf("before today's slot: %v", got)
	}
}
