package qlog

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkExtractTree reads every service log under $LICMON_BENCH_TREE
// (bench/logs-import.sh sets it) with one reader per core and no store: the
// reading side of licmon logs import.
func BenchmarkExtractTree(b *testing.B) {
	root := os.Getenv("LICMON_BENCH_TREE")
	if root == "" {
		b.Skip("set LICMON_BENCH_TREE to a log tree (bench/logs-import.sh does)")
	}
	var files []string
	var size int64
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if _, ok := ParseFileName(info.Name()); ok {
				files = append(files, p)
				size += info.Size()
			}
		}
		return nil
	})
	b.SetBytes(size)
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(files) {
						return
					}
					f, err := os.Open(files[i])
					if err != nil {
						b.Error(err)
						return
					}
					name, _ := ParseFileName(filepath.Base(files[i]))
					if _, err := Extract(name, f, func(*Batch) error { return nil }); err != nil {
						b.Error(err)
					}
					f.Close()
				}
			}()
		}
		wg.Wait()
	}
}
