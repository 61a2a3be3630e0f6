package logimport_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/licmon/licmon/internal/logimport"
	"github.com/licmon/licmon/internal/store"
)

// BenchmarkImportTree imports the log tree under $LICMON_BENCH_TREE into a
// new store each time: the whole of licmon logs import, for profiling
// (go test -bench ImportTree -cpuprofile).
func BenchmarkImportTree(b *testing.B) {
	root := os.Getenv("LICMON_BENCH_TREE")
	if root == "" {
		b.Skip("set LICMON_BENCH_TREE to a log tree (bench/logs-import.sh makes one)")
	}
	ctx := context.Background()
	var bytes int64
	for b.Loop() {
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "licmon.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := logimport.Import(ctx, st, []string{root}, logimport.Options{Site: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		bytes = res.Bytes
		st.Close()
	}
	b.SetBytes(bytes)
}
