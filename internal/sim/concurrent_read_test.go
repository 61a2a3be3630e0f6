package sim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// stalledWriter is a client that reads the first block of a response and
// then stops reading until release is closed.
type stalledWriter struct {
	hdr     http.Header
	code    int
	buf     bytes.Buffer
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func newStalledWriter() *stalledWriter {
	return &stalledWriter{hdr: http.Header{}, started: make(chan struct{}), release: make(chan struct{})}
}

func (w *stalledWriter) Header() http.Header { return w.hdr }
func (w *stalledWriter) WriteHeader(c int)   { w.code = c }
func (w *stalledWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.started)
		<-w.release
	})
	return w.buf.Write(p)
}

func request(method, path string) *http.Request {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	r := httptest.NewRequest(method, path+sep+"xrfkey="+xrf, nil)
	r.Header.Set("X-Qlik-Xrfkey", xrf)
	r.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	return r
}

// within runs f and fails the test if it has not returned in a minute:
// it would be blocked behind the stalled list read (a deadlock guard, not a
// timing: the bound is far above what the call takes on any machine).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s waited for a list read whose client stopped reading: the site lock is held while a list streams", what)
	}
}

// TestListReadDoesNotHoldTheSite: while a client is slow to read a big
// list, other reads, a release (DELETE) and the clock catching up go on,
// and the slow list is still the site as it was when the read began, byte
// for byte; the reads after the write see the write.
func TestListReadDoesNotHoldTheSite(t *testing.T) {
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	s := newSite(t, sim.Options{Users: 1000, Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	h := s.Handler()
	const path = "/qrs/license/professionalaccesstype/full"
	before := call(t, h, "GET", path, "")
	if before.Code != http.StatusOK || before.Body.Len() < 256<<10 {
		t.Fatalf("GET %s: status %d, %d bytes: want 200 and a body larger than the handler's write buffer", path, before.Code, before.Body.Len())
	}
	// A released allocation not used for a week is removed at once.
	var victim string
	for _, a := range list(t, h, path) {
		lu, _ := time.Parse("2006-01-02T15:04:05.000Z", a["lastUsed"].(string))
		if a["user"] != nil && fixedNow.Sub(lu) > 30*24*time.Hour {
			victim = a["id"].(string)
			break
		}
	}
	if victim == "" {
		t.Fatal("no allocation idle for 30 days on the test site")
	}

	slow := newStalledWriter()
	streamed := make(chan struct{})
	go func() {
		defer close(streamed)
		h.ServeHTTP(slow, request("GET", path))
	}()
	<-slow.started
	stalled := true
	defer func() {
		if stalled {
			close(slow.release)
			<-streamed
		}
	}()

	within(t, "another list read", func() {
		if w := call(t, h, "GET", "/qrs/user/full", ""); w.Code != http.StatusOK || !json.Valid(w.Body.Bytes()) {
			t.Errorf("GET /qrs/user/full during the slow read: status %d", w.Code)
		}
	})
	within(t, "a release", func() {
		if w := call(t, h, "DELETE", "/qrs/license/professionalaccesstype/"+victim, ""); w.Code != http.StatusNoContent {
			t.Errorf("DELETE during the slow read: status %d: %s", w.Code, w.Body.String())
		}
	})
	clock.Add(int64(6 * time.Hour)) // the next request catches the site up: a write
	var after *httptest.ResponseRecorder
	within(t, "a read that advances the clock", func() { after = call(t, h, "GET", path, "") })

	close(slow.release)
	stalled = false
	<-streamed
	if slow.code != http.StatusOK || !bytes.Equal(slow.buf.Bytes(), before.Body.Bytes()) {
		t.Errorf("the slow read is not the site as it was when it began: status %d, %d bytes against %d before", slow.code, slow.buf.Len(), before.Body.Len())
	}
	if after.Code != http.StatusOK || strings.Contains(after.Body.String(), victim) {
		t.Errorf("a read after the release: status %d, still lists allocation %s: %v", after.Code, victim, strings.Contains(after.Body.String(), victim))
	}
	if !strings.Contains(slow.buf.String(), victim) {
		t.Errorf("the slow read lost allocation %s, released after it began", victim)
	}
}

// TestConcurrentReadsAndWrites runs list reads, filtered counts, releases
// and clock advances at once (run with -race): every answer is 200 and
// well-formed JSON, and each released allocation is gone or quarantined.
func TestConcurrentReadsAndWrites(t *testing.T) {
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	s := newSite(t, sim.Options{Users: 300, Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	h := s.Handler()
	allocs := list(t, h, "/qrs/license/analyzeraccesstype/full")
	if len(allocs) < 8 {
		t.Fatalf("%d analyzer allocations: too few for the test", len(allocs))
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 5 {
				for _, p := range []string{"/qrs/user/full", "/qrs/license/professionalaccesstype/full", "/qrs/license/analyzeraccesstype",
					"/qrs/executionresult/full", "/qrs/license/professionalaccesstype/count?filter=" + q("lastUsed le '2026-02-01T00:00:00.000Z'")} {
					w := call(t, h, "GET", p, "")
					if w.Code != http.StatusOK || !json.Valid(w.Body.Bytes()) {
						t.Errorf("GET %s during writes: status %d, valid JSON %v", p, w.Code, json.Valid(w.Body.Bytes()))
					}
				}
			}
		})
		wg.Go(func() {
			id := allocs[i]["id"].(string)
			if w := call(t, h, "DELETE", "/qrs/license/analyzeraccesstype/"+id, ""); w.Code != http.StatusNoContent {
				t.Errorf("DELETE %s: status %d", id, w.Code)
			}
			clock.Add(int64(time.Minute))
		})
	}
	wg.Wait()
	for _, a := range allocs[:4] {
		w := call(t, h, "GET", "/qrs/license/analyzeraccesstype/"+a["id"].(string), "")
		if w.Code == http.StatusOK && !strings.Contains(w.Body.String(), `"quarantined":true`) {
			t.Errorf("allocation %s, released during the reads, is neither gone nor quarantined: %s", a["id"], w.Body.String())
		}
	}
}
