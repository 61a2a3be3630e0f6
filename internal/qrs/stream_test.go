package qrs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/jsonscan"
)

// allocationJSON is one professional allocation as QRS sends it (~560 bytes).
const allocationJSON = `{"id":"%08x-0b8a-43b9-b35d-6489e6daee91","createdDate":"2023-01-23T04:56:07.000Z","modifiedDate":"2024-01-23T04:56:07.000Z","modifiedByUserName":"INTERNAL\\sa_repository","schemaPath":"License.ProfessionalAccessType","privileges":null,"user":{"id":"%08x-1111-43b9-b35d-6489e6daee91","userId":"user%06d","userDirectory":"CORP","userDirectoryConnectorName":"CORP","name":"User Number %06d","privileges":null},"lastUsed":"2025-06-01T10:00:00.000Z","excess":false,"quarantined":%t,"quarantineEnd":"1753-01-01T00:00:00.000Z","deletedUserId":"","deletedUserDirectory":""}`

// writeAllocations writes a JSON array of n allocations incrementally, as a server would, so the
// test never holds the whole body either.
func writeAllocations(w io.Writer, n int) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	bw.WriteByte('[')
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, allocationJSON, i, i, i, i, i%10 == 0)
	}
	bw.WriteByte(']')
	err := bw.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func allocationServer(t testing.TB, n int, bodyBytes *atomic.Int64) *Client {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/license/professionalaccesstype/full", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		written, _ := writeAllocations(w, n)
		if bodyBytes != nil {
			bodyBytes.Store(written)
		}
	})
	c, _ := newFake(t, mux, nil)
	return c
}

// heapSampler records the peak HeapInuse while a workload runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak atomic.Uint64
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	h := &heapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak.Load()
}

func TestStreamLargeAllocationList(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	var body atomic.Int64
	c := allocationServer(t, n, &body)
	hs := startHeapSampler()
	start := time.Now()
	count, quarantined := 0, 0
	err := c.StreamAccessTypes(t.Context(), KindProfessional, ListOptions{}, func(a LicenseAccessType) error {
		if want := fmt.Sprintf("user%06d", count); a.User == nil || a.User.UserID != want {
			return fmt.Errorf("element %d: user %+v, want %s", count, a.User, want)
		}
		if a.Quarantined {
			quarantined++
		}
		if !a.QuarantineEnd.IsNever() || a.LastUsed.Year() != 2025 {
			return fmt.Errorf("element %d: dates %v %v", count, a.LastUsed, a.QuarantineEnd)
		}
		count++
		return nil
	})
	elapsed := time.Since(start)
	peak := hs.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if count != n || quarantined != n/10 {
		t.Fatalf("streamed %d allocations (%d quarantined), want %d (%d)", count, quarantined, n, n/10)
	}
	t.Logf("%d allocations, %.1f MB JSON, %v, peak HeapInuse %.1f MB (includes the in-process fake server)",
		n, float64(body.Load())/1e6, elapsed.Round(time.Millisecond), float64(peak)/1e6)
	// Streaming means the heap does not follow the answer: 100k allocations
	// are ~58 MB of JSON and peak at ~5 MB (10k: 6 MB and 5 MB); decoding the
	// list whole would hold more than the JSON. The bound leaves room for the
	// GC's pacing and is meaningful at the full size.
	if limit := int64(16 << 20); int64(peak) > limit {
		t.Errorf("peak HeapInuse %.1f MB while streaming %.1f MB of JSON: the list is not streamed (bound %.1f MB)",
			float64(peak)/1e6, float64(body.Load())/1e6, float64(limit)/1e6)
	}
}

