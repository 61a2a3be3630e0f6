package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve runs the QRS of s on listen (e.g. ":4242") with mutual TLS using the
// certificates in certDir (created by EnsureCerts if needed) until ctx ends,
// then shuts down gracefully.
func Serve(ctx context.Context, s *Site, listen, certDir string, hostnames []string, logger *slog.Logger) error {
	cf, err := EnsureCerts(certDir, hostnames...)
	if err != nil {
		return err
	}
	cfg, err := cf.ServerTLSConfig()
	if err != nil {
		return err
	}
	if cfg, err = s.faults.TLS(cfg, cf); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	return ServeListener(ctx, ln, cfg, s.faults.Wrap(s.Handler()), logger)
}

// ServeProxy runs the proxy path (/{prefix}/qrs/...) for the virtual proxies
// on listen with server-only TLS until ctx ends.
func ServeProxy(ctx context.Context, s *Site, listen, certDir string, hostnames []string, vps []VirtualProxy, logger *slog.Logger) error {
	cf, err := EnsureCerts(certDir, hostnames...)
	if err != nil {
		return err
	}
	cfg, err := cf.ProxyTLSConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	if cfg, err = s.faults.TLS(cfg, cf); err != nil {
		return err
	}
	return ServeListener(ctx, ln, cfg, s.faults.Wrap(s.ProxyHandler(vps)), logger)
}

// ServeListener serves h with TLS on an existing listener (tests use
// 127.0.0.1:0) until ctx ends.
func ServeListener(ctx context.Context, ln net.Listener, cfg *tls.Config, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{Handler: logRequests(h, logger), TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(ln, cfg)) }()
	logger.Info("simulated Qlik Sense listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController reach Flush and Hijack (fault injection).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) WriteHeader(c int) {
	r.code = c
	r.ResponseWriter.WriteHeader(c)
}

func logRequests(h http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		start := time.Now()
		h.ServeHTTP(rec, r)
		logger.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.code, "duration", time.Since(start))
	})
}
