package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licmon/licmon/internal/browsertest"
)

// TestMobileNothingOverflows renders the overview and the failing site at
// 390 px (a phone) in headless chromium: the page never scrolls sideways,
// and no finding, card or fact runs out of its box (a long URL in a finding
// wraps). Wide tables scroll inside their own wrapper, which is allowed.
func TestMobileNothingOverflows(t *testing.T) {
	browsertest.Path(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := simulatedBackend(t)
	// A finding with a long unbroken URL, as Qlik support links are.
	chk := f.checks["prod"]
	chk.Findings[0].Hint += " See https://community.qlik.com/t5/Official-Support-Articles/Qlik-Sense-License-Monitor-fails-with-HTTP-401-Unauthorized/ta-p/000104165-very-long-anchor"
	srv := httptest.NewServer(New(f, Options{Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()

	ctx, cancel := chromedp.NewContext(browsertest.Allocator(t, 390, 844))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	browsertest.Viewport(ctx, t, 390, 844)

	const overflow = `(() => {
	  const out = [];
	  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page ' + document.documentElement.scrollWidth + 'px wide');
	  for (const el of document.querySelectorAll('.card, .finding, .diagnosis, .facts dd, p, li, h1, h2, h3')) {
	    if (el.closest('.table-wrap, .log-wrap')) continue;
	    const r = el.getBoundingClientRect();
	    if (r.right > window.innerWidth + 1) out.push(el.tagName + '.' + el.className + ' ends at ' + Math.round(r.right) + 'px: ' + el.textContent.trim().slice(0, 60));
	  }
	  return out;
	})()`
	for _, path := range []string{"/", "/sites/prod"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](overflow))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			t.Errorf("%s at 390 px: %s", path, b)
		}
	}
}
