package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/metrics"
	"github.com/licmon/licmon/internal/web"
)

// routes builds the handler: /-/healthy and /-/ready are open (probes),
// everything else passes the optional authentication; every unsafe method
// passes the cross-origin protection.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	reg := metrics.NewRegistry(metricsSource{s})
	mux.Handle("GET /metrics", metrics.Handler(reg))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("licmon is healthy\n"))
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !s.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("licmon is not ready: waiting for the first check of every site\n"))
			return
		}
		w.Write([]byte("licmon is ready\n"))
	})
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.Reload(); err != nil {
			s.log.Error("reload failed, keeping the previous configuration", "err", err)
			http.Error(w, "reload failed, the previous configuration stays in force: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write([]byte("configuration reloaded\n"))
	})
	mux.Handle("/", web.New(&backend{s}, web.Options{Logger: s.log.With("component", "web"), Now: s.opts.Now,
		MaxHeavyRequests: s.rt.Load().cfg.Serve.MaxHeavyRequests}))

	// CSRF: a POST (or any unsafe method) a browser sends from another
	// origin is refused, whether or not the user is logged in; scripts and
	// curl, which send neither Sec-Fetch-Site nor Origin, pass.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, http.StatusForbidden, "cross-origin", "licmon refuses "+r.Method+" "+r.URL.Path+" sent by a page of another site",
			"send it from the licmon dashboard itself or from a script (curl -X POST), not from another web page")
	}))
	protected := cop.Handler(s.authenticate(mux))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.SetSecurityHeaders(w.Header())
		if r.URL.Path == "/-/healthy" || r.URL.Path == "/-/ready" {
			mux.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// authenticate enforces serve.auth (read at each request, so a reload
// changes it): a bearer token or basic auth, compared in constant time.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.rt.Load().cfg.Serve.Auth
		if !a.Enabled() || authorized(r, a) {
			next.ServeHTTP(w, r)
			return
		}
		hint := "send Authorization: Bearer <serve.auth.bearer_token>"
		if a.Username != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="licmon", charset="UTF-8"`)
			hint = "log in with serve.auth.username and its password (basic auth)"
			if a.BearerToken != "" {
				hint += ", or send Authorization: Bearer <serve.auth.bearer_token>"
			}
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="licmon"`)
		}
		web.WriteError(w, http.StatusUnauthorized, "unauthorized", "authentication required", hint)
	})
}

func authorized(r *http.Request, a config.ServeAuth) bool {
	if a.BearerToken != "" {
		if tok, ok := bearerToken(r.Header.Get("Authorization")); ok && equal(tok, a.BearerToken) {
			return true
		}
	}
	if a.Username != "" {
		if u, p, ok := r.BasicAuth(); ok {
			// Both compared, always, so the time taken says nothing about which one was wrong.
			uok, pok := equal(u, a.Username), equal(p, a.Password)
			return uok && pok
		}
	}
	return false
}

// bearerToken returns the token of an Authorization header of the Bearer
// scheme; the scheme name is case-insensitive (RFC 7235 section 2.1).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimLeft(tok, " ")
	return tok, tok != ""
}

// equal compares secrets in constant time (hashing first so the length of
// the secret does not leak either).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// metricsSource adapts the server to metrics.Source.
type metricsSource struct{ s *Server }

func (m metricsSource) Sites() []metrics.Site {
	rt := m.s.rt.Load()
	out := make([]metrics.Site, 0, len(rt.sites))
	for _, st := range rt.sites {
		ms := st.metricsSite()
		ms.Checks.Unsaved, ms.Checks.Dropped = m.s.checks.counts(st.cfg.Name)
		ms.Jobs = m.s.scheduleJobs(st.cfg.Name)
		out = append(out, ms)
	}
	return out
}

func (m metricsSource) LastReloadSuccessful() bool { return m.s.reloadOK.Load() }
