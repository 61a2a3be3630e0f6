package web

import (
	"bufio"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/report"
)

// discard is a ResponseWriter that drops the body, so the benchmark
// measures the server's memory and not a recorder's copy of each answer.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// BenchmarkConcurrentReport sends 48 concurrent GET /report for a 50k-user
// site right after a new model (a collection) arrived, the load that made
// serve reach 1.44 GB, through licmon's handler and, side by side, through
// a reference that encodes the model once per request (what serve did
// before). It reports the peak heap in use during a round, the bytes
// allocated per round, and how many requests were answered 200 or 503.
func BenchmarkConcurrentReport(b *testing.B) {
	const clients = 48
	f := fixture(b)
	f.sites[0].Name = "big"
	base := synthReport("big", 50_000, 3*365, checkedAt)
	f.reports["big"] = base
	licmon := New(f, Options{Logger: slog.New(slog.DiscardHandler)})
	reference := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, _ := f.Report(r.Context(), "big")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		bw := bufio.NewWriterSize(w, 32<<10)
		_ = report.WriteJSON(bw, rep)
		_ = bw.Flush()
	})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"licmon", licmon}, {"reference-encode-per-request", reference}} {
		b.Run(c.name, func(b *testing.B) {
			var peak atomic.Uint64
			var ok, busy atomic.Int64
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				// A new model, as after a collection: nothing is encoded yet.
				next := *base
				f.mu.Lock()
				f.reports["big"] = &next
				f.mu.Unlock()
				stop := make(chan struct{})
				sampled := make(chan struct{})
				go func() {
					defer close(sampled)
					s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
					t := time.NewTicker(time.Millisecond)
					defer t.Stop()
					for {
						metrics.Read(s)
						if v := s[0].Value.Uint64(); v > peak.Load() {
							peak.Store(v)
						}
						select {
						case <-stop:
							return
						case <-t.C:
						}
					}
				}()
				var wg sync.WaitGroup
				for range clients {
					wg.Go(func() {
						w := &discard{h: http.Header{}, code: 200}
						c.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/sites/big/report", nil))
						switch w.code {
						case 200:
							ok.Add(1)
						case 503:
							busy.Add(1)
						default:
							b.Errorf("status %d", w.code)
						}
					})
				}
				wg.Wait()
				close(stop)
				<-sampled
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MB/round")
			b.ReportMetric(float64(ok.Load())/float64(b.N), "ok/round")
			b.ReportMetric(float64(busy.Load())/float64(b.N), "503/round")
		})
	}
}
