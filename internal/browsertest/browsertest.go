// Package browsertest starts headless Chromium for the browser tests of the
// HTML report and the dashboard. It finds Debian's chromium (installed by
// .ci/run), and skips the test when there is none, unless
// LICMON_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure, so CI can
// never pass by skipping.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Path returns the chromium binary: $LICMON_CHROMIUM, /usr/bin/chromium, or
// the first of chromium, chromium-browser, google-chrome on PATH.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LICMON_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium found (apt-get install chromium, or set LICMON_CHROMIUM)"
	if os.Getenv("LICMON_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; LICMON_REQUIRE_BROWSER=1 forbids skipping")
	}
	t.Skip("browser test skipped: " + msg)
	return ""
}

// Allocator starts a headless chromium with a fresh profile and returns
// its allocator context, for chromedp.NewContext; the browser stops when the
// test ends. The flags keep Chromium from reaching the network on its own
// (this machine has none), so every request a test sees comes from the page.
func Allocator(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(width, height),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	return actx
}

// Viewport sets the tab's viewport to width×height CSS pixels, as a phone
// when narrower than 600 px. A window size alone is not enough: headless
// Chromium makes no window narrower than 500 px, so a "390 px" window
// would lay pages out at 500.
func Viewport(ctx context.Context, t testing.TB, width, height int) {
	t.Helper()
	var opts []chromedp.EmulateViewportOption
	if width < 600 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	// A page with a device-width viewport, as licmon's pages have, shows
	// the width pages get.
	probe := chromedp.Navigate(`data:text/html,<meta name="viewport" content="width=device-width, initial-scale=1"><p>viewport</p>`)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height), opts...), probe); err != nil {
		t.Fatalf("viewport %dx%d: %v", width, height, err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth || window.innerWidth`))
	if err != nil {
		t.Fatalf("viewport: %v", err)
	}
	if got != width {
		t.Fatalf("viewport is %d px wide, want %d", got, width)
	}
}

// DarkScheme makes the tab's pages render as for a reader whose system is
// in dark mode (prefers-color-scheme: dark), on screen.
func DarkScheme(ctx context.Context, t testing.TB) {
	t.Helper()
	dark := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: dark}); err != nil {
		t.Fatalf("dark scheme: %v", err)
	}
}

// ArtifactsEnv names the directory screenshots are written to (CI sets
// it); without it the tests check the pages but keep no pictures.
const ArtifactsEnv = "LICMON_ARTIFACTS"

// Screenshot writes a full-page PNG of the current page to
// $LICMON_ARTIFACTS/name.png and returns its path ("" when the variable is
// unset). A failure to write is the test's failure: CI promises the files.
func Screenshot(ctx context.Context, t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		return ""
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	t.Logf("screenshot %s", file)
	return file
}

// A4 is the paper Print lays pages out for: 210 mm less 12 mm margins on
// each side is 186 mm, 703 CSS pixels; Letter's printable width is about
// the same (8.5 in less margins), so what fits A4 fits Letter.
const (
	a4Width, a4Height   = 8.27, 11.69 // inches
	a4PrintableCSSWidth = 703
)

// Print renders the current page as printed on A4 (print media, at the
// paper's printable width, the reader's screen in dark mode, which must not
// reach the paper) and returns what would spoil the printout: navigation
// that is printed, a dark background, and LayoutProblems with no font-size
// floor. The PDF goes to $LICMON_ARTIFACTS/name.pdf, and a screenshot of
// the page in print media to name.png. The page is left in
// screen media afterwards.
func Print(ctx context.Context, t testing.TB, name string) []string {
	t.Helper()
	dark := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print", Features: dark}); err != nil {
		t.Fatalf("print media: %v", err)
	}
	defer func() {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Errorf("screen media: %v", err)
		}
	}()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(a4PrintableCSSWidth, 1000)); err != nil {
		t.Fatalf("print viewport: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](printJS))
	if err != nil {
		t.Fatalf("print check: %v", err)
	}
	out = append(out, LayoutProblems(ctx, t, 0)...)
	if dir := os.Getenv(ArtifactsEnv); dir != "" {
		Screenshot(ctx, t, name) // print media at the paper's width, for a quick look
		yes := true
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: a4Width, PaperHeight: a4Height, PrintBackground: &yes, PreferCSSPageSize: &yes})
		if err != nil {
			t.Fatalf("print to PDF: %v", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(file, res.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("printout %s", file)
	}
	return out
}

const printJS = `(() => {
  const out = [];
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  document.querySelectorAll('nav, header, .skip').forEach(el => {
    if (shown(el)) out.push('printed navigation: ' + el.tagName.toLowerCase() + ' "' + el.textContent.trim().slice(0, 40) + '"');
  });
  const luminance = c => {
    const m = c.match(/rgba?\(([\d.]+), ([\d.]+), ([\d.]+)(?:, ([\d.]+))?\)/);
    if (!m || (m[4] !== undefined && parseFloat(m[4]) < 0.05)) return 1;
    return (0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3]) / 255;
  };
  for (const el of [document.documentElement, document.body, ...document.body.querySelectorAll('*')]) {
    if (el.closest('svg') || !shown(el)) continue;
    const bg = getComputedStyle(el).backgroundColor;
    if (luminance(bg) < 0.6) out.push('dark background ' + bg + ' on ' + el.tagName.toLowerCase() + '.' + (el.getAttribute('class') || ''));
  }
  return out;
})()`

// LayoutProblems checks the page as rendered and returns what a reader
// would trip over, each in words:
//   - the page scrolls sideways (scrollWidth > clientWidth), or a block
//     ends beyond the viewport outside a box that scrolls on its own;
//   - a visible text is smaller than minPx, SVG text measured as drawn
//     (its font size times the SVG's scale);
//   - two texts of one chart overlap, or a chart's legend or marker label
//     overlaps the plot, where it would cross a line;
//   - a chart's legend differs from what it draws (svgchart gives each
//     legend entry and each drawn element the same data-series key), or
//     names an entry twice.
func LayoutProblems(ctx context.Context, t testing.TB, minPx float64) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("(%s)(%g)", layoutJS, minPx)))
	if err != nil {
		t.Fatalf("layout check: %v", err)
	}
	return out
}

const layoutJS = `(minPx) => {
  const out = [];
  const de = document.documentElement;
  const vw = de.clientWidth;
  if (de.scrollWidth > vw) out.push('page scrolls sideways: scrollWidth ' + de.scrollWidth + ' > clientWidth ' + vw);
  const scrolls = el => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const name = el => el.tagName.toLowerCase() + (el.getAttribute('class') ? '.' + el.getAttribute('class').split(' ')[0] : '') +
    ' "' + (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50) + '"';
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    if (!shown(el) || scrolls(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1) out.push(name(el) + ' ends at ' + Math.round(r.right) + ' px, beyond the ' + vw + ' px viewport');
  }
  const seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!el || seen.has(el) || !walk.currentNode.textContent.trim()) continue;
    seen.add(el);
    if (el.closest('title, desc, style, script, .sr-only, .skip') || !shown(el)) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      if (m) px *= Math.hypot(m.a, m.b);
    }
    if (px < minPx - 0.05) out.push(name(el) + ' is ' + px.toFixed(1) + ' px, below ' + minPx + ' px');
  }
  const overlap = (a, b, slack) => a.left < b.right - slack && b.left < a.right - slack && a.top < b.bottom - slack && b.top < a.bottom - slack;
  document.querySelectorAll('svg.sc').forEach((svg, i) => {
    if (!shown(svg)) return;
    const title = (svg.querySelector('title') || {}).textContent || ('chart ' + i);
    const texts = Array.from(svg.querySelectorAll('text')).filter(shown);
    const boxes = texts.map(e => e.getBoundingClientRect());
    for (let a = 0; a < texts.length; a++)
      for (let b = a + 1; b < texts.length; b++)
        if (overlap(boxes[a], boxes[b], 0.5)) out.push(title + ': "' + texts[a].textContent + '" overlaps "' + texts[b].textContent + '"');
    const plot = svg.querySelector('.sc-hover');
    if (plot && shown(plot)) {
      const p = plot.getBoundingClientRect();
      svg.querySelectorAll('.sc-legend-text, .sc-marker-label, .sc-title').forEach(e => {
        if (shown(e) && overlap(e.getBoundingClientRect(), p, 0.5)) out.push(title + ': label "' + e.textContent + '" overlaps the plot');
      });
    }
    if (!svg.classList.contains('sc-timeseries')) return;
    const legend = Array.from(svg.querySelectorAll('.sc-legend-item')).map(e => e.getAttribute('data-series'));
    const legendText = Array.from(svg.querySelectorAll('.sc-legend-text')).map(e => e.textContent);
    const drawn = new Set(Array.from(svg.querySelectorAll('[data-series]'))
      .filter(e => !e.closest('.sc-legend')).map(e => e.getAttribute('data-series')));
    if (new Set(legend).size !== legend.length || new Set(legendText).size !== legendText.length)
      out.push(title + ': legend names an entry twice: ' + legendText.join(', '));
    const l = Array.from(new Set(legend)).sort().join(','), d = Array.from(drawn).sort().join(',');
    if (l !== d) out.push(title + ': legend lists [' + l + '] but the chart draws [' + d + ']');
  });
  return out;
}`
