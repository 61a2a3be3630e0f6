package qrs

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// endless writes a JSON array of elem forever (until the client goes away)
// and counts the bytes written.
func endless(written *atomic.Int64, elem string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(elem+",", 256))
		n, _ := w.Write([]byte("["))
		written.Add(int64(n))
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
}

func TestObjectAnswerOverLimitIsTooLarge(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/about", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"buildVersion":"`+strings.Repeat("x", 2<<20)+`"}`)
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Limits.Object = 1 << 20 })
	_, err := c.About(t.Context())
	e := mustKind(t, err, KindTooLarge)
	if !errors.Is(err, ErrTooLarge) || !IsKind(err, KindTooLarge) {
		t.Errorf("%v does not wrap ErrTooLarge", err)
	}
	msg := err.Error()
	for _, want := range []string{"GET /qrs/about", "1 MiB", "--server"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if e.Kind.String() != "too-large" {
		t.Errorf("kind name %q", e.Kind)
	}
}

// A filtered task list that comes back endless (a proxy dropped the query
// string, so the QRS ignored the filter) stops at the list limit instead
// of reading gigabytes into memory.
func TestFilteredListOverLimitStopsEarly(t *testing.T) {
	var written atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("GET /qrs/reloadtask/full", endless(&written, `{"id":"6f1c3e2a-0000-4000-8000-000000000001","name":"Some other task","app":{"name":"App"}}`))
	c, _ := newFake(t, mux, func(c *Config) { c.Limits.List = 1 << 20 })
	_, err := c.ReloadTasks(t.Context(), ListOptions{Filter: "name eq 'Reload License Monitor'"})
	mustKind(t, err, KindTooLarge)
	if !strings.Contains(err.Error(), "query string") || !strings.Contains(err.Error(), "/qrs/reloadtask/full?filter=name eq 'Reload License Monitor'") {
		t.Errorf("error does not name the call and the likely cause: %v", err)
	}
	// Socket buffers hold a few MB; the client must not have read on.
	if w := written.Load(); w > 32<<20 {
		t.Errorf("server wrote %d bytes before the client gave up on a 1 MiB limit", w)
	}
}

func TestStreamElementCountLimit(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/user/full", func(w http.ResponseWriter, r *http.Request) {
		n := 10
		if r.URL.Query().Get("filter") != "" {
			n = 11
		}
		writeJSON(w, 200, "["+strings.TrimSuffix(strings.Repeat(`{"id":"u","userId":"a"},`, n), ",")+"]")
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Limits.StreamItems = 10 })
	if users, err := c.Users(t.Context(), ListOptions{}); err != nil || len(users) != 10 {
		t.Fatalf("10 users at a limit of 10: %d, %v", len(users), err)
	}
	_, err := c.Users(t.Context(), ListOptions{Filter: "userId eq 'a'"})
	mustKind(t, err, KindTooLarge)
	if !strings.Contains(err.Error(), "more than 10 elements") {
		t.Errorf("error %v", err)
	}
}

func TestStreamElementSizeLimit(t *testing.T) {
	var written atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/license/professionalaccesstype/full", func(w http.ResponseWriter, r *http.Request) {
		// One element that never ends: a string value streamed forever.
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"id":"a","user":{"name":"`))
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Limits.StreamItem = 256 << 10 })
	err := c.StreamAccessTypes(t.Context(), KindProfessional, ListOptions{}, func(LicenseAccessType) error { return nil })
	mustKind(t, err, KindTooLarge)
	if !strings.Contains(err.Error(), "element larger than 256 KiB") {
		t.Errorf("error %v", err)
	}
	if w := written.Load(); w > 32<<20 {
		t.Errorf("server wrote %d bytes before the client gave up", w)
	}
}

func TestScriptLogDownloadLimit(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/download/reloadtask/{ticket}/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("20260301T010203.000+0100 lines\r\n"), 4096)) // 128 KiB
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Limits.ScriptLog = 64 << 10 })
	rc, err := c.DownloadScriptLog(t.Context(), "t1", "x.log")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	mustKind(t, err, KindTooLarge)
	if len(data) != 64<<10 {
		t.Errorf("read %d bytes before the limit, want exactly %d", len(data), 64<<10)
	}
	if !strings.Contains(err.Error(), "script log larger than 64 KiB") || !strings.Contains(err.Error(), "max_script_log_mb") {
		t.Errorf("error %v", err)
	}

	// A log of exactly the limit is whole.
	c2, _ := newFake(t, mux, func(c *Config) { c.Limits.ScriptLog = 128 << 10 })
	rc2, err := c2.DownloadScriptLog(t.Context(), "t1", "x.log")
	if err != nil {
		t.Fatal(err)
	}
	defer rc2.Close()
	if data, err := io.ReadAll(rc2); err != nil || len(data) != 128<<10 {
		t.Errorf("log at the limit: %d bytes, %v", len(data), err)
	}
}

// A server that sends a byte every few milliseconds never trips the idle
// timeout; the total deadline ends it, with an error that says so.
func TestSlowDripEndsAtDeadline(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/about", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		for r.Context().Err() == nil {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
	})
	c, _ := newFake(t, mux, func(c *Config) { c.Timeout = 2 * time.Second })
	ctx, cancel := WithDeadline(t.Context(), 300*time.Millisecond, "licmon check", "test")
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := c.About(ctx); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the slow drip was not ended by the deadline")
	}
	mustKind(t, err, KindDeadline)
	if !IsKind(err, KindDeadline) || !strings.Contains(err.Error(), "licmon check stopped at its total deadline of 300ms") {
		t.Errorf("error %v", err)
	}
	var de *DeadlineError
	if !errors.As(err, &de) || de.Limit != 300*time.Millisecond {
		t.Errorf("error %v does not carry the *DeadlineError", err)
	}
}
