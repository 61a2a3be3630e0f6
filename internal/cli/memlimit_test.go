package cli_test

import (
	"context"
	"math"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// memoryLimit is the process's soft memory limit.
func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

// keepMemoryLimit restores the process's soft memory limit after the test.
func keepMemoryLimit(t *testing.T) {
	was := memoryLimit()
	t.Cleanup(func() { debug.SetMemoryLimit(was) })
	debug.SetMemoryLimit(math.MaxInt64)
}

// TestCollectSetsMemoryLimitOfSite: `licmon collect` sets the soft memory
// limit from the size of the site it collects (collect.MemoryLimit): at
// the first collection from the QRS's user count, then from the store's
// latest collection; GOMEMLIMIT, when set, is left to the runtime.
func TestCollectSetsMemoryLimitOfSite(t *testing.T) {
	keepMemoryLimit(t)
	t.Setenv("GOMEMLIMIT", "")
	site := simtest.Start(t, sim.Options{Seed: 2, Users: 70, HistoryDays: 10})
	db := filepath.Join(t.TempDir(), "h.db")
	args := []string{"collect", "--server", site.URL, "--cert-dir", site.CertDir, "--site", "sim", "--db", db}
	if code, out, errOut := run(t, args...); code != 0 {
		t.Fatalf("first collect: %d\n%s\n%s", code, out, errOut)
	}
	users, allocs := stored(t, db)
	if got, want := memoryLimit(), collect.MemoryLimit(users, users); got != want {
		t.Errorf("first collection: limit %d, want %d (the QRS's %d users, as many allocations)", got, want, users)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	if code, out, errOut := run(t, args...); code != 0 {
		t.Fatalf("second collect: %d\n%s\n%s", code, out, errOut)
	}
	if got, want := memoryLimit(), collect.MemoryLimit(users, allocs); got != want {
		t.Errorf("second collection: limit %d, want %d (%d users and %d allocations stored)", got, want, users, allocs)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	if code, out, errOut := run(t, args...); code != 0 || !strings.Contains(out, "sim") {
		t.Fatalf("collect with GOMEMLIMIT: %d\n%s\n%s", code, out, errOut)
	}
	if got := memoryLimit(); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, collect set the limit to %d", got)
	}
}

// stored is the users and allocations of the latest collection of "sim".
func stored(t *testing.T, db string) (users, allocs int) {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Collections(context.Background(), "sim", time.Time{}, time.Now().Add(time.Hour))
	if err != nil || len(cs) == 0 {
		t.Fatalf("collections: %v %v", cs, err)
	}
	return cs[len(cs)-1].Users, cs[len(cs)-1].Allocations
}
