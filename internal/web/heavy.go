package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licmon/licmon/internal/report"
)

// Defaults of the heavy-request bound (Options.MaxHeavyRequests, HeavyWait).
const (
	// DefaultMaxHeavyRequests suits the 2-core machines licmon usually
	// runs on: answering from the encoded bytes is cheap, so the slots
	// mostly bound slow clients and the one encoding per model.
	DefaultMaxHeavyRequests = 4
	// DefaultHeavyWait is how long a heavy request waits for a free slot
	// before it is answered 503.
	DefaultHeavyWait = time.Second
)

// heavy bounds the work of the answers that carry a whole report model (the
// report JSON, /licenses, /forecast, /candidates and the CSV downloads). A
// 50k-user model encodes to tens of megabytes; encoding it once per request
// made 48 concurrent requests cost 1.4 GB. So each answer is encoded once
// per model, by the first request that needs it, and the bytes are shared
// by every request (encoded); requests waiting for that encoding hold no
// memory of their own. Sending the bytes (and encoding a candidates page,
// which is per request) takes one of a fixed number of slots; a request
// that finds none free within the wait is answered 503 with Retry-After.
// Pages and checks never take a slot.
type heavy struct {
	slots chan struct{}
	wait  time.Duration

	mu    sync.Mutex
	sites map[string]*encodedSite
	// encodes counts encodings, so tests can show they are shared.
	encodes atomic.Int64
}

// encodedSite holds the encoded answers of one site's current model. A new
// model (by identity: the Backend returns the same pointer until the data
// changes) replaces it, which drops the old bytes.
type encodedSite struct {
	rep     *report.Report
	answers map[string]*encodedAnswer
}

// encodedAnswer is one answer, encoded by the first request that needs it;
// the others wait on done.
type encodedAnswer struct {
	done chan struct{}
	body []byte
	err  error
}

func newHeavy(max int, wait time.Duration) *heavy {
	return &heavy{slots: make(chan struct{}, max), wait: wait, sites: map[string]*encodedSite{}}
}

// acquire takes a slot, waiting at most h.wait (or until the client goes
// away); it reports whether it got one.
func (h *heavy) acquire(r *http.Request) bool {
	select {
	case h.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	return false
}

func (h *heavy) release() { <-h.slots }

// bytes returns the answer key of rep, encoding it with encode only if no
// other request has done so for this model.
func (h *heavy) bytes(rep *report.Report, key string, encode func(io.Writer) error) ([]byte, error) {
	site := strings.ToLower(rep.Site)
	h.mu.Lock()
	es := h.sites[site]
	if es == nil || es.rep != rep {
		es = &encodedSite{rep: rep, answers: map[string]*encodedAnswer{}}
		h.sites[site] = es
	}
	a := es.answers[key]
	if a != nil {
		h.mu.Unlock()
		return a.wait(h.wait)
	}
	a = &encodedAnswer{done: make(chan struct{})}
	es.answers[key] = a
	h.mu.Unlock()

	h.encodes.Add(1)
	var buf bytes.Buffer
	a.err = encode(&buf)
	a.body = buf.Bytes()
	if a.err != nil {
		// Not kept: the next request tries again.
		h.mu.Lock()
		if es.answers[key] == a {
			delete(es.answers, key)
		}
		h.mu.Unlock()
	}
	close(a.done)
	return a.body, a.err
}

// errEncoding is returned to a request that waited the heavy wait for
// another request's encoding of the same answer: the answer is busy.
var errEncoding = errors.New("the answer is still being encoded")

// wait returns the answer once encoded, or errEncoding after d. Without the
// bound, every request for a large answer that arrives while the first one
// encodes it (seconds for a 100k-user candidates list on a busy machine)
// piles up behind it: the serve load test saw them pass the client's 10 s
// timeout and fill every connection.
func (a *encodedAnswer) wait(d time.Duration) ([]byte, error) {
	select {
	case <-a.done:
		return a.body, a.err
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-a.done:
		return a.body, a.err
	case <-t.C:
		return nil, errEncoding
	}
}

// heavySlot takes a heavy-request slot for an API answer; when none is
// free it answers 503 itself and returns false. The caller must call
// h.heavy.release() after a true.
func (h *handler) heavySlot(w http.ResponseWriter, r *http.Request, api bool) bool {
	if h.heavy.acquire(r) {
		return true
	}
	h.busy(w, r, api)
	return false
}

// busy answers 503 with Retry-After: every heavy-request slot stayed taken,
// or the answer stayed in another request's encoding, for the heavy wait.
func (h *handler) busy(w http.ResponseWriter, r *http.Request, api bool) {
	w.Header().Set("Retry-After", "1")
	msg := "licmon is answering " + strconv.Itoa(cap(h.heavy.slots)) + " large requests (report, licenses, forecast, candidates) already"
	if api {
		writeJSONError(w, http.StatusServiceUnavailable, "busy", msg,
			"retry after a second; serve.max_heavy_requests in the config raises the limit")
		return
	}
	w.Header().Del("Content-Disposition") // the page is not the download
	h.errorPage(w, r, http.StatusServiceUnavailable, "Busy", msg+". Try again in a moment.")
}

// sendEncoded sends shared encoded bytes in a heavy-request slot, or a 503
// when none frees within the wait.
func (h *handler) sendEncoded(w http.ResponseWriter, r *http.Request, api bool, contentType string, body []byte) {
	if !h.heavySlot(w, r, api) {
		return
	}
	defer h.heavy.release()
	writeEncoded(w, contentType, body)
}

// writeEncoded sends encoded bytes with their content type.
func writeEncoded(w http.ResponseWriter, contentType string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
