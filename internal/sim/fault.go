package sim

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault kinds: what a Fault does to a request it applies to.
const (
	// FaultLatency waits Delay (default 2s) before the real answer.
	FaultLatency = "latency"
	// FaultStatus answers Status (default 500) with a short text body, as
	// the QRS, a proxy or a load balancer would: 500/503 when the service
	// is down, 401/403 for an identity it refuses.
	FaultStatus = "status"
	// FaultReset closes the connection without an answer (TCP reset).
	FaultReset = "reset"
	// FaultTruncate sends the real answer's headers (with its full
	// Content-Length) and half its body, then closes the connection.
	FaultTruncate = "truncate"
	// FaultInvalidJSON answers 200 application/json with a body that is not JSON.
	FaultInvalidJSON = "invalid-json"
	// FaultHTML answers 200 text/html with a login page, as a proxy in front
	// of the QRS does when the request did not authenticate.
	FaultHTML = "html"
	// FaultDrip sends the real answer one byte every Delay (default 1s).
	FaultDrip = "drip"
	// FaultOversize answers 200 with a JSON array of Size bytes (default
	// 64 MiB), streamed: what an ignored filter on a big site returns.
	FaultOversize = "oversize"
	// FaultTLSWrongCA serves a server certificate from another CA. It
	// applies to the whole listener (Path, Probability and Count are ignored).
	FaultTLSWrongCA = "tls-wrong-ca"
	// FaultTLSExpired serves an expired server certificate of the site's CA
	// (whole listener).
	FaultTLSExpired = "tls-expired"
)

// FaultKinds lists the accepted Fault.Kind values.
func FaultKinds() []string {
	return []string{FaultLatency, FaultStatus, FaultReset, FaultTruncate, FaultInvalidJSON, FaultHTML, FaultDrip,
		FaultOversize, FaultTLSWrongCA, FaultTLSExpired}
}

// Fault injects one kind of failure into the requests whose path matches,
// configured from Go (Options.Faults) or a scenario's `faults:` list.
type Fault struct {
	// Path is a glob on the request path (path.Match: * within a segment),
	// e.g. "/qrs/reloadtask/full"; a trailing "*" matches the rest of the
	// path ("/qrs/license/*"); empty matches every request.
	Path string `yaml:"path"`
	// Method, when set, limits the fault to requests of that HTTP method
	// (GET, PUT, POST, DELETE), so a change can fail while the reads of
	// the same path answer.
	Method string `yaml:"method"`
	// Kind is one of FaultKinds.
	Kind string `yaml:"kind"`
	// Status is the HTTP status of FaultStatus (default 500).
	Status int `yaml:"status"`
	// Delay is the wait of FaultLatency (default 2s) or the gap between the
	// bytes of FaultDrip (default 1s), e.g. "250ms".
	Delay time.Duration `yaml:"delay"`
	// Probability applies the fault to that share of matching requests
	// (deterministic from the site's seed); 0 means every one.
	Probability float64 `yaml:"probability"`
	// After lets the first After matching requests through untouched.
	After int `yaml:"after"`
	// Count stops the fault after it was applied that many times (0: never).
	Count int `yaml:"count"`
	// Size is the body size of FaultOversize in bytes (default 64 MiB).
	Size int64 `yaml:"size"`
}

func (f Fault) tls() bool { return f.Kind == FaultTLSWrongCA || f.Kind == FaultTLSExpired }

// validateFaults checks a fault list and says what is wrong with which entry.
func validateFaults(fs []Fault) error {
	for i, f := range fs {
		if !slices.Contains(FaultKinds(), f.Kind) {
			return fmt.Errorf("faults[%d].kind %q: use one of %s", i, f.Kind, strings.Join(FaultKinds(), ", "))
		}
		if _, err := path.Match(strings.TrimSuffix(f.Path, "*"), ""); err != nil {
			return fmt.Errorf("faults[%d].path %q: %w", i, f.Path, err)
		}
		if f.Method != "" && !slices.Contains([]string{"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"}, strings.ToUpper(f.Method)) {
			return fmt.Errorf("faults[%d].method %q: use GET, PUT, POST, DELETE, PATCH or HEAD (empty: every method)", i, f.Method)
		}
		if f.Probability < 0 || f.Probability > 1 {
			return fmt.Errorf("faults[%d].probability %v: use a share between 0 and 1 (0: every request)", i, f.Probability)
		}
		if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
			return fmt.Errorf("faults[%d].status %d: use an HTTP status such as 500, 503, 401 or 403", i, f.Status)
		}
		if f.Delay < 0 || f.Size < 0 || f.Count < 0 || f.After < 0 {
			return fmt.Errorf("faults[%d]: delay, size, count and after cannot be negative", i)
		}
	}
	return nil
}

// Faults is the fault injector of a site: HTTP middleware for the
// per-request faults and a TLS configuration for the certificate faults.
// A nil *Faults injects nothing. It is safe for concurrent use.
type Faults struct {
	mu      sync.Mutex
	rng     *mrand.Rand
	faults  []Fault
	matched []int
	applied []int
}

// NewFaults returns an injector for fs; seed makes Probability repeatable.
func NewFaults(seed uint64, fs ...Fault) (*Faults, error) {
	if err := validateFaults(fs); err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return &Faults{rng: mrand.New(mrand.NewPCG(seed, 0x5eed)), faults: slices.Clone(fs),
		matched: make([]int, len(fs)), applied: make([]int, len(fs))}, nil
}

// Faults returns the site's injector (Options.Faults and the scenario's
// faults), nil when it has none.
func (s *Site) Faults() *Faults { return s.faults }

