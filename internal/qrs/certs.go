package qrs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CertError is a certificate loading problem with a hint saying how to fix it.
type CertError struct {
	// File is the path involved.
	File string
	// Problem is a short description ("not found", "encrypted", "expired"…).
	Problem string
	// Hint says what to do.
	Hint string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *CertError) Error() string {
	s := e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the underlying error.
func (e *CertError) Unwrap() error { return e.Err }

const exportHint = "export it from the QMC: Certificates > Export, platform-independent PEM format, include the secret key; the files land in C:\\ProgramData\\Qlik\\Sense\\Repository\\Exported Certificates\\<name>"

func readPEMFile(path, what, flagName string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &CertError{File: path, Problem: fmt.Sprintf("%s %s not found in %s", what, filepath.Base(path), filepath.Dir(path)),
				Hint: "check the path of " + flagName + "; " + exportHint}
		}
		return nil, &CertError{File: path, Problem: fmt.Sprintf("read %s %s", what, path), Err: err,
			Hint: "check the file permissions for the account running licmon"}
	}
	return data, nil
}

// buildTransport makes the TLS transport and returns a description of the client certificate.
func buildTransport(cfg Config, log *slog.Logger) (*http.Transport, string, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // Insecure is an explicit, warned user choice.
	tr.TLSClientConfig = tlsCfg
	tr.ResponseHeaderTimeout = 0 // the client enforces its own idle timeout per request

	if cfg.CAFile != "" {
		data, err := readPEMFile(cfg.CAFile, "CA certificate", "the CA file (root.pem)")
		if err != nil {
			return nil, "", err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, "", &CertError{File: cfg.CAFile, Problem: fmt.Sprintf("CA file %s contains no PEM certificates", cfg.CAFile),
				Hint: "use root.pem from the QMC certificate export (a file starting with -----BEGIN CERTIFICATE-----)"}
		}
		tlsCfg.RootCAs = pool
	}

	var subject string
	if cfg.Auth == AuthCertificate {
		if cfg.CertFile == "" {
			return nil, "", &CertError{Problem: "certificate authentication needs a client certificate (client.pem)",
				Hint: "pass the client.pem and client_key.pem exported from the QMC, or use jwt/header authentication through a virtual proxy"}
		}
		cert, err := loadClientCert(cfg.CertFile, cfg.KeyFile, cfg.Now())
		if err != nil {
			return nil, "", err
		}
		if left := cert.Leaf.NotAfter.Sub(cfg.Now()); left < 30*24*time.Hour {
			log.Warn("client certificate expires soon", "file", cfg.CertFile, "notAfter", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
		}
		subject = certSubject(cert.Leaf)
		// Always offer the certificate, even if the server's acceptable-CA list does not name its
		// issuer: the server's rejection is a clearer error than silently sending none.
		tlsCfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	return tr, subject, nil
}

func certSubject(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return c.Subject.String()
}

func loadClientCert(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	certPEM, err := readPEMFile(certFile, "client certificate", "the client certificate (client.pem)")
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPath := keyFile
	var keyPEM []byte
	if keyFile == "" {
		keyPath, keyPEM = certFile, certPEM
	} else if keyPEM, err = readPEMFile(keyFile, "client key", "the client key (client_key.pem)"); err != nil {
		return tls.Certificate{}, err
	}
	if err := checkKeyPEM(keyPath, keyPEM); err != nil {
		return tls.Certificate{}, err
	}
	if !hasBlock(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, &CertError{File: certFile, Problem: fmt.Sprintf("client certificate %s contains no PEM certificate", certFile),
			Hint: "pass client.pem (-----BEGIN CERTIFICATE-----), not the key or a .pfx; " + exportHint}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return tls.Certificate{}, &CertError{File: keyPath, Problem: fmt.Sprintf("client key %s does not belong to certificate %s", keyPath, certFile), Err: err,
				Hint: "use client.pem and client_key.pem from the same QMC export"}
		}
		return tls.Certificate{}, &CertError{File: certFile, Problem: fmt.Sprintf("load client certificate %s and key %s", certFile, keyPath), Err: err, Hint: exportHint}
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, &CertError{File: certFile, Problem: "parse client certificate " + certFile, Err: err, Hint: exportHint}
		}
		cert.Leaf = leaf
	}
	const day = "2006-01-02"
	if now.After(leaf.NotAfter) {
		return tls.Certificate{}, &CertError{File: certFile, Problem: fmt.Sprintf("client certificate %s expired on %s (valid %s to %s)", certFile,
			leaf.NotAfter.UTC().Format(day), leaf.NotBefore.UTC().Format(day), leaf.NotAfter.UTC().Format(day)),
			Hint: "QRS will reject it; re-export client.pem/client_key.pem from the QMC (after the site certificates were renewed)"}
	}
	if now.Before(leaf.NotBefore) {
		return tls.Certificate{}, &CertError{File: certFile, Problem: fmt.Sprintf("client certificate %s is not valid before %s", certFile, leaf.NotBefore.UTC().Format(time.RFC3339)),
			Hint: "check this machine's clock"}
	}
	return cert, nil
}

func hasBlock(data []byte, typ string) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == typ {
			return true
		}
	}
}

// checkKeyPEM recognises the key problems users hit before tls.X509KeyPair gives a vague error.
func checkKeyPEM(path string, data []byte) error {
	found := false
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			return &CertError{File: path, Problem: fmt.Sprintf("%s is encrypted (password-protected key)", filepath.Base(path)),
				Hint: "re-export the certificates from the QMC without a password and protect the file with ACLs instead"}
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			found = true
		}
	}
	if !found {
		return &CertError{File: path, Problem: fmt.Sprintf("%s contains no PEM private key", path),
			Hint: "pass client_key.pem (-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----); " + exportHint}
	}
	return nil
}
