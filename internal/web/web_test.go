package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/golden"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/store"
)

func newHandler(b Backend) http.Handler {
	return New(b, Options{Now: func() time.Time { return checkedAt.Add(10 * time.Minute) },
		Logger: slog.New(slog.DiscardHandler)})
}

func get(t testing.TB, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// TestRoutes requests every route and checks status, content type, the
// security headers and a piece of content a user relies on.
func TestRoutes(t *testing.T) {
	h := newHandler(fixture(t))
	const html, js, csvT = "text/html; charset=utf-8", "application/json; charset=utf-8", "text/csv; charset=utf-8"
	cases := []struct {
		path   string
		status int
		ctype  string
		want   []string
	}{
		{"/", 200, html, []string{"prod", "CRITICAL", "License Monitor:", "not checked yet", "<svg", "runs out"}},
		{"/sites/prod", 200, html, []string{"License Monitor health", "rest-auth", "Reclaim candidates", "Check history", "Download all 100 as CSV",
			// Unmet demand per type with its source; unknown is "–", never 0.
			`<th scope="row">Professional</th><td class="num">57</td><td>logs</td><td class="num">12</td>`,
			`<td>qrs-estimate <span class="badge">estimate</span></td>`,
			`<th scope="row">Analyzer Capacity (minutes)</th><td class="num">–</td><td>–</td><td class="num">–</td>`}},
		{"/sites/test", 200, html, []string{"No check has run yet", "No checks recorded yet", "UNKNOWN"}},
		{"/sites/nope", 404, html, []string{"licmon monitors no site named", "Known sites: prod, test."}},
		{"/sites/prod/candidates.csv?kind=reclaim", 200, csvT, []string{"kind,userGuid,directory"}},
		{"/sites/prod/candidates.csv?kind=downgrade", 200, csvT, []string{"downgrade,"}},
		{"/sites/prod/candidates.csv?kind=capacity", 200, csvT, []string{"capacity,"}},
		{"/sites/prod/candidates.csv?kind=everyone", 400, html, []string{"Use kind=reclaim, downgrade, dual, capacity."}},
		{"/sites/test/candidates.csv?kind=reclaim", 404, html, []string{"no collected license history yet"}},
		{"/sites/nope/candidates.csv", 404, html, []string{"Known sites"}},
		{"/static/style.css", 200, "text/css; charset=utf-8", []string{"prefers-color-scheme: dark", "@media print"}},
		{"/static/app.js", 200, "text/javascript; charset=utf-8", []string{"Progressive enhancement"}},
		{"/no/such/page", 404, html, []string{"Page not found"}},
		{"/api/v1/openapi.yaml", 200, "application/yaml; charset=utf-8", []string{"openapi: 3.0.3", "/api/v1/sites/{site}/candidates"}},
		{"/api/v1/sites", 200, js, []string{`"name": "prod"`}},
		{"/api/v1/sites/prod", 200, js, []string{`"status": "critical"`}},
		{"/api/v1/sites/prod/check", 200, js, []string{`"code": "rest-auth"`}},
		{"/api/v1/sites/prod/checks?limit=2", 200, js, []string{`"checks"`}},
		{"/api/v1/sites/prod/licenses", 200, js, []string{`"history"`}},
		{"/api/v1/sites/prod/forecast", 200, js, []string{`"band"`, `"plan"`}},
		{"/api/v1/sites/prod/candidates?kind=reclaim", 200, js, []string{`"total": 100`}},
		{"/api/v1/sites/prod/report", 200, js, []string{`"schemaVersion": 3`, `"complete": false`, `"limit": 20`, `"reclaim": 100`}},
		{"/api/v1/alerts", 200, js, []string{`"prod/lm-task-failed"`}},
		{"/api/v1/sites/nope", 404, js, []string{`"code": "unknown-site"`, "Known sites: prod, test."}},
		{"/api/v1/sites/nope/check", 404, js, []string{`"code": "unknown-site"`}},
		{"/api/v1/sites/nope/licenses", 404, js, []string{`"code": "unknown-site"`}},
		{"/api/v1/sites/nope/forecast", 404, js, []string{`"code": "unknown-site"`}},
		{"/api/v1/sites/nope/candidates", 404, js, []string{`"code": "unknown-site"`}},
		{"/api/v1/sites/test/check", 404, js, []string{`"code": "no-check"`}},
		{"/api/v1/sites/test/licenses", 404, js, []string{`"code": "no-history"`}},
		{"/api/v1/sites/prod/candidates?kind=all", 400, js, []string{`"code": "bad-kind"`, "reclaim|downgrade|dual|capacity"}},
		{"/api/v1/sites/prod/candidates?limit=-1", 400, js, []string{`"code": "bad-parameter"`}},
		{"/api/v1/sites/prod/checks?limit=x", 400, js, []string{`"code": "bad-parameter"`}},
		{"/api/v1/alerts?status=open", 400, js, []string{`"code": "bad-status"`}},
		{"/api/v2/sites", 404, js, []string{`"code": "not-found"`}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			w := get(t, h, tc.path)
			body := w.Body.String()
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body:\n%.600s", w.Code, tc.status, body)
			}
			if got := w.Header().Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tc.ctype)
			}
			checkSecurityHeaders(t, w.Header())
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%.1500s", s, body)
				}
			}
			if strings.HasPrefix(tc.ctype, "application/json") && !json.Valid(w.Body.Bytes()) {
				t.Errorf("body is not valid JSON:\n%.500s", body)
			}
		})
	}
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "*") || strings.Contains(csp, "script-src 'self' 'unsafe") {
		t.Errorf("CSP %q allows external origins or inline scripts", csp)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := h.Get("Referrer-Policy"); got == "" {
		t.Error("no Referrer-Policy")
	}
}

