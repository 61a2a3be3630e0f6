package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licmon/licmon/internal/browsertest"
	"github.com/licmon/licmon/internal/sim"
)

// TestScreenshots renders every kind of dashboard page in headless
// chromium at 1400 px (desktop) and 390 px (phone): the overview, a site
// whose License Monitor fails, a healthy site, a site at capacity and a
// site after its first collection (and two of them in dark mode). On each it checks what a reader would
// trip over (browsertest.LayoutProblems: sideways scrolling, text below
// 11 px on desktop and 10 px on a phone, SVG text as drawn, chart labels
// that overlap each other or the plot, legends that differ from what the
// chart draws) and writes a full-page screenshot to $LICMON_ARTIFACTS; then
// it prints the overview and two site pages to A4 (browsertest.Print).
func TestScreenshots(t *testing.T) {
	browsertest.Path(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := newFake()
	addSimulatedSite(t, f, "prod", sim.Options{Seed: 5, Users: 80, HistoryDays: 180, Scenario: "lm-failing-rest-401"}, 40)
	addSimulatedSite(t, f, "healthy", sim.Options{Seed: 11, Users: 150, HistoryDays: 365}, 40)
	addSimulatedSite(t, f, "full", sim.Options{Seed: 7, Users: 120, HistoryDays: 180, Scenario: "at-capacity"}, 40)
	addSimulatedSite(t, f, "new", sim.Options{Seed: 3, Users: 60, HistoryDays: 90}, 1)
	srv := httptest.NewServer(New(f, Options{Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()

	pages := []struct{ name, path, want string }{
		{"overview", "/", "Sites"},
		{"site-failing", "/sites/prod", "Why"},
		{"site-healthy", "/sites/healthy", "History and forecast"},
		{"site-at-capacity", "/sites/full", "History and forecast"},
		{"site-first-collection", "/sites/new", "One collection so far"},
	}
	for _, vp := range []struct {
		width, height int
		minPx         float64
		dark          bool
	}{{1400, 1000, 11, false}, {390, 844, 10, false}, {1400, 1000, 11, true}} {
		name := strconv.Itoa(vp.width)
		if vp.dark {
			name += "-dark"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browsertest.Allocator(t, vp.width, vp.height))
			defer cancel()
			ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
			defer cancelTimeout()
			browsertest.Viewport(ctx, t, vp.width, vp.height)
			pages := pages
			if vp.dark { // the scheme changes colours only: two pages show them all
				browsertest.DarkScheme(ctx, t)
				pages = pages[1:3]
			}
			for _, p := range pages {
				if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
					t.Fatalf("%s: %v", p.path, err)
				}
				text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(text, p.want) {
					t.Errorf("%s: page lacks %q", p.path, p.want)
				}
				browsertest.Screenshot(ctx, t, "dashboard-"+p.name+"-"+name)
				for _, problem := range browsertest.LayoutProblems(ctx, t, vp.minPx) {
					t.Errorf("%s at %d px: %s", p.path, vp.width, problem)
				}
			}
		})
	}
	// Printed on A4 (the same fits Letter): no navigation, no dark
	// background even when the screen is dark, nothing wider than the paper.
	t.Run("print", func(t *testing.T) {
		ctx, cancel := chromedp.NewContext(browsertest.Allocator(t, 1400, 1000))
		defer cancel()
		ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
		defer cancelTimeout()
		for _, p := range pages[:3] {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			for _, problem := range browsertest.Print(ctx, t, "dashboard-"+p.name+"-a4") {
				t.Errorf("%s printed: %s", p.path, problem)
			}
		}
	})
}
