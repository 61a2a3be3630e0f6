package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// fixedNow is the clock of every test site.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newSite(t testing.TB, o sim.Options) *sim.Site {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	if o.Users == 0 {
		o.Users = 120
	}
	if o.Seed == 0 {
		o.Seed = 7
	}
	s, err := sim.New(o)
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	return s
}

const xrf = "abcdefghijklmnop"

// call sends a request the way Qlik's documentation shows: xrfkey in the
// query and header, X-Qlik-User as sa_api.
func call(t testing.TB, h http.Handler, method, path string, body string) *httptest.ResponseRecorder {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path+sep+"xrfkey="+xrf, rd)
	r.Header.Set("X-Qlik-Xrfkey", xrf)
	r.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// getJSON GETs path, requires 200 and decodes the body.
func getJSON(t testing.TB, h http.Handler, path string) any {
	t.Helper()
	w := call(t, h, "GET", path, "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	var v any
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("GET %s: invalid JSON: %v", path, err)
	}
	return v
}

func list(t testing.TB, h http.Handler, path string) []map[string]any {
	t.Helper()
	raw, ok := getJSON(t, h, path).([]any)
	if !ok {
		t.Fatalf("GET %s: not an array", path)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

func object(t testing.TB, h http.Handler, path string) map[string]any {
	t.Helper()
	m, ok := getJSON(t, h, path).(map[string]any)
	if !ok {
		t.Fatalf("GET %s: not an object", path)
	}
	return m
}

func q(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", "%20"), "'", "%27") }

// lmTask returns the Reload License Monitor task (full).
func lmTask(t testing.TB, h http.Handler) map[string]any {
	t.Helper()
	ts := list(t, h, "/qrs/reloadtask/full?filter="+q("name eq 'Reload License Monitor'"))
	if len(ts) != 1 {
		t.Fatalf("want 1 Reload License Monitor task, got %d", len(ts))
	}
	return ts[0]
}

func lastResult(task map[string]any) map[string]any {
	return task["operational"].(map[string]any)["lastExecutionResult"].(map[string]any)
}

// downloadLog fetches the last execution's script log via the new API.
func downloadLog(t testing.TB, h http.Handler, task map[string]any) (int, string) {
	t.Helper()
	res := lastResult(task)
	w := call(t, h, "GET", "/qrs/reloadtask/"+task["id"].(string)+"/scriptlogfile?executionResultId="+res["id"].(string), "")
	if w.Code != http.StatusOK {
		return w.Code, ""
	}
	var tk struct{ Value string }
	if err := json.Unmarshal(w.Body.Bytes(), &tk); err != nil || tk.Value == "" {
		t.Fatalf("ticket: %v %s", err, w.Body.String())
	}
	d := call(t, h, "GET", "/qrs/download/reloadtask/"+tk.Value+"/Reload%20License%20Monitor.log", "")
	return d.Code, d.Body.String()
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
