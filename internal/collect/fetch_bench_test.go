package collect_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
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
// objects each, as bench/collect.sh builds it) over mutual TLS, HTTP/2
// when h2 is set (QRS behind HTTP.sys may offer it; the simulator does
// not), HTTP/1.1 otherwise. Its unfiltered big lists are answered from the
// bytes the simulator rendered for the first request, so that a benchmark
// measures the client's fetch (TLS, HTTP, decoding and the collector's
// records), not the simulator rendering JSON in the same process. It
// returns a client of the site and the bytes of one collection's lists.
func cachedSite(b *testing.B, users int, h2 bool) (*qrs.Client, *int64) {
	s, err := sim.New(sim.Options{Seed: 3, Users: users, Apps: users / 5, ObjectsPerApp: 10, HistoryDays: 365,
		Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	cache := map[string][]byte{}
	total := new(int64)
	inner := s.Handler()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want := map[bool]int{false: 1, true: 2}[h2]; r.ProtoMajor != want {
			http.Error(w, "benchmark: HTTP/"+strconv.Itoa(r.ProtoMajor)+", want HTTP/"+strconv.Itoa(want), http.StatusHTTPVersionNotSupported)
			return
		}
		big := r.Method == http.MethodGet && r.URL.Query().Get("filter") == "" && contains(bigLists, r.URL.Path)
		if !big {
			inner.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		body, ok := cache[r.URL.Path]
		if !ok {
			rec := httptest.NewRecorder()
			inner.ServeHTTP(rec, r)
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
	dir := b.TempDir()
	certs, err := sim.EnsureCerts(dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := certs.ServerTLSConfig()
	if err != nil {
		b.Fatal(err)
	}
	if h2 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.ServeListener(ctx, ln, cfg, h, nil) }()
	c, err := qrs.New(qrs.Config{Server: "https://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port),
		CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client_key.pem"), CAFile: filepath.Join(dir, "root.pem")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return c, total
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
// site (2k apps, 20k app objects; ≈ 36 MB of JSON) over mTLS from an
// in-process server answering from memory, into a snapshot, over HTTP/1.1
// (a connection per list) and over HTTP/2 (every list on one connection).
// cpu-ns/op is the CPU time of the process (client and server) per fetch:
//
//	go test ./internal/collect -run '^$' -bench FetchFirst -benchmem -count 5
func BenchmarkFetchFirst(b *testing.B) {
	for _, proto := range []string{"http1", "http2"} {
		b.Run(proto, func(b *testing.B) {
			c, total := cachedSite(b, 10_000, proto == "http2")
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
		})
	}
}
