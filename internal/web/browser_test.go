package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/licmon/licmon/internal/browsertest"
	"github.com/licmon/licmon/internal/check/inspect"
	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/report"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// simulatedBackend runs a simulated site whose License Monitor fails on
// REST authentication (HTTP 401): it collects 40 days of history (the first
// collection also backfills reconstructed history), builds the report model
// from the store, and runs a real check.
func simulatedBackend(t *testing.T) *fakeBackend {
	t.Helper()
	f := newFake()
	addSimulatedSite(t, f, "prod", sim.Options{Seed: 5, Users: 80, HistoryDays: 180, Scenario: "lm-failing-rest-401"}, 40)
	return f
}

// addSimulatedSite adds a simulated site to f: days daily collections from
// 2026-09-01 (one collection when days is 1), the report model built from
// the store, and a real check at the end.
func addSimulatedSite(t *testing.T, f *fakeBackend, name string, o sim.Options, days int) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	o.Now = clock
	site := simtest.Start(t, o)
	c := site.Client(t)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "licmon.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for d := range days {
		if d > 0 {
			mu.Lock()
			now = now.Add(24 * time.Hour)
			mu.Unlock()
		}
		if _, err := collect.Run(ctx, c, st, name, clock()); err != nil {
			t.Fatalf("%s: collect day %d: %v", name, d, err)
		}
	}
	rep, err := report.Build(ctx, st, name, report.Options{NoBacktest: true})
	if err != nil {
		t.Fatalf("%s: report.Build: %v", name, err)
	}
	chk := inspect.Run(ctx, c, inspect.Options{Site: name, Server: site.URL,
		ScriptLog: qrs.ScriptLogOptions{Attempts: 3, Delay: 1}, Now: site.Now})
	if strings.HasPrefix(o.Scenario, "lm-failing") && (chk.ScriptLog == nil || chk.ScriptLog.Diagnosis == nil) {
		t.Fatalf("%s: the simulated check has no diagnosis: %+v", name, chk.Findings)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sites = append(f.sites, SiteInfo{Name: name, Server: site.URL, LastCheck: chk.CheckedAt, Status: chk.Status, Summary: chk.Summary, LastCollect: clock()})
	f.checks[name] = chk
	f.reports[name] = rep
	f.history[name] = []CheckSummary{{At: chk.CheckedAt, Status: chk.Status, Summary: chk.Summary, DurationMS: chk.TookMS}}
}

