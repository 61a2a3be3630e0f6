//go:build unix

package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// These tests run the real collector against the simulator in a child
// process and kill it with SIGKILL, at the named stages of the save (the
// first collection's snapshot and backfill included) and at random times
// during a run of daily collections. Whatever the moment, the store must
// open, hold each collection whole or not at all, keep the reconstructed
// history of the first collection, and accept the next collection.

const (
	envCollectDB    = "LICMON_COLLECT_CRASH_DB"
	envCollectStage = "LICMON_COLLECT_CRASH_STAGE"
	envCollectLoop  = "LICMON_COLLECT_CRASH_LOOP"
)

var collectT0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

func crashSite(t testing.TB, at func() time.Time) *simtest.Site {
	return simtest.Start(t, sim.Options{Seed: 5, Users: 150, HistoryDays: 400, Now: at})
}

// TestCollectHelperProcess is the child of the collect crash tests.
func TestCollectHelperProcess(t *testing.T) {
	path := os.Getenv(envCollectDB)
	if path == "" {
		t.Skip("helper process for TestCollectSurvivesSIGKILL")
	}
	ctx := context.Background()
	stage := os.Getenv(envCollectStage)
	opts := store.Options{}
	if stage != "" {
		opts = store.WithHook(opts, func(got string) {
			if got == stage {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
		})
	}
	st, err := store.Open(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	at := collectT0
	site := crashSite(t, func() time.Time { return at })
	c := site.Client(t)
	if os.Getenv(envCollectLoop) == "" {
		if _, err := collect.Run(ctx, c, st, "prod", at); err != nil {
			t.Fatal(err)
		}
		os.Exit(3) // the hook should have killed us
	}
	// Loop: collect day after day until the parent kills us.
	for day := 0; ; day++ {
		at = collectT0.Add(time.Duration(day) * 24 * time.Hour)
		if _, err := collect.Run(ctx, c, st, "prod", at); err != nil {
			t.Fatal(err)
		}
	}
}

func runCollectChild(t *testing.T, path string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCollectHelperProcess$")
	cmd.Env = append(append(os.Environ(), envCollectDB+"="+path), env...)
	return cmd
}

// checkWhole verifies that every collection in the store is whole and the
// first one's backfill is there, and returns the number of collections.
func checkWhole(t *testing.T, st store.Store) int {
	t.Helper()
	ctx := context.Background()
	cols, err := st.Collections(ctx, "prod", time.Time{}, collectT0.AddDate(10, 0, 0))
	if err != nil {
		sites, _ := st.Sites(ctx)
		if len(sites) == 0 {
			return 0 // nothing saved yet: the state before the first collection
		}
		t.Fatalf("collections: %v", err)
	}
	if len(cols) == 0 {
		return 0
	}
	last := cols[len(cols)-1]
	allocs, err := st.AllocationsAt(ctx, "prod", last.At)
	if err != nil {
		t.Fatal(err)
	}
	users, err := st.UsersAt(ctx, "prod", last.At)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != last.Allocations || len(users) != last.Users {
		t.Fatalf("latest collection %s is partial: %d allocations and %d users stored, the collection says %d and %d",
			last.At.Format(time.RFC3339), len(allocs), len(users), last.Allocations, last.Users)
	}
	counters, err := st.CountersAt(ctx, "prod", last.At)
	if err != nil || len(counters) == 0 {
		t.Fatalf("latest collection has no counters: %v", err)
	}
	if n := reconstructedDays(t, st); n == 0 {
		t.Fatalf("%d collections but no reconstructed history: the first collection's backfill was lost", len(cols))
	}
	return len(cols)
}

func reconstructedDays(t *testing.T, st store.Store) int {
	t.Helper()
	daily, err := st.CounterSeries(context.Background(), "prod", license.Professional, collectT0.AddDate(-3, 0, 0), collectT0.AddDate(3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range daily {
		if d.Reconstructed {
			n++
		}
	}
	return n
}

// collectAfter opens the store the child left and collects once more,
// later than anything the child saved: it must succeed.
func collectAfter(t *testing.T, path string, at time.Time) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("open after crash: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	checkWhole(t, st)
	site := crashSite(t, func() time.Time { return at })
	if _, err := collect.Run(ctx, site.Client(t), st, "prod", at); err != nil {
		t.Fatalf("collect after crash: %v", err)
	}
	return st
}

// TestCollectSurvivesSIGKILL kills the first collection at each stage of
// its save, "committed" being the moment between the snapshot and what was
// once a separate backfill transaction (issue 12, defect 2).
func TestCollectSurvivesSIGKILL(t *testing.T) {
	for _, stage := range []string{"begin", "allocations", "users", "backfill", "before-commit", "committed"} {
		t.Run(stage, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "licmon.db")
			cmd := runCollectChild(t, path, envCollectStage+"="+stage)
			out, err := cmd.CombinedOutput()
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL at %q: %v\n%s", stage, err, out)
			}
			st := collectAfter(t, path, collectT0.Add(24*time.Hour))
			n := checkWhole(t, st)
			wantN := 1 // killed before the commit: only the collection made after the crash
			if stage == "committed" {
				wantN = 2
			}
			if n != wantN {
				t.Fatalf("%d collections after the crash at %q and one more collection, want %d", n, stage, wantN)
			}
			if d := reconstructedDays(t, st); d < 30 {
				t.Fatalf("%d reconstructed days after a crash at %q, want the site's history (400 days)", d, stage)
			}
		})
	}
}

// TestCollectSurvivesRandomSIGKILL kills a run of daily collections at
// random moments. The seed is logged so a failure can be replayed with
// LICMON_CRASH_SEED.
func TestCollectSurvivesRandomSIGKILL(t *testing.T) {
	iterations := 10
	if testing.Short() {
		iterations = 2
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LICMON_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("LICMON_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := range iterations {
		path := filepath.Join(t.TempDir(), "licmon.db")
		cmd := runCollectChild(t, path, envCollectLoop+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The child needs ~0.2s to start and build the site; kills land
		// before, during and after the first collection and in later ones.
		delay := time.Duration(rng.IntN(700)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		st := collectAfter(t, path, collectT0.AddDate(1, 0, 0))
		n := checkWhole(t, st)
		t.Logf("iteration %d: killed after %s, %d collections afterwards", i, delay, n)
	}
}
