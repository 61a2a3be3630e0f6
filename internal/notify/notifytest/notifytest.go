// Package notifytest holds test helpers shared by the notify channel tests:
// a recording HTTP receiver and golden-file comparison. Only tests import it.
package notifytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/licmon/licmon/internal/golden"
)

// Request is one request seen by a [Receiver].
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Receiver is an httptest server that records requests and answers with
// the statuses queued in Statuses (then 200 forever).
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []Request
	statuses []int
	body     string
}

// NewReceiver starts a Receiver; statuses are returned in order, one per
// request, then 200; body is written with every answer.
func NewReceiver(t testing.TB, body string, statuses ...int) *Receiver {
	r := &Receiver{statuses: statuses, body: body}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, Request{Method: req.Method, Path: req.URL.RequestURI(), Header: req.Header.Clone(), Body: b})
		code := http.StatusOK
		if len(r.statuses) > 0 {
			code, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, r.body)
	}))
	t.Cleanup(r.Close)
	return r
}

// Requests returns a copy of the recorded requests.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Golden compares got with testdata/name, rewriting the file under -update.
// JSON is compared after indenting so the golden files are readable.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	if json.Valid(got) {
		var b bytes.Buffer
		if err := json.Indent(&b, got, "", "  "); err != nil {
			t.Fatal(err)
		}
		b.WriteByte('\n')
		got = b.Bytes()
	}
	golden.Assert(t, name, got)
}
