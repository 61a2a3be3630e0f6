package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes a CPU profile (LICMON_CPUPROFILE) and, at the end,
// a heap profile with every allocation made (LICMON_MEMPROFILE) of the
// whole command, for `go tool pprof`: how the figures in
// docs/PERFORMANCE.md are taken apart, on the binary users run rather than
// a benchmark's copy of it. The returned stop writes them; a profile that
// cannot be written is reported on stderr and does not fail the command.
func startProfiles(stderr io.Writer) (stop func()) {
	cpuPath, memPath := os.Getenv("LICMON_CPUPROFILE"), os.Getenv("LICMON_MEMPROFILE")
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
			} else {
				cpu = f
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "licmon: LICMON_CPUPROFILE: %v\n", err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if memPath == "" {
			return
		}
		f, err := os.Create(memPath)
		if err == nil {
			runtime.GC() // the profile's in-use figures as of the last collection
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "licmon: LICMON_MEMPROFILE: %v\n", err)
		}
	}
}
