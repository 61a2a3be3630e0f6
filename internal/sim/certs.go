package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CertFiles are the PEM files of a simulated site, named like a QMC
// certificate export (Certificates → Export, PEM format).
type CertFiles struct {
	Dir                                        string
	Root, Server, ServerKey, Client, ClientKey string
}

func certFiles(dir string) CertFiles {
	return CertFiles{Dir: dir, Root: filepath.Join(dir, "root.pem"), Server: filepath.Join(dir, "server.pem"),
		ServerKey: filepath.Join(dir, "server_key.pem"), Client: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client_key.pem")}
}

// EnsureCerts creates a site CA, a server certificate (SANs localhost,
// 127.0.0.1, ::1 and hostnames) and a client certificate in dir, or reuses
// existing ones when they are valid for at least a day and cover the
// hostnames. Keys are written with mode 0600.
func EnsureCerts(dir string, hostnames ...string) (CertFiles, error) {
	cf := certFiles(dir)
	names := append([]string{"localhost", "127.0.0.1", "::1"}, hostnames...)
	if cf.valid(names) == nil {
		return cf, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cf, fmt.Errorf("create certificate dir: %w", err)
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cf, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: hostOr(hostnames) + "-CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return cf, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(cn string, usage x509.ExtKeyUsage, sans []string) ([]byte, *ecdsa.PrivateKey, error) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		t := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
			NotAfter: now.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		for _, n := range sans {
			if ip := net.ParseIP(n); ip != nil {
				t.IPAddresses = append(t.IPAddresses, ip)
			} else {
				t.DNSNames = append(t.DNSNames, n)
			}
		}
		der, err := x509.CreateCertificate(rand.Reader, t, ca, &k.PublicKey, caKey)
		return der, k, err
	}
	srvDER, srvKey, err := leaf(hostOr(hostnames), x509.ExtKeyUsageServerAuth, names)
	if err != nil {
		return cf, fmt.Errorf("create server certificate: %w", err)
	}
	cliDER, cliKey, err := leaf("QlikClient", x509.ExtKeyUsageClientAuth, nil)
	if err != nil {
		return cf, fmt.Errorf("create client certificate: %w", err)
	}
	writes := []struct {
		path string
		typ  string
		der  []byte
		key  *ecdsa.PrivateKey
	}{{cf.Root, "CERTIFICATE", caDER, nil}, {cf.RootKey(), "", nil, caKey}, {cf.Server, "CERTIFICATE", srvDER, nil}, {cf.ServerKey, "", nil, srvKey},
		{cf.Client, "CERTIFICATE", cliDER, nil}, {cf.ClientKey, "", nil, cliKey}}
	for _, wr := range writes {
		mode := os.FileMode(0o644)
		block := &pem.Block{Type: wr.typ, Bytes: wr.der}
		if wr.key != nil {
			der, err := x509.MarshalECPrivateKey(wr.key)
			if err != nil {
				return cf, fmt.Errorf("encode key: %w", err)
			}
			block, mode = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}, 0o600
		}
		if err := os.WriteFile(wr.path, pem.EncodeToMemory(block), mode); err != nil {
			return cf, fmt.Errorf("write %s: %w", filepath.Base(wr.path), err)
		}
		if err := os.Chmod(wr.path, mode); err != nil {
			return cf, fmt.Errorf("chmod %s: %w", filepath.Base(wr.path), err)
		}
	}
	return cf, nil
}

// RootKey is the CA's key, which a QMC export never contains; the simulator
// keeps it only to issue the faulty certificates of FaultTLSExpired.
func (c CertFiles) RootKey() string { return filepath.Join(c.Dir, "root_key.pem") }

func hostOr(h []string) string {
	if len(h) > 0 && h[0] != "" {
		return h[0]
	}
	return "localhost"
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// valid checks that existing files form a usable, unexpired set covering names.
func (c CertFiles) valid(names []string) error {
	pool, err := c.pool()
	if err != nil {
		return err
	}
	for _, pair := range [][2]string{{c.Server, c.ServerKey}, {c.Client, c.ClientKey}} {
		kp, err := tls.LoadX509KeyPair(pair[0], pair[1])
		if err != nil {
			return err
		}
		leaf, err := x509.ParseCertificate(kp.Certificate[0])
		if err != nil {
			return err
		}
		usage := x509.ExtKeyUsageServerAuth
		if pair[0] == c.Client {
			usage = x509.ExtKeyUsageClientAuth
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: time.Now().Add(24 * time.Hour), KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			return err
		}
		if pair[0] == c.Server {
			for _, n := range names {
				if err := leaf.VerifyHostname(n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (c CertFiles) pool() (*x509.CertPool, error) {
	b, err := os.ReadFile(c.Root)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("root.pem holds no certificate")
	}
	return pool, nil
}

// ServerTLSConfig is the QRS (port 4242) TLS configuration: the server
// certificate, and client certificates required and verified against the CA.
func (c CertFiles) ServerTLSConfig() (*tls.Config, error) {
	kp, err := tls.LoadX509KeyPair(c.Server, c.ServerKey)
	if err != nil {
		return nil, fmt.Errorf("load server certificate: %w", err)
	}
	pool, err := c.pool()
	if err != nil {
		return nil, fmt.Errorf("load root.pem: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ProxyTLSConfig is the proxy (port 443) TLS configuration: server
// certificate only; users authenticate by JWT or header.
func (c CertFiles) ProxyTLSConfig() (*tls.Config, error) {
	cfg, err := c.ServerTLSConfig()
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth, cfg.ClientCAs = tls.NoClientCert, nil
	return cfg, nil
}

// ClientTLSConfig is what a client of the simulated site uses: the client
// certificate and root.pem as the only trusted root.
func (c CertFiles) ClientTLSConfig() (*tls.Config, error) {
	kp, err := tls.LoadX509KeyPair(c.Client, c.ClientKey)
	if err != nil {
		return nil, fmt.Errorf("load client certificate: %w", err)
	}
	pool, err := c.pool()
	if err != nil {
		return nil, fmt.Errorf("load root.pem: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{kp}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