// TestSitePageDiagnosis: a failing License Monitor shows the diagnosis
// code, the connection, the hint, and the failing lines of the script log
// marked, the same lines `licmon check` marks with '>'.
func TestSitePageDiagnosis(t *testing.T) {
	f := fixture(t)
	h := newHandler(f)
	body := get(t, h, "/sites/prod").Body.String()
	d := f.checks["prod"].ScriptLog.Diagnosis
	for _, want := range []string{`<code class="code">rest-auth</code>`, d.Connection.Name, "Fix"} {
		if !strings.Contains(body, want) {
			t.Errorf("site page lacks %q", want)
		}
	}
	// The text rendering marks failing lines with '>'; the page must mark
	// exactly the same log lines.
	var text bytes.Buffer
	check.WriteDiagnosis(&text, d)
	wantFailing := 0
	for _, l := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(l, "  > ") {
			wantFailing++
		}
	}
	if wantFailing == 0 {
		t.Fatalf("the simulated diagnosis has no failing lines:\n%s", text.String())
	}
	if got := strings.Count(body, `data-failing="true"`); got != wantFailing {
		t.Errorf("page marks %d failing lines, check.WriteDiagnosis marks %d", got, wantFailing)
	}
	if got := strings.Count(body, `<td class="n">`); got != len(d.Context) {
		t.Errorf("page shows %d log lines, the diagnosis has %d", got, len(d.Context))
	}
	// The first failing line carries the error text.
	for _, l := range d.Context {
		if l.Kind.String() == "message" && strings.HasPrefix(strings.TrimSpace(l.Text), "Error:") {
			if !strings.Contains(body, templateEscape(l.Text)) {
				t.Errorf("page lacks the error line %q", l.Text)
			}
		}
	}
}

// templateEscape escapes s the way html/template escapes text.
func templateEscape(s string) string {
	var b bytes.Buffer
	_ = template.Must(template.New("").Parse("{{.}}")).Execute(&b, s)
	return b.String()
}

