package email

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal ESMTP server on 127.0.0.1: EHLO advertising
// STARTTLS and AUTH PLAIN LOGIN, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT. It records what a client did, so tests can assert that the
// password travelled over TLS.
type fakeSMTP struct {
	addr     string
	port     int
	caFile   string
	implicit bool

	mu          sync.Mutex
	greet421    int    // answer this many connections with 421 first
	rejectRcpt  string // answer 550 to RCPT for this address
	sessions    int
	authMech    string
	authUser    string
	authPass    string
	authOverTLS bool
	mailFrom    string
	rcptTo      []string
	data        string
}

// newFakeSMTP starts the server; implicit makes it speak TLS from the first
// byte (SMTPS) instead of offering STARTTLS.
func newFakeSMTP(t *testing.T, implicit bool) *fakeSMTP {
	t.Helper()
	cert, caFile := testCert(t)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		ln = tls.NewListener(ln, tlsCfg)
	}
	f := &fakeSMTP{addr: ln.Addr().String(), port: ln.Addr().(*net.TCPAddr).Port, caFile: caFile, implicit: implicit}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.serve(c, tlsCfg) })
		}
	})
	return f
}

func (f *fakeSMTP) serve(c net.Conn, tlsCfg *tls.Config) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	isTLS := f.implicit
	r := bufio.NewReader(c)
	w := func(s string) { c.Write([]byte(s + "\r\n")) }
	read := func() (string, bool) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err == nil
	}
	f.mu.Lock()
	f.sessions++
	busy := f.greet421 > 0
	if busy {
		f.greet421--
	}
	f.mu.Unlock()
	if busy {
		w("421 4.3.2 fake busy, try again later")
		return
	}
	w("220 fake.test ESMTP ready")
	for {
		line, ok := read()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			w("250-fake.test hello " + arg)
			if !isTLS {
				w("250-STARTTLS")
			}
			w("250-AUTH PLAIN LOGIN")
			w("250 8BITMIME")
		case "STARTTLS":
			w("220 2.0.0 ready to start TLS")
			tc := tls.Server(c, tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, isTLS = tc, bufio.NewReader(tc), true
			w = func(s string) { tc.Write([]byte(s + "\r\n")) }
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			var user, pass string
			switch strings.ToUpper(mech) {
			case "PLAIN":
				if initial == "" {
					w("334 ")
					initial, _ = read()
				}
				b, _ := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(b), "\x00")
				if len(parts) == 3 {
					user, pass = parts[1], parts[2]
				}
			case "LOGIN":
				if initial == "" {
					w("334 VXNlcm5hbWU6")
					initial, _ = read()
				}
				u, _ := base64.StdEncoding.DecodeString(initial)
				w("334 UGFzc3dvcmQ6")
				p64, _ := read()
				p, _ := base64.StdEncoding.DecodeString(p64)
				user, pass = string(u), string(p)
			default:
				w("504 5.5.4 mechanism not supported")
				continue
			}
			f.mu.Lock()
			f.authMech, f.authUser, f.authPass, f.authOverTLS = strings.ToUpper(mech), user, pass, isTLS
			f.mu.Unlock()
			if pass != "hunter2" {
				w("535 5.7.8 authentication failed")
				continue
			}
			w("235 2.7.0 authenticated")
		case "MAIL":
			f.mu.Lock()
			f.mailFrom, f.rcptTo = addrArg(arg), nil
			f.mu.Unlock()
			w("250 2.1.0 ok")
		case "RCPT":
			a := addrArg(arg)
			f.mu.Lock()
			reject := a == f.rejectRcpt
			if !reject {
				f.rcptTo = append(f.rcptTo, a)
			}
			f.mu.Unlock()
			if reject {
				w("550 5.1.1 no such user")
				continue
			}
			w("250 2.1.5 ok")
		case "DATA":
			w("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, ok := read()
				if !ok {
					return
				}
				if l == "." {
					break
				}
				b.WriteString(strings.TrimPrefix(l, ".") + "\r\n") // undo dot-stuffing
			}
			f.mu.Lock()
			f.data = b.String()
			f.mu.Unlock()
			w("250 2.0.0 queued")
		case "RSET", "NOOP":
			w("250 2.0.0 ok")
		case "QUIT":
			w("221 2.0.0 bye")
			return
		default:
			w("502 5.5.2 command not implemented")
		}
	}
}

func addrArg(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a = strings.TrimSpace(a)
	if i := strings.IndexByte(a, '>'); i >= 0 {
		a = a[:i]
	}
	return strings.TrimPrefix(a, "<")
}

// testCert returns a self-signed certificate for 127.0.0.1 and the path of
// its PEM, to be used as ca_file.
func testCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}
