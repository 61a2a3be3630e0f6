package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
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

// slowClient is a ResponseWriter that blocks in its first Write until open
// is closed, like a client reading a large answer slowly: it keeps its
// heavy-request slot meanwhile.
type slowClient struct {
	*httptest.ResponseRecorder
	once    sync.Once
	entered chan<- struct{}
	open    <-chan struct{}
}

func (s *slowClient) Write(p []byte) (int, error) {
	s.once.Do(func() {
		s.entered <- struct{}{}
		<-s.open
	})
	return s.ResponseRecorder.Write(p)
}

// TestHeavyLimit fills the heavy-request slots with slow clients and checks
// that one more heavy request gets 503 with Retry-After and the JSON error
// format (the CSV download a page), while check and dashboard requests
// still answer at once.
func TestHeavyLimit(t *testing.T) {
	f := fixture(t)
	h := New(f, Options{Logger: slog.New(slog.DiscardHandler), MaxHeavyRequests: 2, HeavyWait: time.Nanosecond})
	entered, open := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range []string{"/api/v1/sites/prod/report", "/sites/prod/candidates.csv?kind=reclaim"} {
		wg.Go(func() {
			w := &slowClient{ResponseRecorder: httptest.NewRecorder(), entered: entered, open: open}
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
			if w.Code != http.StatusOK {
				t.Errorf("held request %s = %d: %s", p, w.Code, w.Body)
			}
		})
	}
	<-entered
	<-entered

	w := get(t, h, "/api/v1/sites/prod/forecast")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("request beyond the limit = %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != 503 || e.Code != "busy" || e.Hint == "" {
		t.Errorf("503 body = %s (%v); want the JSON error format with code busy and a hint", w.Body, err)
	}
	w = get(t, h, "/sites/prod/candidates.csv?kind=downgrade")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || w.Header().Get("Content-Disposition") != "" {
		t.Errorf("CSV beyond the limit = %d, Retry-After %q, Content-Disposition %q", w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Disposition"))
	}
	if w := get(t, h, "/api/v1/sites/prod/candidates?limit=5"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a candidates page beyond the limit = %d, want 503", w.Code)
	}
	// Checks and pages never wait behind heavy requests.
	for _, p := range []string{"/api/v1/sites/prod/check", "/api/v1/sites", "/sites/prod", "/"} {
		if w := get(t, h, p); w.Code != http.StatusOK {
			t.Errorf("GET %s while heavy slots are full = %d", p, w.Code)
		}
	}
	close(open)
	wg.Wait()
	if w := get(t, h, "/api/v1/sites/prod/forecast"); w.Code != http.StatusOK {
		t.Errorf("after the slots freed: %d", w.Code)
	}
}

// TestHeavyEncodingWaitBounded: while one request encodes a large answer,
// the others for it wait at most the heavy wait and get the busy answer
// (503 + Retry-After) instead of piling up behind the encoding; once it is
// done they get the bytes.
func TestHeavyEncodingWaitBounded(t *testing.T) {
	f := fixture(t)
	h := New(f, Options{Logger: slog.New(slog.DiscardHandler), HeavyWait: 20 * time.Millisecond}).(*handler)
	f.mu.Lock()
	rep := f.reports["prod"]
	f.mu.Unlock()
	started, finish := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// The first request's encoding, held until finish.
		h.heavy.bytes(rep, "report", func(w io.Writer) error {
			close(started)
			<-finish
			_, err := w.Write([]byte(`{"held":true}`))
			return err
		})
	})
	<-started
	w := get(t, h, "/api/v1/sites/prod/report")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("a request during another's encoding = %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	var e apiError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code != "busy" {
		t.Errorf("busy body = %s (%v)", w.Body, err)
	}
	close(finish)
	wg.Wait()
	if w := get(t, h, "/api/v1/sites/prod/report"); w.Code != http.StatusOK || w.Body.String() != `{"held":true}` {
		t.Errorf("after the encoding: %d %s", w.Code, w.Body)
	}
}
