package collect_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// benchNow is the simulated sites' clock in the fetch benchmarks.
var benchNow = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// bigLists are the lists a first collection reads in full: the fetch
// benchmark answers them from bytes the simulator rendered once.
var bigLists = []string{
	"/qrs/license/professionalaccesstype/full", "/qrs/license/analyzeraccesstype/full", "/qrs/license/useraccesstype/full",
	"/qrs/user/full", "/qrs/app/full", "/qrs/app/object/full", "/qrs/dataconnection/full",
	"/qrs/license/analyzertimeaccessusage/full",
}

// cachedSite serves a simulated site of users users (users/5 apps of 10
// objects each, as bench/collect.sh builds it) whose unfiltered big lists
// are answered from the bytes the simulator rendered for the first request,
// so that a benchmark measures the client's fetch (TLS, HTTP, decoding and
// the collector's records), not the simulator rendering JSON in the same
// process. It returns the site and the bytes of one collection's lists.
func cachedSite(b *testing.B, users int) (*simtest.Site, *int64) {
	s, err := sim.New(sim.Options{Seed: 3, Users: users, Apps: users / 5, ObjectsPerApp: 10, HistoryDays: 365,
		Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	cache := map[string][]byte{}
	total := new(int64)
	site := simtest.ServeWith(b, s, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			big := r.Method == http.MethodGet && r.URL.Query().Get("filter") == "" && contains(bigLists, r.URL.Path)
			if !big {
				h.ServeHTTP(w, r)
				return
			}
			mu.Lock()
			body, ok := cache[r.URL.Path]
			if !ok {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					mu.Unlock()
					w.WriteHeader(rec.Code)
					_, _ = w.Write(rec.Body.Bytes())
					return
				}
				body = bytes.Clone(rec.Body.Bytes())
				cache[r.URL.Path] = body
				*total += int64(len(body))
			}
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(body)
		})
	})
	return site, total
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// BenchmarkFetchFirst reads what a first collection reads of a 10k-user
// site (2k apps, 20k app objects; ≈ 40 MB of JSON) over mTLS from an
// in-process server answering from memory, into a snapshot. cpu-ns/op is
// the CPU time of the process (client and server) per fetch:
//
//	go test ./internal/collect -run '^$' -bench FetchFirst -benchmem -count 5
func BenchmarkFetchFirst(b *testing.B) {
	site, total := cachedSite(b, 10_000)
	c := site.Client(b)
	if _, err := collect.Snapshot(b.Context(), c, "bench", benchNow, nil); err != nil { // fills the cache
		b.Fatal(err)
	}
	b.SetBytes(*total)
	b.ReportAllocs()
	cpu := collect.CPUTime()
	for b.Loop() {
		s, err := collect.Snapshot(b.Context(), c, "bench", benchNow, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Users) < 10_000 || len(s.Allocations) == 0 {
			b.Fatalf("%d users", len(s.Users))
		}
	}
	if cpu > 0 {
		b.ReportMetric(float64(collect.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
	}
}
