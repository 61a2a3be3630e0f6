package qrs

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bodyTransport answers every request with one body, without a network,
// so the fuzzer runs the client's real decoding path thousands of times a
// second.
type bodyTransport struct {
	body []byte
	ct   string
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {b.ct}}, Request: r,
		Body: io.NopCloser(bytes.NewReader(b.body)), ContentLength: int64(len(b.body))}, nil
}

// FuzzDecode feeds arbitrary answers to the QRS client's decoders (objects,
// collected and streamed lists, the value/ticket shape): each call returns
// a value or a typed *Error saying what was wrong, never panics, and the
// limits hold (a small limit is set so the fuzzer reaches them).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.json"))
	if len(files) == 0 && os.Getenv("CI") == "true" {
		f.Fatalf("QRS samples not found at %s: CI must seed the fuzzer with them", samplesDir)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`[]`, `null`, `{"value":"t"}`, `"t"`, `[{"id":"a","user":null}]`, `[{"id":1}]`,
		`{"lastUsed":"1753-01-01T00:00:00.000Z"}`, `[{"startTime":"2026-13-45T99:00:00Z"}]`, `<html>login</html>`, `[` + strings.Repeat(`{},`, 50) + `{}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := New(Config{Server: "https://qlik.example.com:4242", Transport: bodyTransport{body: body, ct: "application/json"},
			Retries: -1, Limits: Limits{Object: 4 << 10, List: 8 << 10, StreamItems: 20, StreamItem: 1 << 10}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		typed := func(what string, err error) {
			if err == nil {
				return
			}
			e, ok := asError(err)
			if !ok {
				t.Fatalf("%s: untyped error %T: %v", what, err, err)
			}
			if e.Kind != KindDecode && e.Kind != KindTooLarge {
				t.Fatalf("%s: kind %v for a 200 answer: %v", what, e.Kind, err)
			}
			if e.Path == "" || e.Method == "" {
				t.Fatalf("%s: error does not name the call: %v", what, err)
			}
		}
		_, err = c.About(ctx)
		typed("About", err)
		_, err = c.License(ctx)
		typed("License", err)
		_, err = c.AccessTypeOverview(ctx)
		typed("AccessTypeOverview", err)
		_, err = c.ReloadTasks(ctx, ListOptions{Filter: "name eq 'x'"})
		typed("ReloadTasks", err)
		_, err = c.ExecutionResults(ctx, ListOptions{})
		typed("ExecutionResults", err)
		n := 0
		err = c.StreamUsers(ctx, ListOptions{}, func(User) error { n++; return nil })
		typed("StreamUsers", err)
		if n > 20 {
			t.Fatalf("StreamUsers handed on %d elements over a limit of 20", n)
		}
		err = c.StreamAccessTypes(ctx, KindProfessional, ListOptions{}, func(a LicenseAccessType) error { a.LastUsed.IsNever(); return nil })
		typed("StreamAccessTypes", err)
		_, err = c.ScriptLogTicketByFileRef(ctx, "t", "6f1c3e2a-0000-4000-8000-000000000001")
		typed("ScriptLogTicketByFileRef", err)
	})
}
