package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licmon/licmon/internal/browsertest"
)

// TestHTMLScreenshots opens the HTML report in headless chromium at 1400 px
// (desktop) and 390 px (phone) and checks it as a reader sees it
// (browsertest.LayoutProblems: no sideways scrolling, text at least 11 px
// on desktop and 10 px on a phone, SVG text as drawn, chart labels that
// overlap nothing, legends equal to what each chart draws), then prints it
// to A4 (browsertest.Print). Screenshots and the PDF go to
// $LICMON_ARTIFACTS.
func TestHTMLScreenshots(t *testing.T) {
	browsertest.Path(t)
	r := simulated(t)
	file := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		width, height int
		minPx         float64
	}{{1400, 1000, 11}, {390, 844, 10}} {
		t.Run(strconv.Itoa(vp.width), func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browsertest.Allocator(t, vp.width, vp.height))
			defer cancel()
			ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
			defer cancelTimeout()
			browsertest.Viewport(ctx, t, vp.width, vp.height)
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.ID("plan"))); err != nil {
				t.Fatalf("open report: %v", err)
			}
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll('svg.sc-timeseries')).filter(s => s.getBoundingClientRect().width > 0).length`))
			if err != nil {
				t.Fatal(err)
			}
			if n != len(r.Types) {
				t.Errorf("%d charts shown, want one per type (%d)", n, len(r.Types))
			}
			browsertest.Screenshot(ctx, t, "report-"+strconv.Itoa(vp.width))
			for _, p := range browsertest.LayoutProblems(ctx, t, vp.minPx) {
				t.Errorf("at %d px: %s", vp.width, p)
			}
			if vp.width == 1400 {
				for _, p := range browsertest.Print(ctx, t, "report-a4") {
					t.Errorf("printed: %s", p)
				}
			}
		})
	}
}
