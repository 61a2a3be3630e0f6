package qrs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pki is a throw-away Qlik-like certificate set: a CA (root.pem), a server certificate and a
// client certificate (client.pem, client_key.pem) written to a temp dir.
type pki struct {
	dir       string
	caCert    *x509.Certificate
	caKey     *ecdsa.PrivateKey
	pool      *x509.CertPool
	caFile    string
	certFile  string
	keyFile   string
	serverTLS tls.Certificate
}

var serial atomic.Int64

func newPKI(t testing.TB, name string) *pki {
	t.Helper()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name + "-CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{dir: dir, caCert: ca, caKey: key, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = filepath.Join(dir, "root.pem")
	writeFile(t, p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))

	certPEM, keyPEM := p.issue(t, "localhost", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, false, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	p.serverTLS, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM = p.issue(t, "QlikClient", nil, nil, true, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	p.certFile = filepath.Join(dir, "client.pem")
	p.keyFile = filepath.Join(dir, "client_key.pem")
	writeFile(t, p.certFile, certPEM)
	writeFile(t, p.keyFile, keyPEM)
	return p
}

func (p *pki) issue(t testing.TB, cn string, dns []string, ips []net.IP, client bool, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageServerAuth
	if client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		DNSNames:     dns,
		IPAddresses:  ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLS serves h over TLS with p's server certificate, requiring a client certificate signed
// by p's CA unless clientAuth says otherwise.
func startTLS(t testing.TB, p *pki, clientAuth tls.ClientAuthType, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.serverTLS}, ClientAuth: clientAuth, ClientCAs: p.pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// certConfig is a certificate-mode config for srv with fast retries.
func (p *pki) certConfig(srv *httptest.Server) Config {
	return Config{Server: srv.URL, CertFile: p.certFile, KeyFile: p.keyFile, CAFile: p.caFile, RetryBackoff: time.Millisecond}
}

// fakeQRS enforces QRS's xrfkey rule and records every request, then delegates to routes.
type fakeQRS struct {
	mu     sync.Mutex
	reqs   []*http.Request
	routes http.Handler
}

func (f *fakeQRS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r.Clone(context.Background()))
	f.mu.Unlock()
	key := r.URL.Query().Get("xrfkey")
	if key == "" || key != r.Header.Get("X-Qlik-Xrfkey") || len(key) != 16 {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("XSRF prevention check failed. Possible XSRF discovered."))
		return
	}
	f.routes.ServeHTTP(w, r)
}

func (f *fakeQRS) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

// newFake starts an mTLS fake QRS serving mux and returns a certificate-mode client for it.
func newFake(t testing.TB, mux *http.ServeMux, mod func(*Config)) (*Client, *fakeQRS) {
	t.Helper()
	p := newPKI(t, "site")
	f := &fakeQRS{routes: mux}
	srv := startTLS(t, p, tls.RequireAndVerifyClientCert, f)
	cfg := p.certConfig(srv)
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func mustKind(t testing.TB, err error, k Kind) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error of kind %v, got nil", k)
	}
	e, ok := asError(err)
	if !ok {
		t.Fatalf("expected *Error of kind %v, got %T: %v", k, err, err)
	}
	if e.Kind != k {
		t.Fatalf("kind = %v, want %v; error: %v", e.Kind, k, err)
	}
	return e
}
