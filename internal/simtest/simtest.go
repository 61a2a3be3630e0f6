// Package simtest starts a simulated Qlik Sense site over real mutual TLS on
// 127.0.0.1 for tests, and builds a QRS client for it the way a user's flags
// would. It is the only place where the simulator and the client meet; the
// two packages never import each other.
package simtest

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/sim"
)

// Site is a running simulated site.
type Site struct {
	*sim.Site
	// URL is the QRS base URL, e.g. https://localhost:41234.
	URL string
	// CertDir holds root.pem, client.pem and client_key.pem.
	CertDir string
}

// Start builds a site from opts and serves it until the test ends.
func Start(t testing.TB, opts sim.Options) *Site {
	t.Helper()
	s, err := sim.New(opts)
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	return Serve(t, s)
}

// Serve serves an existing site until the test ends.
func Serve(t testing.TB, s *sim.Site) *Site {
	t.Helper()
	return ServeWith(t, s, nil)
}

// ServeWith serves the site's QRS through wrap (nil for none), so a test can
// inject faults (a 500, garbage, a slow answer) in front of the simulator.
func ServeWith(t testing.TB, s *sim.Site, wrap func(http.Handler) http.Handler) *Site {
	t.Helper()
	dir := t.TempDir()
	certs, err := sim.EnsureCerts(dir)
	if err != nil {
		t.Fatalf("EnsureCerts: %v", err)
	}
	cfg, err := certs.ServerTLSConfig()
	if err != nil {
		t.Fatalf("ServerTLSConfig: %v", err)
	}
	if cfg, err = s.Faults().TLS(cfg, certs); err != nil {
		t.Fatalf("TLS faults: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := s.Faults().Wrap(s.Handler())
	if wrap != nil {
		h = wrap(h)
	}
	go func() { done <- sim.ServeListener(ctx, ln, cfg, h, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulated site: %v", err)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &Site{Site: s, URL: "https://localhost:" + port, CertDir: dir}
}

// Client returns a certificate-authenticated QRS client for the site, as
// --server URL --cert-dir DIR would build it.
func (s *Site) Client(t testing.TB) *qrs.Client {
	t.Helper()
	c, err := qrs.New(qrs.Config{
		Server:   s.URL,
		CertFile: filepath.Join(s.CertDir, "client.pem"),
		KeyFile:  filepath.Join(s.CertDir, "client_key.pem"),
		CAFile:   filepath.Join(s.CertDir, "root.pem"),
	})
	if err != nil {
		t.Fatalf("qrs.New: %v", err)
	}
	// Registered after Serve's cleanup, so it runs first: the server's
	// graceful shutdown would otherwise wait for dialled-but-unused conns.
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// ServeProxy serves the site's virtual proxies (server-only TLS, no client
// certificate) until the test ends and returns the proxy's base URL
// (https://localhost:port); clients add the prefix.
func (s *Site) ServeProxy(t testing.TB, vps []sim.VirtualProxy) string {
	t.Helper()
	certs, err := sim.EnsureCerts(s.CertDir)
	if err != nil {
		t.Fatalf("EnsureCerts: %v", err)
	}
	cfg, err := certs.ProxyTLSConfig()
	if err != nil {
		t.Fatalf("ProxyTLSConfig: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.ServeListener(ctx, ln, cfg, s.ProxyHandler(vps), nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulated proxy: %v", err)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "https://localhost:" + port
}
