package scriptlog

import (
	"io"
	"runtime"
	"testing"
)

const benchSize = 200 << 20

// BenchmarkDiagnose streams a generated ~200 MB log per iteration. Run with
// go test -run=^$ -bench=Diagnose -benchmem -cpu 1 ./internal/scriptlog
func BenchmarkDiagnose(b *testing.B) {
	n, _ := io.Copy(io.Discard, newLogGenerator(benchSize))
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		d, err := Diagnose(newLogGenerator(benchSize), Options{})
		if err != nil || d.Code != "rest-auth" {
			b.Fatalf("code %v err %v", d.Code, err)
		}
	}
}

// BenchmarkReaderNext measures the public iterator, which allocates one
// string per line.
func BenchmarkReaderNext(b *testing.B) {
	const size = 50 << 20
	n, _ := io.Copy(io.Discard, newLogGenerator(size))
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(newLogGenerator(size))
		for _, err := range r.All() {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestDiagnoseMemoryFlat checks that memory does not grow with the input:
// the bytes allocated for a 64 MB log are about those for an 8 MB one, and
// the live heap after diagnosing stays small. It measures memory, not time.
func TestDiagnoseMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 72 MB")
	}
	measure := func(size int64) (alloc, peakInuse uint64) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, err := Diagnose(newLogGenerator(size), Options{})
		runtime.ReadMemStats(&after)
		if err != nil || d.Code != "rest-auth" || d.Statement.ScriptLine != 705 {
			t.Fatalf("size %d: code %s line %d err %v", size, d.Code, d.Statement.ScriptLine, err)
		}
		return after.TotalAlloc - before.TotalAlloc, after.HeapInuse
	}
	smallAlloc, smallInuse := measure(8 << 20)
	bigAlloc, bigInuse := measure(64 << 20)
	t.Logf("allocated: 8 MB log %d KB, 64 MB log %d KB; HeapInuse %d KB / %d KB",
		smallAlloc>>10, bigAlloc>>10, smallInuse>>10, bigInuse>>10)
	if bigAlloc > smallAlloc+(1<<20) {
		t.Errorf("allocation grows with input: %d KB for 8 MB, %d KB for 64 MB", smallAlloc>>10, bigAlloc>>10)
	}
	if bigInuse > 32<<20 {
		t.Errorf("HeapInuse %d MB after a 64 MB log", bigInuse>>20)
	}
}
