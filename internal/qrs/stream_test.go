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