func TestStreamStopsOnCallbackError(t *testing.T) {
	c := allocationServer(t, 1000, nil)
	stop := errors.New("enough")
	seen := 0
	err := c.StreamAccessTypes(t.Context(), KindProfessional, ListOptions{}, func(LicenseAccessType) error {
		seen++
		if seen == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 3 {
		t.Fatalf("err %v after %d", err, seen)
	}
}

func TestStreamRejectsNonArrays(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/user/full", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"value": "not a list"}`)
	})
	mux.HandleFunc("GET /qrs/app/full", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `null`) })
	mux.HandleFunc("GET /qrs/app/object/full", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"name":"a"},{"name":`)
	})
	c, _ := newFake(t, mux, nil)
	_, err := c.Users(t.Context(), ListOptions{})
	if e := mustKind(t, err, KindDecode); !strings.Contains(e.Error(), "expected a JSON array") {
		t.Errorf("error %v", err)
	}
	apps, err := c.Apps(t.Context(), ListOptions{})
	if err != nil || len(apps) != 0 {
		t.Errorf("null list: %v %v", apps, err)
	}
	_, err = c.AppObjects(t.Context(), ListOptions{})
	if e := mustKind(t, err, KindDecode); !strings.Contains(e.Error(), "element 1") {
		t.Errorf("error %v", err)
	}
}

// BenchmarkStreamProfessionalAccessTypes fetches and decodes 100 000 allocations (~56 MB JSON)
// per iteration over mTLS from an in-process server and reports the peak heap in use.
func BenchmarkStreamProfessionalAccessTypes(b *testing.B) {
	const n = 100_000
	var body atomic.Int64
	c := allocationServer(b, n, &body)
	b.ReportAllocs()
	hs := startHeapSampler()
	for b.Loop() {
		count := 0
		if err := c.StreamAccessTypes(b.Context(), KindProfessional, ListOptions{}, func(LicenseAccessType) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("count %d", count)
		}
	}
	peak := hs.Stop()
	b.SetBytes(body.Load())
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
}

// idDecoder keeps the id of each element it decodes; partial reads nothing
// of the element.
type idDecoder struct {
	id      string
	partial bool
}

func (d *idDecoder) ScanFrom(s *jsonscan.Scanner) error {
	d.id = ""
	if d.partial {
		return nil
	}
	return s.Object(func(name []byte) error {
		if string(name) != "id" {
			return s.Skip()
		}
		v, err := s.String()
		d.id = string(v)
		return err
	})
}

// TestStreamFromReusesTheCallersDecoder: StreamFrom hands every element to
// the same decoder, then calls fn; a decoder that does not read its element
// is a decode error naming the element, never the rest of the list read
// out of step.
func TestStreamFromReusesTheCallersDecoder(t *testing.T) {
	c := allocationServer(t, 5, nil)
	d := &idDecoder{}
	var ids []string
	err := StreamFrom(t.Context(), c, "license/professionalaccesstype/full", ListOptions{}, d, func() error {
		ids = append(ids, d.id[:8])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"00000000", "00000001", "00000002", "00000003", "00000004"}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}

	d = &idDecoder{partial: true}
	err = StreamFrom(t.Context(), c, "license/professionalaccesstype/full", ListOptions{}, d, func() error { return nil })
	e := mustKind(t, err, KindDecode)
	if !strings.Contains(e.Error(), "element 0: the decoder read no value") {
		t.Errorf("error %v, want one saying element 0 was not read", e)
	}
}

// TestStreamFromLimitsAndErrors: StreamFrom keeps Stream's limits and
// errors: more elements than Limits.StreamItems or an element larger than
// Limits.StreamItem is KindTooLarge, an answer that is not a list or is cut
// short is KindDecode naming the element, null is an empty list, and fn's
// error is returned as it is.
func TestStreamFromLimitsAndErrors(t *testing.T) {
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"id":"a","user":{"name":"`))
		chunk := []byte(strings.Repeat("x", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/eleven", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, "["+strings.TrimSuffix(strings.Repeat(`{"id":"u"},`, 11), ",")+"]")
	})
	mux.HandleFunc("GET /qrs/endless", endless)
	mux.HandleFunc("GET /qrs/object", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"value": "not a list"}`) })
	mux.HandleFunc("GET /qrs/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Sign in</body></html>"))
	})
	mux.HandleFunc("GET /qrs/null", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `null`) })
	mux.HandleFunc("GET /qrs/cut", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[{"id":"a"},{"id":`) })
	mux.HandleFunc("GET /qrs/garbage", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[{"id":"a"} {"id":"b"}]`) })
	c, _ := newFake(t, mux, func(c *Config) { c.Limits.StreamItems, c.Limits.StreamItem = 10, 256<<10 })
	read := func(path string, fn func() error) (int, error) {
		d := &idDecoder{}
		n := 0
		err := StreamFrom(t.Context(), c, path, ListOptions{}, d, func() error { n++; return fn() })
		return n, err
	}
	ok := func() error { return nil }
	for _, x := range []struct {
		path, want string
		kind       Kind
	}{
		{"eleven", "more than 10 elements", KindTooLarge},
		{"endless", "element larger than 256 KiB", KindTooLarge},
		{"object", `expected a JSON array, got {"value": "not a list"}`, KindDecode},
		{"html", "an HTML page usually means a login form", KindDecode},
		{"cut", "element 1: at byte 18: unexpected EOF", KindDecode},
		{"garbage", "after element 1: invalid JSON at byte 12: invalid character '{' after an array element", KindDecode},
	} {
		_, err := read(x.path, ok)
		if e := mustKind(t, err, x.kind); !strings.Contains(e.Error(), x.want) {
			t.Errorf("%s: error %v, want one saying %q", x.path, e, x.want)
		}
	}
	if n, err := read("null", ok); n != 0 || err != nil {
		t.Errorf("null: %d elements, %v; want an empty list", n, err)
	}
	stop := errors.New("enough")
	if n, err := read("eleven", func() error { return stop }); n != 1 || err != stop {
		t.Errorf("fn's error: %d elements, %v; want %v after 1", n, err, stop)
	}
}
