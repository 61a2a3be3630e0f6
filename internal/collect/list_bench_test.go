package collect

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// simList is the body the simulator answers to GET /qrs/path on a site of
// users users (users/5 apps of 10 objects each, as bench/collect.sh builds
// it).
func simList(b *testing.B, users int, path string) []byte {
	s, err := sim.New(sim.Options{Seed: 3, Users: users, Apps: users / 5, ObjectsPerApp: 10, HistoryDays: 365,
		Now: func() time.Time { return time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	const xrf = "abcdefghijklmnop"
	r := httptest.NewRequest(http.MethodGet, "/qrs/"+path+"?xrfkey="+xrf, nil)
	r.Header.Set("X-Qlik-Xrfkey", xrf)
	r.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
	}
	return w.Body.Bytes()
}

// benchmarkList decodes a list as the collector does, from its bytes (no
// HTTP), into the records a snapshot keeps. cpu-ns/op is the process's CPU
// time per decode, garbage collection included.
func benchmarkList(b *testing.B, path string, kind string) {
	data := simList(b, 20_000, path)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := CPUTime()
	for b.Loop() {
		n, err := decodeListBytes(data, kind)
		if err != nil || n == 0 {
			b.Fatalf("%d elements: %v", n, err)
		}
	}
	if cpu > 0 {
		b.ReportMetric(float64(CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkListUsers, BenchmarkListAllocations and BenchmarkListObjects
// decode the simulator's user/full, professionalaccesstype/full and
// app/object/full lists of a 20k-user site (4k apps, 40k objects):
//
//	go test ./internal/collect -run '^$' -bench 'List(Users|Allocations|Objects)' -benchmem -count 5
func BenchmarkListUsers(b *testing.B) { benchmarkList(b, "user/full", "users") }

func BenchmarkListAllocations(b *testing.B) {
	benchmarkList(b, "license/professionalaccesstype/full", "allocations")
}

func BenchmarkListObjects(b *testing.B) { benchmarkList(b, "app/object/full", "objects") }
