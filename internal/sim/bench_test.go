package sim_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

func BenchmarkBuild(b *testing.B) {
	for b.Loop() {
		newSite(b, sim.Options{Users: 200})
	}
}

// BenchmarkBuild100k builds a 100 000-user site with 90 days of history.
func BenchmarkBuild100k(b *testing.B) {
	for b.Loop() {
		newSite(b, sim.Options{Users: 100000})
	}
}

// BenchmarkProfessionalFull100k builds a 100 000-user site once and serves
// GET /qrs/license/professionalaccesstype/full (about 58 000 rows).
func BenchmarkProfessionalFull100k(b *testing.B) {
	s := newSite(b, sim.Options{Users: 100000})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := float64(ms.HeapInuse) / (1 << 20)
	h := s.Handler()
	var n int64
	for b.Loop() {
		r := httptest.NewRequest("GET", "/qrs/license/professionalaccesstype/full?xrfkey="+xrf, nil)
		r.Header.Set("X-Qlik-Xrfkey", xrf)
		r.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
		w := &countingWriter{hdr: map[string][]string{}}
		h.ServeHTTP(w, r)
		n = w.n
	}
	b.ReportMetric(heap, "site-heap-MB")
	b.ReportMetric(float64(n)/(1<<20), "body-MB")
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MB")
}

// BenchmarkFilter100k evaluates a Butler-style filter over 100 000 users'
// allocations.
func BenchmarkFilter100k(b *testing.B) {
	s := newSite(b, sim.Options{Users: 100000})
	h := s.Handler()
	for b.Loop() {
		w := call(b, h, "GET", "/qrs/license/professionalaccesstype/count?filter="+q("lastUsed le '2026-02-01T23:59:59.999Z' and user.userDirectory eq 'CORP'"), "")
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

type countingWriter struct {
	hdr http.Header
	n   int64
}

func (c *countingWriter) Header() http.Header         { return c.hdr }
func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
func (c *countingWriter) WriteHeader(int)             {}

var _ = httptest.NewRecorder

// BenchmarkAdvanceDay100k simulates one day of a 100 000-user site.
func BenchmarkAdvanceDay100k(b *testing.B) {
	s := newSite(b, sim.Options{Users: 100000})
	for b.Loop() {
		s.Advance(24 * time.Hour)
	}
}
