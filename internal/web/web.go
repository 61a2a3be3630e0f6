package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options tune the handler. The zero value serves at the root with the
// title "licmon".
type Options struct {
	// BasePath is the URL prefix the handler is mounted at, e.g. "/licmon"
	// behind a reverse proxy; "" or "/" for the root. Links in pages carry it.
	BasePath string
	// Title is the dashboard title (default "licmon").
	Title string
	// Now is the clock for "ago" texts (default time.Now).
	Now func() time.Time
	// Logger receives backend and rendering errors (default slog.Default()).
	Logger *slog.Logger
	// Rows is the number of candidate rows shown on a site page (default
	// 25); the CSV download has them all.
	Rows int
	// HistoryRows is the number of past checks shown (default 20).
	HistoryRows int
	// MaxHeavyRequests bounds the whole-model answers (report, licenses,
	// forecast, candidates, CSV downloads) sent at once (default
	// DefaultMaxHeavyRequests); HeavyWait is how long one more waits for a
	// slot before it is answered 503 (default DefaultHeavyWait).
	MaxHeavyRequests int
	HeavyWait        time.Duration
	// AutoRefresh is how often the overview and site pages reload
	// themselves (a meta refresh the reader can switch off); default
	// DefaultAutoRefresh, negative for never.
	AutoRefresh time.Duration
}

// DefaultAutoRefresh is the pages' reload interval: the check interval, so
// an open dashboard shows each new check.
const DefaultAutoRefresh = 5 * time.Minute

// handler serves the dashboard and the API. It holds no global state: every
// instance has its own mux, templates and chart cache.
type handler struct {
	b      Backend
	opts   Options
	base   string
	mux    *http.ServeMux
	pages  map[string]*template.Template
	charts *chartCache
	heavy  *heavy
	static http.Handler
}

// New returns the dashboard and JSON API handler over b. Mount it at
// opts.BasePath (or the root); it answers every path under it.
func New(b Backend, opts Options) http.Handler {
	if opts.Title == "" {
		opts.Title = "licmon"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rows <= 0 {
		opts.Rows = 25
	}
	if opts.HistoryRows <= 0 {
		opts.HistoryRows = 20
	}
	if opts.MaxHeavyRequests <= 0 {
		opts.MaxHeavyRequests = DefaultMaxHeavyRequests
	}
	if opts.AutoRefresh == 0 {
		opts.AutoRefresh = DefaultAutoRefresh
	}
	if opts.HeavyWait <= 0 {
		opts.HeavyWait = DefaultHeavyWait
	}
	h := &handler{
		b:      b,
		opts:   opts,
		base:   strings.TrimRight(opts.BasePath, "/"),
		mux:    http.NewServeMux(),
		charts: newChartCache(),
		heavy:  newHeavy(opts.MaxHeavyRequests, opts.HeavyWait),
	}
	if h.base != "" && !strings.HasPrefix(h.base, "/") {
		h.base = "/" + h.base
	}
	h.pages = parseTemplates(h)
	sub, _ := fs.Sub(staticFS, "static") // cannot fail: the directory is embedded
	h.static = http.StripPrefix(h.base+"/static/", http.FileServerFS(sub))
	h.routes()
	return h
}

func (h *handler) routes() {
	p := h.base
	h.mux.HandleFunc("GET "+p+"/{$}", h.overview)
	if p != "" {
		// The base path without its slash leads to the overview.
		h.mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
		})
	}
	h.mux.HandleFunc("GET "+p+"/sites/{site}", h.sitePage)
	h.mux.HandleFunc("GET "+p+"/sites/{site}/candidates.csv", h.candidatesCSV)
	h.mux.HandleFunc("GET "+p+"/sites/{site}/logs", h.logsPage)
	h.mux.HandleFunc("GET "+p+"/static/", h.serveStatic)

	h.mux.HandleFunc("GET "+p+"/api/v1/openapi.yaml", h.openAPI)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites", h.apiSites)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}", h.apiSite)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/check", h.apiCheck)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/checks", h.apiChecks)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/licenses", h.apiLicenses)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/forecast", h.apiForecast)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/candidates", h.apiCandidates)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/report", h.apiReport)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/actions", h.apiActions)
	h.mux.HandleFunc("GET "+p+"/api/v1/sites/{site}/logs", h.apiLogs)
	h.mux.HandleFunc("GET "+p+"/api/v1/alerts", h.apiAlerts)
	h.mux.HandleFunc(p+"/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "not-found", "no API endpoint "+r.Method+" "+r.URL.Path,
			"GET "+p+"/api/v1/openapi.yaml describes the API")
	})
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at "+r.URL.Path+".")
	})
}

// contentSecurityPolicy allows only the binary's own scripts, styles and
// images. Inline style attributes are allowed (style-src-attr) because the
// SVG charts size themselves with one; no inline <style> or <script> runs.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; " +
	"style-src-attr 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// ServeHTTP sets the security headers every response carries, then routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w.Header())
	h.mux.ServeHTTP(w, r)
}

// SetSecurityHeaders sets the headers every licmon HTTP answer carries: a
// strict Content-Security-Policy, no sniffing, no framing, no referrer.
// licmon serve applies it to /metrics, the health endpoints and its own
// errors too.
func SetSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
}

func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	// The files change only with the binary; an hour keeps reloads cheap.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	h.static.ServeHTTP(w, r)
}

// render executes a page template into a buffer first, so a template error
// becomes a clean 500 instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		h.opts.Logger.Error("render page", "page", page, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error rendering the page; see the licmon log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage renders a page with a heading and a message.
func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.render(w, r, status, "error", &errorView{page: h.page(title), Status: status, Message: msg})
}

// backendError maps a Backend error to a page: unknown sites are 404s,
// everything else a logged 500.
func (h *handler) backendError(w http.ResponseWriter, r *http.Request, site string, err error) {
	if errors.Is(err, ErrUnknownSite) {
		h.errorPage(w, r, http.StatusNotFound, "Unknown site",
			"licmon monitors no site named "+quote(site)+". "+h.knownSites(r.Context()))
		return
	}
	h.opts.Logger.Error("dashboard backend", "path", r.URL.Path, "site", site, "err", err)
	h.errorPage(w, r, http.StatusInternalServerError, "Error", "licmon could not read the data for this page: "+err.Error())
}

// knownSites says which sites exist, for 404 messages.
func (h *handler) knownSites(ctx context.Context) string {
	sites, err := h.b.Sites(ctx)
	if err != nil || len(sites) == 0 {
		return "No sites are configured."
	}
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = s.Name
	}
	return "Known sites: " + strings.Join(names, ", ") + "."
}

func quote(s string) string { return "\u201c" + s + "\u201d" }
