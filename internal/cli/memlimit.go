package cli

import (
	"math"
	"os"
	"runtime/debug"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/serve"
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

// modelPerItem is the memory serve keeps per user and allocation of a
// site for its report model between collections: measured 30 MB for the
// 100k-user simulated site (196k users and allocations) and 90 MB for the
// 300k one, ≈ 153 bytes each, rounded up.
const modelPerItem = 160

// requestPerItem is the room serve keeps, per user and allocation of its
// largest site, for the answers it encodes when no site collects or builds
// its model: the whole-model answers (report, forecast, candidates, CSV),
// at most serve.max_heavy_requests at once, each about the size of the
// model or its encoding. Under the load test's 200 requests a second the
// live heap of a 100k-user site's serve stayed at 45–60 MB with spikes to
// ≈ 130 MB (GODEBUG=gctrace=1); 700 bytes gives 140 MB for that site, so
// the garbage collector paces as usual below it and only the spikes meet
// the limit.
const requestPerItem = 700

// serveMemory sets serve's soft memory limit from what it holds
// (serve.Options.Memory): the report models it keeps, at modelPerItem, plus
// the heavy work of the sites working now (a collection, or a model build,
// each in a collection slot) at collect.MemoryLimit's rate, or, when none
// works, room for the answers of the largest site (requestPerItem). So the
// limit follows the sites and the phase: three 100k-user sites collecting
// one after the other on a new store are bounded by one collection, not
// three. When a site's work ends, the memory it used goes back to the
// operating system at once (debug.FreeOSMemory) instead of over minutes:
// a monitor that collects once an hour should not keep the peak of its
// collections. Until a size is known (a new store, before the QRS's user
// count) there is no limit. GOMEMLIMIT, when set, is honoured as it is.
type serveMemory struct {
	working int // sites working at the last update
	set     func(int64) int64
	free    func()
}

// newServeMemory returns serve's Options.Memory, or nil when GOMEMLIMIT is set.
func newServeMemory() func(map[string]serve.SiteMemory) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	m := &serveMemory{set: debug.SetMemoryLimit, free: debug.FreeOSMemory}
	return m.update
}

func (m *serveMemory) update(sites map[string]serve.SiteMemory) {
	m.set(serveLimit(sites))
	working := 0
	for _, s := range sites {
		if s.Working {
			working++
		}
	}
	if working < m.working {
		m.free()
	}
	m.working = working
}

// serveLimit is serveMemory's limit for what serve holds.
func serveLimit(sites map[string]serve.SiteMemory) int64 {
	var models, working, largest int
	for _, s := range sites {
		if s.Items <= 0 {
			continue
		}
		if s.Model {
			models += s.Items
		}
		if s.Working {
			working += s.Items
		}
		largest = max(largest, s.Items)
	}
	if largest == 0 {
		return math.MaxInt64
	}
	// MemoryLimit counts users and allocations alike: the sum stands for both.
	work := collect.MemoryLimit(working, 0)
	answers := collect.MemoryLimit(0, 0) + requestPerItem*int64(largest)
	return max(work, answers) + modelPerItem*int64(models)
}