// TestEscaping: site names, findings, hints and script-log lines are text,
// never markup.
func TestEscaping(t *testing.T) {
	f := newFake()
	chk := hostileCheck()
	name := chk.Site
	f.sites = []SiteInfo{{Name: name, Server: "https://x", LastCheck: checkedAt, Status: check.Critical, Summary: chk.Summary,
		CollectError: "<script>alert('collect')</script>"}}
	f.checks[name] = chk
	f.history[name] = []CheckSummary{{At: checkedAt, Status: check.Critical, Summary: "<script>alert('hist')</script>"}}
	rep := synthReport(name, 40, 30, checkedAt)
	rep.Candidates.Reclaim[0].Name = "<script>alert('user')</script>"
	rep.Notes = append(rep.Notes, "<script>alert('note')</script>")
	f.reports[name] = rep
	h := newHandler(f)
	for _, path := range []string{"/", "/sites/evil%3Cscript%3E"} {
		w := get(t, h, path)
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("%s: status %d\n%s", path, w.Code, body)
		}
		if i := strings.Index(strings.ToLower(body), "<script>"); i >= 0 {
			t.Errorf("%s: unescaped <script> at %d: %q", path, i, body[max(0, i-80):min(len(body), i+80)])
		}
		if strings.Contains(body, "<img src=x") || strings.Contains(body, "<b>auth") {
			t.Errorf("%s: unescaped markup from the check", path)
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: the hostile text is not shown escaped", path)
		}
	}
	page := get(t, h, "/sites/evil%3Cscript%3E").Body.String()
	for _, want := range []string{"alert(&#39;finding&#39;)", "alert(&#39;log&#39;)", "alert(&#39;evidence&#39;)", "alert(&#39;user&#39;)", "alert(&#39;hist&#39;)"} {
		if !strings.Contains(page, want) {
			t.Errorf("site page lacks escaped %s", want)
		}
	}
	// The link to the site is path-escaped, not broken by the name.
	if !strings.Contains(get(t, h, "/").Body.String(), `href="/sites/evil%3Cscript%3E"`) {
		t.Error("overview link to the site is not path-escaped")
	}
}

// TestCandidatesCSV downloads each list and checks the type, the file name,
// the header and one row per candidate.
func TestCandidatesCSV(t *testing.T) {
	f := fixture(t)
	rep := f.reports["prod"]
	rep.Candidates.Reclaim[1].Name = "=HYPERLINK(\"http://x\")"
	h := newHandler(f)
	for kind, list := range map[string][]report.Candidate{"reclaim": rep.Candidates.Reclaim, "downgrade": rep.Candidates.Downgrade, "capacity": rep.Candidates.Capacity} {
		w := get(t, h, "/sites/prod/candidates.csv?kind="+kind)
		if w.Code != 200 {
			t.Fatalf("%s: status %d", kind, w.Code)
		}
		if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="prod-`+kind+`-2026-11-20.csv"` {
			t.Errorf("%s: Content-Disposition = %q", kind, cd)
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if diff := cmp.Diff(csvHeader, rows[0]); diff != "" {
			t.Errorf("%s: header (-want +got):\n%s", kind, diff)
		}
		if len(rows)-1 != len(list) || len(list) == 0 {
			t.Fatalf("%s: %d rows, want %d", kind, len(rows)-1, len(list))
		}
		for i, row := range rows[1:] {
			if row[0] != kind || row[1] != list[i].UserGUID || row[3] != list[i].UserID {
				t.Fatalf("%s row %d = %v, want candidate %+v", kind, i, row, list[i])
			}
		}
		if kind == "reclaim" && rows[2][4] != `'=HYPERLINK("http://x")` {
			t.Errorf("formula not defused: %q", rows[2][4])
		}
	}
}

// TestChartCache: charts are drawn once per report model and redrawn when
// the backend hands out a new one.
func TestChartCache(t *testing.T) {
	f := fixture(t)
	hh := newHandler(f)
	h := hh.(*handler)
	get(t, hh, "/sites/prod")
	first := h.charts.sites["prod"]
	if first == nil || len(first.charts) != 3 {
		t.Fatalf("no cached charts after a page view: %+v", first)
	}
	get(t, hh, "/")
	get(t, hh, "/sites/prod")
	if h.charts.sites["prod"] != first {
		t.Error("charts were redrawn for the same report model")
	}
	f.mu.Lock()
	f.reports["prod"] = synthReport("prod", 500, 60, checkedAt)
	f.mu.Unlock()
	body := get(t, hh, "/sites/prod").Body.String()
	if h.charts.sites["prod"] == first {
		t.Error("charts were not redrawn for a new report model")
	}
	if !strings.Contains(body, "Download all 125 as CSV") {
		t.Error("page does not show the new model")
	}
}

