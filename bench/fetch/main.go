// Command fetch measures one QRS call end to end: it streams and decodes
// GET /qrs/license/professionalaccesstype/full from a site (real or
// `licmon sim`) and prints the element count, the time and the peak heap.
// bench/qrs-fetch.sh drives it; see docs/PERFORMANCE.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

func main() {
	server := flag.String("server", "https://localhost:4242", "QRS base URL")
	certDir := flag.String("cert-dir", "", "folder with client.pem, client_key.pem, root.pem")
	runs := flag.Int("runs", 5, "number of runs")
	flag.Parse()
	c, err := qrs.New(qrs.Config{Server: *server, CertFile: filepath.Join(*certDir, "client.pem"),
		KeyFile: filepath.Join(*certDir, "client_key.pem"), CAFile: filepath.Join(*certDir, "root.pem"), Timeout: time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	for i := 0; i < *runs; i++ {
		start := time.Now()
		n := 0
		err := c.StreamAccessTypes(context.Background(), qrs.KindProfessional, qrs.ListOptions{}, func(a qrs.LicenseAccessType) error {
			n++
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("run %d: %d allocations in %s, peak heap so far %.1f MB\n", i+1, n, time.Since(start).Round(time.Millisecond), float64(peak.Load())/1e6)
	}
	close(stop)
}
