package webhook

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/notify/notifytest"
)

var now = time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)

var tiny = notify.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxElapsed: time.Minute}

func resolved() notify.Alert {
	a := notify.SampleAlert(now)
	a.Status, a.EndsAt = notify.StatusResolved, now.Add(3*time.Minute)
	a.Severity = notify.SeverityOK
	a.Title = `License Monitor reload "OK" again <prod> & <dev>`
	a.LogHead, a.LogTail, a.Diagnosis, a.Labels = nil, nil, nil, nil
	return a
}

func TestWebhookPayloadHeadersAndSignature(t *testing.T) {
	rcv := notifytest.NewReceiver(t, "")
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte("s3cr3t\n"), 0o600)
	n, err := New(Config{
		Name: "ops-hook", URL: rcv.URL + "/hook",
		Headers:    map[string]string{"Authorization": "Bearer tok"},
		SecretFile: secretFile,
	}, httppost.Options{Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny); err != nil {
		t.Fatal(err)
	}
	if err := notify.Send(t.Context(), n, resolved(), tiny); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/hook" {
		t.Errorf("%s %s", r.Method, r.Path)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer tok", "User-Agent": "licmon/1.2.3",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	sig := r.Header.Get(SignatureHeader)
	if want := Sign([]byte("s3cr3t"), r.Body); !hmac.Equal([]byte(sig), []byte(want)) || !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 {
		t.Errorf("signature %q, want %q", sig, want)
	}
	notifytest.Golden(t, "firing.json", r.Body)
	notifytest.Golden(t, "resolved.json", reqs[1].Body)

	// The receiver sees exactly the alert text, quotes and <>& included.
	var p Payload
	if err := json.Unmarshal(reqs[1].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != resolved().Title || p.Status != "resolved" || p.EndsAt == nil || !p.EndsAt.Equal(now.Add(3*time.Minute)) {
		t.Errorf("resolved payload = %+v", p)
	}
	if p.Text != `✅ RESOLVED: License Monitor reload "OK" again <prod> & <dev>` {
		t.Errorf("text = %q", p.Text)
	}
	if p.LogTail == nil || p.Labels == nil || p.Details == nil {
		t.Error("slices and maps must be [] / {}, never null")
	}
}

func TestSignatureKnownAnswer(t *testing.T) {
	// RFC 4231 test case 2.
	got := Sign([]byte("Jefe"), []byte("what do ya want for nothing?"))
	if want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestWebhookNoSignatureWithoutSecret(t *testing.T) {
	rcv := notifytest.NewReceiver(t, "")
	n, err := New(Config{URL: rcv.URL}, httppost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(t.Context(), notify.SampleAlert(now)); err != nil {
		t.Fatal(err)
	}
	if h := rcv.Requests()[0].Header.Get(SignatureHeader); h != "" {
		t.Errorf("unexpected signature %q", h)
	}
}

func TestWebhookRetryClassification(t *testing.T) {
	t.Run("500 is retried until success", func(t *testing.T) {
		rcv := notifytest.NewReceiver(t, "", 500, 503)
		n, _ := New(Config{URL: rcv.URL}, httppost.Options{})
		if err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny); err != nil {
			t.Fatal(err)
		}
		if got := len(rcv.Requests()); got != 3 {
			t.Errorf("requests = %d, want 3", got)
		}
	})
	t.Run("400 is not retried", func(t *testing.T) {
		rcv := notifytest.NewReceiver(t, "bad payload", 400)
		n, _ := New(Config{URL: rcv.URL + "/tok/SECRET"}, httppost.Options{})
		err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny)
		var he *httppost.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 400 {
			t.Fatalf("err = %v", err)
		}
		if len(rcv.Requests()) != 1 || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("requests = %d, err = %v", len(rcv.Requests()), err)
		}
		if !strings.HasPrefix(err.Error(), "notify webhook: post http://127.0.0.1:") || !strings.HasSuffix(err.Error(), "/…: HTTP 400 Bad Request: bad payload") {
			t.Errorf("error text = %q", err)
		}
	})
}

func TestWebhookConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing url", Config{}, "webhook config: url: required setting is empty"},
		{"bad scheme", Config{URL: "ftp://x/y"}, `webhook config: url: scheme "ftp" is not http or https`},
		{"no host", Config{URL: "https:///path"}, "webhook config: url: URL has no host"},
		{"both", Config{URL: "https://x", URLFile: "/f"}, "webhook config: url: set url or url_file, not both"},
		{"header newline", Config{Name: "h", URL: "https://x", Headers: map[string]string{"authorization": "a\nb"}}, `h config: headers: header "Authorization" value contains a line break`},
		{"missing url file", Config{URLFile: "/nonexistent/url"}, "webhook config: url: read url_file: open /nonexistent/url: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, httppost.Options{})
			var ce *notify.ConfigError
			if !errors.As(err, &ce) || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A URL with a token must not be echoed back on a parse error.
	_, err := New(Config{URL: "https://exa mple.com/SECRET"}, httppost.Options{})
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("err = %v", err)
	}
}
