package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// faultServer serves a site with faults over plain HTTP (the connection
// faults need a real connection) and returns a request helper.
func faultServer(t *testing.T, faults ...sim.Fault) (*sim.Site, func(path string) (*http.Response, []byte, error)) {
	t.Helper()
	s := newSite(t, sim.Options{Faults: faults})
	srv := httptest.NewServer(s.Faults().Wrap(s.Handler()))
	t.Cleanup(srv.Close)
	return s, func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.URL+path+"?xrfkey="+xrf, nil)
		req.Header.Set("X-Qlik-Xrfkey", xrf)
		req.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
}

func TestFaultStatusCountAndAfter(t *testing.T) {
	s, get := faultServer(t, sim.Fault{Path: "/qrs/about", Kind: sim.FaultStatus, Status: 503, After: 1, Count: 2})
	var codes []int
	for range 4 {
		resp, _, err := get("/qrs/about")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 503, 503, 200}; !equalInts(codes, want) {
		t.Fatalf("statuses %v, want %v (After 1, Count 2)", codes, want)
	}
	if resp, _, _ := get("/qrs/license"); resp.StatusCode != 200 {
		t.Fatalf("a path the fault does not match got %d", resp.StatusCode)
	}
	if n := s.Faults().Applied(sim.FaultStatus); n != 2 {
		t.Fatalf("Applied = %d, want 2", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultProbabilityIsAShareAndRepeatable(t *testing.T) {
	share := func() int {
		s, get := faultServer(t, sim.Fault{Path: "/qrs/license/*", Kind: sim.FaultStatus, Status: 500, Probability: 0.3})
		for range 200 {
			if _, _, err := get("/qrs/license/accesstypeoverview"); err != nil {
				t.Fatal(err)
			}
		}
		return s.Faults().Applied("")
	}
	a, b := share(), share()
	if a < 30 || a > 90 {
		t.Fatalf("probability 0.3 hit %d of 200 requests", a)
	}
	if a != b {
		t.Fatalf("the same seed gave %d and %d faults", a, b)
	}
}

func TestFaultBodies(t *testing.T) {
	_, plain := faultServer(t)
	_, real, err := plain("/qrs/about")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fault sim.Fault
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{sim.Fault{Kind: sim.FaultHTML}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<form") {
				t.Fatalf("login page: %v %v %q", err, resp.Header, body)
			}
		}},
		{sim.Fault{Kind: sim.FaultInvalidJSON}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || !strings.Contains(resp.Header.Get("Content-Type"), "json") || json.Valid(body) {
				t.Fatalf("invalid JSON: %v %q", err, body)
			}
		}},
		{sim.Fault{Kind: sim.FaultTruncate}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil || len(body) != len(real)/2 {
				t.Fatalf("truncated: read %d of %d bytes, err %v", len(body), len(real), err)
			}
		}},
		{sim.Fault{Kind: sim.FaultReset}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Fatalf("reset: got an answer %d", resp.StatusCode)
			}
		}},
		{sim.Fault{Kind: sim.FaultDrip, Delay: time.Microsecond}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || string(body) != string(real) {
				t.Fatalf("drip: %v, %q", err, body)
			}
		}},
		{sim.Fault{Kind: sim.FaultLatency, Delay: time.Millisecond}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || string(body) != string(real) {
				t.Fatalf("latency: %v, %q", err, body)
			}
		}},
		{sim.Fault{Kind: sim.FaultOversize, Size: 1 << 20}, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || len(body) < 1<<19 || len(body) > 1<<20 || !json.Valid(body) {
				t.Fatalf("oversize: %v, %d bytes, valid %v", err, len(body), json.Valid(body))
			}
		}},
	} {
		t.Run(tc.fault.Kind, func(t *testing.T) {
			_, get := faultServer(t, tc.fault)
			resp, body, err := get("/qrs/about")
			tc.check(t, resp, body, err)
		})
	}
}

func TestScenarioFaults(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "flaky.yaml")
	os.WriteFile(good, []byte(`name: flaky
faults:
  - path: /qrs/reloadtask/*
    kind: status
    status: 503
    probability: 0.5
  - path: /qrs/about
    kind: drip
    delay: 250ms
`), 0o644)
	sc, err := sim.LoadScenario(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Faults) != 2 || sc.Faults[1].Delay != 250*time.Millisecond || sc.Faults[0].Status != 503 {
		t.Fatalf("faults %+v", sc.Faults)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("faults:\n  - kind: explode\n"), 0o644)
	if _, err := sim.LoadScenario(bad); err == nil || !strings.Contains(err.Error(), `faults[0].kind "explode"`) || !strings.Contains(err.Error(), "drip") {
		t.Fatalf("unknown kind: %v", err)
	}
	os.WriteFile(bad, []byte("faults:\n  - kind: status\n    probability: 2\n"), 0o644)
	if _, err := sim.LoadScenario(bad); err == nil || !strings.Contains(err.Error(), "probability") {
		t.Fatalf("probability 2: %v", err)
	}
}

// A fault with a method fails only that method: a DELETE can fail while
// the GETs of the same path answer. An unknown method is refused.
func TestFaultMethod(t *testing.T) {
	s := newSite(t, sim.Options{Faults: []sim.Fault{{Path: "/qrs/about", Method: "delete", Kind: sim.FaultStatus, Status: 500}}})
	h := s.Faults().Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	var codes []int
	for _, m := range []string{"GET", "DELETE", "PUT"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/qrs/about", nil))
		codes = append(codes, rec.Code)
	}
	if want := []int{204, 500, 204}; !equalInts(codes, want) {
		t.Fatalf("GET, DELETE, PUT got %v, want %v", codes, want)
	}
	if _, err := sim.NewFaults(1, sim.Fault{Method: "FETCH", Kind: sim.FaultStatus}); err == nil || !strings.Contains(err.Error(), `method "FETCH"`) {
		t.Fatalf("unknown method: %v", err)
	}
}
