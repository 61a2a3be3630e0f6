// Command load puts a bounded local load on licmon serve: a fixed number of
// concurrent clients request the given URLs in turn for a duration, and the
// latency percentiles per URL are printed. bench/serve.sh drives it; see
// docs/PERFORMANCE.md.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	clients := flag.Int("c", 4, "concurrent clients")
	dur := flag.Duration("d", 20*time.Second, "duration")
	flag.Parse()
	urls := flag.Args()
	if len(urls) == 0 {
		fmt.Fprintln(os.Stderr, "usage: load [-c N] [-d DURATION] URL...")
		os.Exit(2)
	}
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	errs := 0
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := c; time.Now().Before(deadline); i++ {
				u := urls[i%len(urls)]
				start := time.Now()
				resp, err := http.Get(u)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				d := time.Since(start)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat[u] = append(lat[u], d)
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	for _, u := range urls {
		l := lat[u]
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		if len(l) == 0 {
			fmt.Printf("%s: no successful request\n", u)
			continue
		}
		p := func(q float64) time.Duration { return l[int(q*float64(len(l)-1))] }
		fmt.Printf("%-60s n=%-6d p50=%-8s p95=%-8s p99=%s\n", u, len(l), p(0.5).Round(10*time.Microsecond), p(0.95).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond))
	}
	if errs > 0 {
		fmt.Printf("%d failed requests\n", errs)
		os.Exit(1)
	}
}
