//go:build unix

package store_test

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/store"
	"github.com/licmon/licmon/internal/store/storetest"
)

const (
	envCrashDB    = "LICMON_STORE_CRASH_DB"
	envCrashStage = "LICMON_STORE_CRASH_STAGE"
)

func crashSnapshots() (*license.Snapshot, *license.Snapshot) {
	s1 := storetest.Generate(11, storetest.Config{Site: "prod", At: t0, Users: 3000, Professional: 1200, Analyzer: 1500,
		Authoring: 300, CapacityUser: 50})
	s2 := storetest.NewStream(11).Next(s1, t0.Add(24*time.Hour), 0.3)
	return s1, s2
}

// TestHelperProcess is the child of TestSaveSurvivesSIGKILL: it saves
// snapshot 1, then kills itself with SIGKILL at a stage of saving snapshot 2.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(envCrashDB)
	if path == "" {
		t.Skip("helper process for TestSaveSurvivesSIGKILL")
	}
	stage := os.Getenv(envCrashStage)
	ctx := context.Background()
	s1, s2 := crashSnapshots()
	s, err := store.Open(ctx, path, store.WithHook(store.Options{}, func(got string) {
		if got == stage {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	// Snapshot 1 saves normally (stages only kill on the second save).
	stageOfFirst := stage
	stage = ""
	if _, err := s.SaveSnapshot(ctx, s1); err != nil {
		t.Fatal(err)
	}
	stage = stageOfFirst
	if _, err := s.SaveSnapshot(ctx, s2); err != nil {
		t.Fatal(err)
	}
	os.Exit(3) // the hook should have killed us
}

func TestSaveSurvivesSIGKILL(t *testing.T) { forEachBackend(t, testSaveSurvivesSIGKILL) }

func testSaveSurvivesSIGKILL(t *testing.T, be backend) {
	s1, _ := crashSnapshots()
	want := normalized(t, s1)
	for _, stage := range []string{"begin", "allocations", "users", "before-commit"} {
		t.Run(stage, func(t *testing.T) {
			path := be.location(t)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), envCrashDB+"="+path, envCrashStage+"="+stage)
			out, err := cmd.CombinedOutput()
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL at %q: %v\n%s", stage, err, out)
			}
			ctx := context.Background()
			s, err := store.Open(ctx, path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			later := t0.Add(48 * time.Hour)
			got, err := s.AllocationsAt(ctx, "prod", later)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Allocations, got); diff != "" {
				t.Fatalf("allocations after crash differ from snapshot 1 (-want +got):\n%s", diff)
			}
			users, _ := s.UsersAt(ctx, "prod", later)
			if diff := cmp.Diff(want.Users, users); diff != "" {
				t.Fatalf("users after crash (-want +got):\n%s", diff)
			}
			daily, err := s.DailyCounters(ctx, "prod", license.Professional, t0, later)
			if err != nil {
				t.Fatal(err)
			}
			if len(daily) != 1 || !daily[0].Day.Equal(license.Day(t0)) || daily[0].Allocated != want.Counters[0].Allocated {
				t.Fatalf("daily counters after crash = %+v, want only snapshot 1's day", daily)
			}
			// The store is usable: saving snapshot 2 now works.
			_, s2 := crashSnapshots()
			if _, err := s.SaveSnapshot(ctx, s2); err != nil {
				t.Fatalf("save after crash: %v", err)
			}
		})
	}
}