// TestBasePath: mounted under a prefix, links and routes carry it.
func TestBasePath(t *testing.T) {
	h := New(fixture(t), Options{BasePath: "/licmon/", Logger: slog.New(slog.DiscardHandler)})
	w := get(t, h, "/licmon/")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	for _, want := range []string{`href="/licmon/static/style.css"`, `href="/licmon/sites/prod"`, `src="/licmon/static/app.js"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if w := get(t, h, "/licmon"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/licmon/" {
		t.Errorf("/licmon: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := get(t, h, "/licmon/api/v1/sites/prod/check"); w.Code != 200 {
		t.Errorf("api under base path: %d", w.Code)
	}
	if w := get(t, h, "/licmon/static/style.css"); w.Code != 200 {
		t.Errorf("static under base path: %d", w.Code)
	}
}

// TestCheckJSONMatchesCLI: the API's check is byte for byte what
// `licmon check --format json` writes.
func TestCheckJSONMatchesCLI(t *testing.T) {
	f := fixture(t)
	var want bytes.Buffer
	if err := check.WriteJSON(&want, []*check.Report{f.checks["prod"]}); err != nil {
		t.Fatal(err)
	}
	got := get(t, newHandler(f), "/api/v1/sites/prod/check").Body.String()
	if got != want.String() {
		t.Errorf("API check differs from the CLI JSON:\n%s", cmp.Diff(want.String(), got))
	}
}

// TestAPIGolden pins the JSON shapes. Run with -update to rewrite.
func TestAPIGolden(t *testing.T) {
	h := newHandler(fixture(t))
	for _, tc := range []struct{ name, path string }{
		{"sites", "/api/v1/sites"},
		{"site", "/api/v1/sites/prod"},
		{"check", "/api/v1/sites/prod/check"},
		{"checks", "/api/v1/sites/prod/checks?limit=3"},
		{"licenses", "/api/v1/sites/prod/licenses"},
		{"forecast", "/api/v1/sites/prod/forecast"},
		{"candidates-reclaim", "/api/v1/sites/prod/candidates?kind=reclaim&limit=3&offset=2"},
		{"candidates-all", "/api/v1/sites/prod/candidates?limit=2"},
		{"alerts", "/api/v1/alerts"},
		{"alerts-firing", "/api/v1/alerts?status=firing"},
		{"error-unknown-site", "/api/v1/sites/nope/forecast"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, h, tc.path).Body.Bytes()
			golden.Assert(t, "api-"+tc.name+".json", got)
		})
	}
}

// TestAPICandidatePaging: limit and offset page through a list and total
// counts before paging.
func TestAPICandidatePaging(t *testing.T) {
	f := fixture(t)
	h := newHandler(f)
	var got candidatesResponse
	if err := json.Unmarshal(get(t, h, "/api/v1/sites/prod/candidates?kind=downgrade&offset=38&limit=5").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	all := f.reports["prod"].Candidates.Downgrade
	if got.Total != len(all) || len(got.Candidates) != 2 || got.Candidates[0].UserGUID != all[38].UserGUID {
		t.Errorf("page = total %d, %d rows, first %q; want %d, 2, %q", got.Total, len(got.Candidates), got.Candidates[0].UserGUID, len(all), all[38].UserGUID)
	}
	if got.Limit != 5 || got.Next != nil {
		t.Errorf("last page: limit %d next %v, want 5 and none", got.Limit, got.Next)
	}
	// Without a limit: the first DefaultCandidatePage, and where the next
	// page starts.
	c := f.reports["prod"].Candidates
	var every []report.Candidate
	for _, l := range [][]report.Candidate{c.Reclaim, c.Downgrade, c.Dual, c.Capacity} {
		every = append(every, l...)
	}
	if len(every) <= DefaultCandidatePage {
		t.Fatalf("the fixture has %d candidates, too few to page by %d", len(every), DefaultCandidatePage)
	}
	got = candidatesResponse{}
	if err := json.Unmarshal(get(t, h, "/api/v1/sites/prod/candidates").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Kind != "all" || got.Total != len(every) || len(got.Candidates) != DefaultCandidatePage || got.Limit != DefaultCandidatePage ||
		got.Next == nil || *got.Next != DefaultCandidatePage || got.Candidates[DefaultCandidatePage-1].UserGUID != every[DefaultCandidatePage-1].UserGUID {
		t.Errorf("all kinds, no limit: kind %q total %d rows %d limit %d next %v; want all %d %d %d %d",
			got.Kind, got.Total, len(got.Candidates), got.Limit, got.Next, len(every), DefaultCandidatePage, DefaultCandidatePage, DefaultCandidatePage)
	}
	// Following next to the end gives every candidate once, in order.
	var paged []report.Candidate
	for off := 0; ; {
		var p candidatesResponse
		if err := json.Unmarshal(get(t, h, fmt.Sprintf("/api/v1/sites/prod/candidates?offset=%d&limit=37", off)).Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		paged = append(paged, p.Candidates...)
		if p.Next == nil {
			break
		}
		off = *p.Next
	}
	if len(paged) != len(every) {
		t.Fatalf("paging by 37 gave %d candidates, want %d", len(paged), len(every))
	}
	for i := range every {
		if paged[i].UserGUID != every[i].UserGUID || paged[i].Kind != every[i].Kind {
			t.Fatalf("candidate %d: paged %s %s, want %s %s", i, paged[i].Kind, paged[i].UserGUID, every[i].Kind, every[i].UserGUID)
		}
	}
	// A limit covering the list gives it whole.
	got = candidatesResponse{}
	if err := json.Unmarshal(get(t, h, fmt.Sprintf("/api/v1/sites/prod/candidates?limit=%d", len(every))).Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Candidates) != len(every) || got.Next != nil {
		t.Errorf("limit = total: %d rows, next %v; want %d, none", len(got.Candidates), got.Next, len(every))
	}
}

// TestSummarizeCheck reads a stored check's JSON as the check history shows it.
func TestSummarizeCheck(t *testing.T) {
	chk := hostileCheck()
	chk.TookMS = 1234
	var b bytes.Buffer
	if err := check.WriteJSON(&b, []*check.Report{chk}); err != nil {
		t.Fatal(err)
	}
	got, err := SummarizeCheck(store.CheckResult{ID: 7, Site: "x", At: checkedAt, Status: "critical", JSON: b.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	want := CheckSummary{At: checkedAt, Status: check.Critical, Summary: chk.Summary, DurationMS: 1234}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := SummarizeCheck(store.CheckResult{ID: 8, Site: "x", JSON: []byte("{")}); err == nil || !strings.Contains(err.Error(), "decode stored check 8 of x") {
		t.Errorf("bad JSON: err = %v", err)
	}
}

// TestBackendErrors: a failing backend gives a 500 page and JSON error, not
// a panic or a blank page.
func TestBackendErrors(t *testing.T) {
	h := newHandler(&errBackend{})
	if w := get(t, h, "/"); w.Code != 500 || !strings.Contains(w.Body.String(), "database is locked") {
		t.Errorf("overview: %d %s", w.Code, w.Body.String())
	}
	if w := get(t, h, "/api/v1/sites"); w.Code != 500 || !strings.Contains(w.Body.String(), `"code": "backend-error"`) {
		t.Errorf("api: %d %s", w.Code, w.Body.String())
	}
}

type errBackend struct{ fakeBackend }

func (*errBackend) Sites(context.Context) ([]SiteInfo, error) {
	return nil, errors.New("read sites: database is locked")
}
