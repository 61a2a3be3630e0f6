package reclaim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/licmon/licmon/internal/reclaim"
)

// failingRecorder is an audit trail whose store fails from the nth Start on
// (a full disk, a locked or damaged database).
type failingRecorder struct {
	memRecorder
	n, starts int
}

var errAudit = errors.New("database is locked (injected by the test)")

func (f *failingRecorder) Start(ctx context.Context, action, target, id, detail string) (int64, error) {
	f.starts++
	if f.starts >= f.n {
		return 0, errAudit
	}
	return f.memRecorder.Start(ctx, action, target, id, detail)
}

// An audit trail that cannot be written stops the run before the next
// change: Apply returns the store's error saying it stopped, every DELETE
// that reached the site has its audit row with an outcome, and none was
// sent without one.
func TestApplyStopsWhenTheAuditCannotBeWritten(t *testing.T) {
	rec := &failingRecorder{n: 4}
	var mu sync.Mutex
	var deletes []string
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				mu.Lock()
				deletes = append(deletes, strings.ToLower(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]))
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}
	_, c := newSite(t, "healthy", wrap)
	pl := plan(t, c, reclaim.Policy{}, reclaim.Options{Types: []reclaim.Type{reclaim.Professional}})
	if len(pl.Candidates) < 6 {
		t.Fatalf("only %d candidates", len(pl.Candidates))
	}
	res, err := reclaim.Apply(context.Background(), c, pl, fast(), rec)
	if !errors.Is(err, errAudit) || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("Apply with a failing audit trail: err = %v, want the store's error and that it stopped", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(deletes) != rec.n-1 {
		t.Errorf("%d DELETEs sent, want the %d recorded before the audit failed", len(deletes), rec.n-1)
	}
	for _, id := range deletes {
		ok := false
		for _, e := range rec.entries {
			if strings.EqualFold(e.id, id) && e.result == reclaim.Released {
				ok = true
			}
		}
		if !ok {
			t.Errorf("DELETE of %s reached the site without a finished audit row", id)
		}
	}
	if len(res) != rec.n {
		t.Errorf("%d results, want %d (the last one the failed)", len(res), rec.n)
	}
}
