package httppost

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/notify"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T000/B000/XXXXSECRET":               "https://hooks.slack.com/…",
		"https://prod-12.westus.logic.azure.com:443/workflows/abc?sig=SECRET": "https://prod-12.westus.logic.azure.com:443/…",
		"https://user:pass@example.com/":                                      "https://example.com",
		"::not a url":                                                         "<redacted URL>",
	} {
		if got := notify.RedactURL(in); got != want {
			t.Errorf("notify.RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPostJSONClassifiesAndRedacts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500/SECRET":
			w.WriteHeader(500)
		case "/429/SECRET":
			w.WriteHeader(429)
		case "/400/SECRET":
			w.WriteHeader(400)
			w.Write([]byte("invalid_blocks\n"))
		default:
			w.WriteHeader(202)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path      string
		wantErr   bool
		wantRetry bool
	}{
		{"/ok/SECRET", false, false},
		{"/500/SECRET", true, true},
		{"/429/SECRET", true, true},
		{"/400/SECRET", true, false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			retry, err := PostJSON(t.Context(), srv.Client(), srv.URL+tc.path, nil, []byte(`{}`), 0)
			if (err != nil) != tc.wantErr || retry != tc.wantRetry {
				t.Fatalf("retry=%v err=%v, want retry=%v err=%v", retry, err, tc.wantRetry, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the URL path: %v", err)
			}
		})
	}
	_, err := PostJSON(t.Context(), srv.Client(), srv.URL+"/400/SECRET", nil, []byte(`{}`), 0)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 400 || he.Body != "invalid_blocks" {
		t.Errorf("HTTPError = %+v", he)
	}
}

func TestPostJSONReceiverDownIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	retry, err := PostJSON(t.Context(), &http.Client{}, "http://"+addr+"/hook/SECRET", nil, []byte(`{}`), 0)
	if err == nil || !retry {
		t.Fatalf("retry=%v err=%v, want retryable error", retry, err)
	}
	if strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "post http://"+addr+"/…") {
		t.Errorf("error = %v", err)
	}
}

func TestPostJSONUnknownCertificateIsPermanent(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	retry, err := PostJSON(t.Context(), &http.Client{}, srv.URL+"/x", nil, []byte(`{}`), 0)
	if err == nil || retry {
		t.Fatalf("retry=%v err=%v, want permanent error", retry, err)
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "url")
	os.WriteFile(f, []byte("https://example.com/x\n"), 0o600)
	if got, err := notify.ReadSecret("url", "", f); err != nil || got != "https://example.com/x" {
		t.Errorf("file: %q %v", got, err)
	}
	if _, err := notify.ReadSecret("url", "a", f); err == nil || err.Error() != "set url or url_file, not both" {
		t.Errorf("both: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	if _, err := notify.ReadSecret("password", "", empty); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty: %v", err)
	}
	if _, err := notify.ReadSecret("password", "", filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}
