package serve

import (
	"context"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// TestMemoryFollowsSitesAndPhases: what serve reports for its soft memory
// limit (Options.Memory) follows each site and its phase: a site's size is
// known before its first collection's lists are read, it is marked working
// while it collects or builds its model and only then, never more sites at
// once than there are collection slots, and at the end each site's size is
// its stored users plus allocations and its model is held.
func TestMemoryFollowsSitesAndPhases(t *testing.T) {
	small := simtest.Start(t, sim.Options{Seed: 4, Users: 40, HistoryDays: 10})
	big := simtest.Start(t, sim.Options{Seed: 5, Users: 240, HistoryDays: 10})
	dbPath := filepath.Join(t.TempDir(), "licmon.db")
	st, err := store.Open(t.Context(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Sites = []config.Site{{Name: "small", Server: small.URL, CertDir: small.CertDir}, {Name: "big", Server: big.URL, CertDir: big.CertDir}}
	cfg.Serve.Listen = "127.0.0.1:0"
	var (
		mu      sync.Mutex
		updates []map[string]SiteMemory
		atSave  = map[string]SiteMemory{} // each site's entry when its collection saved
	)
	record := func(m map[string]SiteMemory) {
		mu.Lock()
		updates = append(updates, maps.Clone(m))
		mu.Unlock()
	}
	saving := func(site string) {
		mu.Lock()
		defer mu.Unlock()
		if len(updates) > 0 {
			if _, ok := atSave[site]; !ok {
				atSave[site] = updates[len(updates)-1][site]
			}
		}
	}
	s, err := New(t.Context(), Options{Load: (&loader{cfg: cfg}).Load, NewClient: QRSClient("test", nil), Version: "test",
		Store: savingStore{Store: st, saving: saving}, Memory: record})
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, s)
	defer st.Close()
	waitFor(t, "both report models", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(updates) == 0 {
			return false
		}
		last := updates[len(updates)-1]
		return last["small"].Model && last["big"].Model && !last["small"].Working && !last["big"].Working
	})
	mu.Lock()
	defer mu.Unlock()
	for i, u := range updates {
		n := 0
		for _, m := range u {
			if m.Working {
				n++
			}
		}
		if n > DefaultMaxCollections {
			t.Errorf("update %d: %d sites working at once with %d slot(s): %+v", i, n, DefaultMaxCollections, u)
		}
	}
	for _, name := range []string{"small", "big"} {
		if m := atSave[name]; !m.Working || m.Items <= 0 {
			t.Errorf("%s: when its first collection saved, serve reported %+v: working, with the QRS's user count, expected", name, m)
		}
		cs, err := st.Collections(t.Context(), name, time.Time{}, time.Now().Add(time.Hour))
		if err != nil || len(cs) == 0 {
			t.Fatalf("%s: collections %v %v", name, cs, err)
		}
		c := cs[len(cs)-1]
		if got, want := updates[len(updates)-1][name].Items, c.Users+c.Allocations; got != want {
			t.Errorf("%s: size %d, want its %d users and %d allocations", name, got, c.Users, c.Allocations)
		}
	}
	last := updates[len(updates)-1]
	if last["big"].Items <= 4*last["small"].Items {
		t.Errorf("sizes do not follow the sites: big %d, small %d (240 and 40 users)", last["big"].Items, last["small"].Items)
	}
}

// savingStore tells when a collection saves.
type savingStore struct {
	store.Store
	saving func(site string)
}

func (s savingStore) SaveSnapshotBackfill(ctx context.Context, snap *license.Snapshot, reconstruct func(*license.Snapshot) []license.DailyCounters) (*store.SaveResult, error) {
	s.saving(snap.Site)
	return s.Store.SaveSnapshotBackfill(ctx, snap, reconstruct)
}
