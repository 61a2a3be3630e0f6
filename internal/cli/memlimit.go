package cli

import (
	"context"
	"math"
	"os"
	"runtime/debug"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/store"
)

// logsMemoryLimit is the soft memory limit of `logs import`, whose memory
// does not grow with the site: files are streamed by a fixed number of
// workers. Near it the garbage collector runs more often instead of
// letting the heap double. GOMEMLIMIT overrides it.
const logsMemoryLimit = 224 << 20

// softMemoryLimit applies logsMemoryLimit unless GOMEMLIMIT is set.
func softMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(logsMemoryLimit)
	}
}

// collectMemoryLimit is collect.Options.Size for the CLI: it sets the soft
// memory limit for collecting a site of that size (collect.MemoryLimit),
// one that follows the site instead of a fixed figure a big site would
// exceed and thrash at. GOMEMLIMIT, when set, is honoured as it is. Until
// the size is known there is no limit (the default pacing).
func collectMemoryLimit(users, allocations int) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(collect.MemoryLimit(users, allocations))
	}
}

// serveMemoryLimit sets the soft memory limit of serve from the sites its
// store holds: serve collects one site at a time and keeps the others'
// report models, so the largest site counts whole and the others at a
// quarter. A new store leaves no limit until the next start. GOMEMLIMIT,
// when set, is honoured as it is.
func serveMemoryLimit(ctx context.Context, flagPath, cfgPath string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(math.MaxInt64)
	if st, _, err := openStore(ctx, flagPath, cfgPath, true); err == nil {
		limit = serveLimit(ctx, st)
		st.Close()
	}
	debug.SetMemoryLimit(limit)
}

func serveLimit(ctx context.Context, st store.Store) int64 {
	sites, err := st.Sites(ctx)
	if err != nil {
		return math.MaxInt64
	}
	var largest, rest int
	known := false
	for _, s := range sites {
		users, allocs, ok, err := collect.SiteSize(ctx, st, s)
		if err != nil || !ok {
			continue
		}
		known = true
		n := users + allocs
		if n > largest {
			largest, n = n, largest
		}
		rest += n
	}
	if !known {
		return math.MaxInt64
	}
	// MemoryLimit counts users and allocations alike: the sum stands for both.
	return collect.MemoryLimit(largest+rest/4, 0)
}