// TestBrowser renders the dashboard in headless chromium against a
// simulated failing site and checks what an admin sees: the diagnosis and
// the failing line, charts that draw, no console errors, no request leaving
// the machine, and a working CSV download.
func TestBrowser(t *testing.T) {
	browsertest.Path(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := simulatedBackend(t)
	srv := httptest.NewServer(New(f, Options{Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", srv.URL)
	}

	alloc := browsertest.Allocator(t, 1280, 1800)

	var mu sync.Mutex
	var requests, problems []string
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console."+string(ev.Type)+": "+consoleText(ev))
			}
		case *runtime.EventExceptionThrown:
			text := ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				text += " " + ex.Description
			}
			problems = append(problems, "exception: "+text)
		case *log.EventEntryAdded:
			// CSP violations and failed loads arrive as browser log entries.
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log "+string(ev.Entry.Level)+": "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		}
	}))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}

	// The overview first, then the site page.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".card"))); err != nil {
		t.Fatalf("overview: %v", err)
	}
	overview, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(overview, "CRITICAL") || !strings.Contains(overview, "prod") {
		t.Errorf("overview does not show the failing site:\n%s", overview)
	}
	if os.Getenv("LICMON_KEEP_SCREENSHOTS") != "" {
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("main"))); err == nil {
			_ = os.WriteFile(filepath.Join(os.TempDir(), "licmon-overview.png"), png, 0o644)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/sites/prod"), chromedp.WaitVisible(chromedp.CSS("#health"))); err != nil {
		t.Fatalf("site page: %v", err)
	}
	d := f.checks["prod"].ScriptLog.Diagnosis
	health, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#health")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(health, d.Code) || !strings.Contains(health, d.Connection.Name) {
		t.Errorf("health section lacks the diagnosis %s / %s:\n%s", d.Code, d.Connection.Name, health)
	}
	// The page states the zone its times are shown in: the browser's, once
	// app.js converted them, never "UTC" next to local times.
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('tz-note').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "your browser's time zone") || strings.Contains(note, "Times are UTC") {
		t.Errorf("footer says %q, want the browser's zone stated", note)
	}
	failing, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('table.log tr.fail td.t')).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	errLine := ""
	for _, l := range d.Context {
		if strings.HasPrefix(strings.TrimSpace(l.Text), "Error:") {
			errLine = l.Text
			break
		}
	}
	if len(failing) == 0 || errLine == "" || !containsLine(failing, errLine) {
		t.Errorf("failing lines shown %q, want them to include %q", failing, errLine)
	}

	// Charts: svg with path data, and a screenshot that is not blank.
	paths, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`Array.from(document.querySelectorAll('figure.chart svg path')).filter(p => (p.getAttribute('d')||'').length > 20).length`))
	if err != nil {
		t.Fatal(err)
	}
	if paths < 2 {
		t.Errorf("history charts have %d paths with data, want at least 2", paths)
	}
	gauges, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.gauge svg').length`))
	if err != nil {
		t.Fatal(err)
	}
	if gauges != len(f.reports["prod"].Types) {
		t.Errorf("%d gauges, want one per type (%d)", gauges, len(f.reports["prod"].Types))
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("figure.chart")))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if n := distinctColors(t, shot); n < 4 {
		t.Errorf("chart screenshot has %d distinct colours: blank", n)
	}
	if os.Getenv("LICMON_KEEP_SCREENSHOTS") != "" {
		// For a person to look at: go test -run TestBrowser with
		// LICMON_KEEP_SCREENSHOTS=1 writes the sections to the temp dir.
		for _, sec := range []string{"health", "licenses", "candidates", "history"} {
			if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID(sec))); err == nil {
				_ = os.WriteFile(filepath.Join(os.TempDir(), "licmon-"+sec+".png"), png, 0o644)
			}
		}
	}

	// The CSV download link works from the page.
	type fetched struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Body   string `json:"body"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[fetched](
		`(async () => { const a = document.querySelector('#cand-reclaim a.csv'); const r = await fetch(a.href);
		  return {status: r.status, type: r.headers.get('content-type'), body: await r.text()}; })()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch the CSV link: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(got.Body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	want := len(f.reports["prod"].Candidates.Reclaim)
	if got.Status != 200 || got.Type != "text/csv; charset=utf-8" || len(rows) != want+1 || rows[0][0] != "kind" {
		t.Errorf("CSV download: status %d, type %q, %d rows; want 200, text/csv, %d rows with a header", got.Status, got.Type, len(rows), want+1)
	}
	if want == 0 {
		t.Error("the simulated site has no reclaim candidates; the CSV check proves nothing")
	}

	// Let late events (image decoding, script errors) arrive.
	_ = chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond))
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	if len(requests) < 4 {
		t.Errorf("saw only %d requests; network events are not recorded", len(requests))
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("request left the machine: %s", u)
		}
	}
}

func consoleText(ev *runtime.EventConsoleAPICalled) string {
	var parts []string
	for _, a := range ev.Args {
		if len(a.Value) > 0 {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == strings.TrimSpace(want) {
			return true
		}
	}
	return false
}

// distinctColors counts the colours of a PNG (up to 64): a blank or
// unstyled chart has one or two.
func distinctColors(t *testing.T, b []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	seen := map[[4]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y && len(seen) < 64; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X && len(seen) < 64; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}
