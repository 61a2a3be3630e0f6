package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/check"
)

// TestSiteCardVerdict: a card's colour is the worse of License Monitor
// health and license state, with the reason in words. A site whose
// License Monitor works but whose Professional seats are over the license
// is not green; one at 96% is critical for another reason, said
// differently; a healthy site within its totals is green; a failing
// License Monitor stays critical whatever the licenses.
func TestSiteCardVerdict(t *testing.T) {
	f := fixture(t)
	ok := func(name string, pro, licensed int64) {
		f.sites = append(f.sites, SiteInfo{Name: name, Server: "https://" + name + ".example:4242", LastCheck: checkedAt, Status: check.OK,
			Summary: "Reload License Monitor is working", LastCollect: checkedAt})
		rep := synthReport(name, 400, 30, checkedAt)
		p := &rep.Types[0]
		p.Allocated, p.Licensed, p.Remaining = pro, licensed, licensed-pro
		a := &rep.Types[1] // Analyzer well within its total
		a.Allocated, a.Remaining = a.Licensed/2, a.Licensed-a.Licensed/2
		f.reports[name] = rep
	}
	ok("over", 105, 100)
	ok("full", 96, 100)
	ok("fine", 50, 100)
	body := get(t, newHandler(f), "/").Body.String()

	card := func(name string) string {
		m := regexp.MustCompile(`(?s)<section class="card status-(\w+)" aria-labelledby="site-` + name + `">(.*?)</section>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no card for %s", name)
		}
		return m[1] + " " + strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[2], " ")), " ")
	}
	for name, want := range map[string][]string{
		"over": {"critical ", "CRITICAL Licenses: Professional over the license: 105 of 100, 5 over", "License Monitor: OK Reload License Monitor is working"},
		"full": {"critical ", "Professional at 96% of the license (96 of 100)"},
		"fine": {"ok ", "OK License Monitor working and licenses within their totals", "Licenses: OK every license type below its warning level"},
		"prod": {"critical ", "License Monitor: Reload fails at script line 706", ". Licenses: Professional at 88% of the license (120 of 136)"},
	} {
		c := card(name)
		for _, w := range want {
			if !strings.Contains(c, w) {
				t.Errorf("card %s lacks %q:\n%s", name, w, c)
			}
		}
	}
	if c := card("over"); strings.Contains(c, "at 105%") {
		t.Errorf("over reads like a percentage level: %s", c)
	}
	if !strings.Contains(body, `overall status</span> <span class="badge badge-critical">`) {
		t.Error("the overall status does not count license state")
	}
}

// TestFixShownOnce: the failing page says each fix once. The diagnosis
// shows the REST connection's fix; a finding that shares it (the same
// hint, or its own explanation ending in the same "Fix: …") refers to it.
func TestFixShownOnce(t *testing.T) {
	f := fixture(t)
	body := get(t, newHandler(f), "/sites/prod").Body.String()
	d := f.checks["prod"].ScriptLog.Diagnosis
	i := strings.Index(d.Hint, fixMarker)
	if i < 0 {
		t.Fatalf("the fixture's diagnosis hint has no %q: %s", fixMarker, d.Hint)
	}
	fix := templateEscape(d.Hint[i:])
	if n := strings.Count(body, fix); n != 1 {
		t.Errorf("the fix %q is on the page %d times, want once", d.Hint[i:], n)
	}
	if n := strings.Count(body, "as shown above."); n != 1 {
		t.Errorf("%d findings refer to the fix above, want the one that repeats the diagnosis", n)
	}
	// A fix of its own is still shown in full.
	for _, fd := range f.checks["prod"].Findings {
		if fd.Code == "task-failed" && !strings.Contains(body, templateEscape(fd.Hint)) {
			t.Errorf("the task finding's own fix is missing: %s", fd.Hint)
		}
	}
}

// TestAutoRefresh: the overview and site pages reload themselves with a
// meta refresh (no JavaScript); a link switches it off, and the page then
// stays off across reloads until switched on again. Other pages never
// reload, and a negative interval disables it.
func TestAutoRefresh(t *testing.T) {
	f := fixture(t)
	h := newHandler(f)
	meta := `<meta http-equiv="refresh" content="300">`
	for path, off := range map[string]string{"/": "/?refresh=off", "/sites/prod": "/sites/prod?refresh=off"} {
		b := get(t, h, path).Body.String()
		if !strings.Contains(b, meta) || !strings.Contains(b, `<a href="`+off+`">Stop reloading</a>`) {
			t.Errorf("%s: no auto-refresh or no link to stop it", path)
		}
		b = get(t, h, off).Body.String()
		if strings.Contains(b, "http-equiv") || !strings.Contains(b, `<a href="`+path+`">Reload automatically</a>`) {
			t.Errorf("%s: still reloads, or no link to switch it on again", off)
		}
	}
	if b := get(t, h, "/sites/nope").Body.String(); strings.Contains(b, "http-equiv") {
		t.Error("the error page reloads itself")
	}
	never := New(f, Options{AutoRefresh: -1})
	if b := get(t, never, "/").Body.String(); strings.Contains(b, "http-equiv") || strings.Contains(b, "Reload automatically") {
		t.Error("AutoRefresh -1 still offers reloading")
	}
}