// Applied reports how many requests the faults of kind got (all kinds for "").
func (f *Faults) Applied(kind string) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for i, x := range f.faults {
		if kind == "" || x.Kind == kind {
			n += f.applied[i]
		}
	}
	return n
}

func matchPath(pattern, p string) bool {
	if pattern == "" {
		return true
	}
	if strings.HasSuffix(pattern, "*") {
		prefix := strings.TrimSuffix(pattern, "*")
		if !strings.ContainsAny(prefix, "*?[") {
			return strings.HasPrefix(p, prefix)
		}
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

// pick returns the fault to apply to r, if any: the first whose path
// matches and whose After, Count and Probability let it fire.
func (f *Faults) pick(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.faults {
		if x.tls() || !matchPath(x.Path, r.URL.Path) || (x.Method != "" && !strings.EqualFold(x.Method, r.Method)) {
			continue
		}
		f.matched[i]++
		if f.matched[i] <= x.After || (x.Count > 0 && f.applied[i] >= x.Count) {
			continue
		}
		if x.Probability > 0 && x.Probability < 1 && f.rng.Float64() >= x.Probability {
			continue
		}
		f.applied[i]++
		return x, true
	}
	return Fault{}, false
}

// Wrap puts the per-request faults in front of h.
func (f *Faults) Wrap(h http.Handler) http.Handler {
	if f == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, ok := f.pick(r)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		serveFault(w, r, x, h)
	})
}

// loginPage is what a Qlik proxy answers an unauthenticated browser.
const loginPage = `<!DOCTYPE html>
<html><head><title>Qlik Sense</title></head>
<body><form method="post" action="/internal_forms_authentication/?targetId=2d3e"><h1>Log in</h1>
<label>User name <input name="username"></label><label>Password <input name="pwd" type="password"></label>
<button type="submit">Log in</button></form></body></html>
`

func serveFault(w http.ResponseWriter, r *http.Request, x Fault, h http.Handler) {
	switch x.Kind {
	case FaultLatency:
		d := x.Delay
		if d == 0 {
			d = 2 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	case FaultStatus:
		code := x.Status
		if code == 0 {
			code = http.StatusInternalServerError
		}
		textError(w, code, http.StatusText(code))
	case FaultReset:
		reset(w)
	case FaultTruncate:
		rec := record(h, r)
		copyHeader(w, rec)
		body := rec.Body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	case FaultInvalidJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(`[{"id":"6f1c3e2a-0000-4000-8000-000000000001","name":}]` + "\n"))
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(loginPage))
	case FaultDrip:
		d := x.Delay
		if d == 0 {
			d = time.Second
		}
		rec := record(h, r)
		copyHeader(w, rec)
		w.WriteHeader(rec.Code)
		rc := http.NewResponseController(w)
		for _, b := range rec.Body.Bytes() {
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
	case FaultOversize:
		n := x.Size
		if n == 0 {
			n = 64 << 20
		}
		oversize(w, r, n)
	}
}

// record runs h into a recorder, for the faults that mangle a real answer.
func record(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func copyHeader(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
}

// reset closes the client's connection without an answer, with SO_LINGER 0
// so the client sees a TCP reset rather than a clean close.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}

func oversize(w http.ResponseWriter, r *http.Request, n int64) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	var chunk bytes.Buffer
	for i := 0; chunk.Len() < 64<<10; i++ {
		fmt.Fprintf(&chunk, `{"id":"6f1c3e2a-0000-4000-8000-%012d","name":"padding %s"},`, i, strings.Repeat("x", 200))
	}
	written := int64(0)
	w.Write([]byte("["))
	for written+int64(chunk.Len()) < n-1 && r.Context().Err() == nil {
		m, err := w.Write(chunk.Bytes())
		written += int64(m)
		if err != nil {
			return
		}
	}
	w.Write([]byte(`{"id":"6f1c3e2a-0000-4000-8000-ffffffffffff"}]`))
}

// TLS returns cfg with the certificate faults applied: a server certificate
// from another CA, or an expired one of the site's CA (which needs the CA
// key EnsureCerts keeps as root_key.pem).
func (f *Faults) TLS(cfg *tls.Config, certs CertFiles) (*tls.Config, error) {
	if f == nil {
		return cfg, nil
	}
	for _, x := range f.faults {
		if !x.tls() {
			continue
		}
		kp, err := faultyServerCert(x.Kind, certs)
		if err != nil {
			return nil, fmt.Errorf("fault %s: %w", x.Kind, err)
		}
		cfg = cfg.Clone()
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}

func faultyServerCert(kind string, certs CertFiles) (tls.Certificate, error) {
	now := time.Now()
	var ca *x509.Certificate
	var caKey any
	switch kind {
	case FaultTLSWrongCA:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, err
		}
		tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "another-site-CA"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			return tls.Certificate{}, err
		}
		ca, _ = x509.ParseCertificate(der)
		caKey = k
	case FaultTLSExpired:
		kp, err := tls.LoadX509KeyPair(certs.Root, certs.RootKey())
		if errors.Is(err, os.ErrNotExist) {
			return tls.Certificate{}, fmt.Errorf("%s is missing (certificates made by an older licmon sim): delete %s to have them made again", filepath.Base(certs.RootKey()), certs.Dir)
		}
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("load the site CA: %w", err)
		}
		if ca, err = x509.ParseCertificate(kp.Certificate[0]); err != nil {
			return tls.Certificate{}, err
		}
		caKey = kp.PrivateKey
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if kind == FaultTLSExpired {
		leaf.NotBefore, leaf.NotAfter = now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1)
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &k.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}
