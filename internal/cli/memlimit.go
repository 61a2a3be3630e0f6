package cli

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the soft memory limit of the long or large commands
// (collect, serve). A 100k-user collection keeps about 120 MB live, but
// with the default GC pacing the heap doubles before a collection, so the
// process would peak well above what it needs; near this limit the garbage
// collector runs more often instead. It is soft: the process may exceed it
// when the live data does. GOMEMLIMIT overrides it.
const defaultMemoryLimit = 224 << 20

// softMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT is set.
func softMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
