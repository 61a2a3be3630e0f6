package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// bigFixture is a 100k-user site: three years of daily history per type, a
// year of forecast band, 25k reclaim, 10k downgrade and 2k capacity
// candidates, and a real failing check.
func bigFixture(b *testing.B) http.Handler {
	b.Helper()
	f := fixture(b)
	f.sites[0].Name = "big"
	f.checks["big"] = f.checks["prod"]
	f.history["big"] = f.history["prod"]
	f.reports["big"] = synthReport("big", 100_000, 3*365, checkedAt)
	return New(f, Options{Now: func() time.Time { return checkedAt }, Logger: slog.New(slog.DiscardHandler)})
}

// benchPage renders path repeatedly in-process and reports the p50 and p95
// of the render times besides the mean.
func benchPage(b *testing.B, h http.Handler, path string, cold func()) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	var times []time.Duration
	var size int
	for b.Loop() {
		if cold != nil {
			cold()
		}
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		times = append(times, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("%s: status %d", path, w.Code)
		}
		size = w.Body.Len()
	}
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(float64(len(times))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(size), "bytes")
}

func BenchmarkOverview(b *testing.B) { benchPage(b, bigFixture(b), "/", nil) }
func BenchmarkSitePage(b *testing.B) { benchPage(b, bigFixture(b), "/sites/big", nil) }

// BenchmarkSitePageCold draws the charts on every render: the first view
// after the backend produced a new report model.
func BenchmarkSitePageCold(b *testing.B) {
	h := bigFixture(b)
	benchPage(b, h, "/sites/big", func() { h.(*handler).charts = newChartCache() })
}

func BenchmarkAPIForecast(b *testing.B) {
	benchPage(b, bigFixture(b), "/api/v1/sites/big/forecast", nil)
}
func BenchmarkAPILicenses(b *testing.B) {
	benchPage(b, bigFixture(b), "/api/v1/sites/big/licenses", nil)
}
func BenchmarkCandidatesCSV(b *testing.B) {
	benchPage(b, bigFixture(b), "/sites/big/candidates.csv?kind=reclaim", nil)
}
