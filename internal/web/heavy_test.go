package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/report"
)

// TestHeavyEncodedOnce sends many concurrent requests for each heavy answer
// and checks that the model is encoded once per answer, not once per
// request, that every client gets the same bytes, and that a new model is
// encoded afresh.
func TestHeavyEncodedOnce(t *testing.T) {
	f := fixture(t)
	h := New(f, Options{Logger: slog.New(slog.DiscardHandler), MaxHeavyRequests: 64}).(*handler)
	paths := []string{
		"/api/v1/sites/prod/report",
		"/api/v1/sites/prod/licenses",
		"/api/v1/sites/prod/forecast",
		"/api/v1/sites/prod/candidates?kind=reclaim",
		"/sites/prod/candidates.csv?kind=reclaim",
		"/sites/prod/candidates.csv?kind=downgrade",
	}
	const n = 24
	fetchAll := func() map[string][]byte {
		var mu sync.Mutex
		bodies := map[string][]byte{}
		var wg sync.WaitGroup
		for _, p := range paths {
			for range n {
				wg.Go(func() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
					mu.Lock()
					defer mu.Unlock()
					if w.Code != http.StatusOK {
						t.Errorf("GET %s = %d: %s", p, w.Code, w.Body)
						return
					}
					if prev, ok := bodies[p]; ok && !bytes.Equal(prev, w.Body.Bytes()) {
						t.Errorf("GET %s answered two different bodies for one model", p)
					}
					bodies[p] = w.Body.Bytes()
				})
			}
		}
		wg.Wait()
		return bodies
	}
	first := fetchAll()
	if got := h.heavy.encodes.Load(); got != int64(len(paths)) {
		t.Fatalf("%d concurrent requests for each of %d answers encoded %d times, want %d (once per answer)", n, len(paths), got, len(paths))
	}

	// A new model (a collection ran) is encoded again, once.
	f.mu.Lock()
	next := *f.reports["prod"]
	next.Site = "prod"
	next.Notes = append([]string{"collected again"}, next.Notes...)
	f.reports["prod"] = &next
	f.mu.Unlock()
	second := fetchAll()
	if got := h.heavy.encodes.Load(); got != int64(2*len(paths)) {
		t.Fatalf("after a new model: %d encodings, want %d", got, 2*len(paths))
	}
	if bytes.Equal(first["/api/v1/sites/prod/report"], second["/api/v1/sites/prod/report"]) {
		t.Error("the report answer did not change with the model")
	}

	// A paged candidates request is small and not cached, and still correct.
	w := get(t, h, "/api/v1/sites/prod/candidates?kind=reclaim&limit=2")
	var page candidatesResponse
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || len(page.Candidates) != 2 {
		t.Fatalf("paged candidates: %v, %d rows", err, len(page.Candidates))
	}
}

// gateBackend blocks the first `hold` Report calls until open is closed,
// so a test can keep heavy requests in flight.
type gateBackend struct {
	*fakeBackend
	mu      sync.Mutex
	hold    int
	entered chan struct{}
	open    chan struct{}
}

func (g *gateBackend) Report(ctx context.Context, site string) (*report.Report, error) {
	g.mu.Lock()
	block := g.hold > 0
	g.hold--
	g.mu.Unlock()
	if block {
		g.entered <- struct{}{}
		<-g.open
	}
	return g.fakeBackend.Report(ctx, site)
}

// TestHeavyLimit fills the heavy-request slots and checks that one more
// heavy request gets 503 with Retry-After and the JSON error format (the
// CSV download a page), while check and dashboard requests still answer.
func TestHeavyLimit(t *testing.T) {
	g := &gateBackend{fakeBackend: fixture(t), hold: 2, entered: make(chan struct{}), open: make(chan struct{})}
	h := New(g, Options{Logger: slog.New(slog.DiscardHandler), MaxHeavyRequests: 2, HeavyWait: time.Nanosecond})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if w := get(t, h, "/api/v1/sites/prod/report"); w.Code != http.StatusOK {
				t.Errorf("held request = %d: %s", w.Code, w.Body)
			}
		})
	}
	<-g.entered
	<-g.entered

	w := get(t, h, "/api/v1/sites/prod/forecast")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("request beyond the limit = %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != 503 || e.Code != "busy" || e.Hint == "" {
		t.Errorf("503 body = %s (%v); want the JSON error format with code busy and a hint", w.Body, err)
	}
	if w := get(t, h, "/sites/prod/candidates.csv?kind=reclaim"); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("CSV beyond the limit = %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// Checks and pages never wait behind heavy requests.
	for _, p := range []string{"/api/v1/sites/prod/check", "/api/v1/sites", "/sites/prod", "/"} {
		if w := get(t, h, p); w.Code != http.StatusOK {
			t.Errorf("GET %s while heavy slots are full = %d", p, w.Code)
		}
	}
	close(g.open)
	wg.Wait()
	if w := get(t, h, "/api/v1/sites/prod/forecast"); w.Code != http.StatusOK {
		t.Errorf("after the slots freed: %d", w.Code)
	}
}
