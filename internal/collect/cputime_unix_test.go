//go:build unix

package collect

import "syscall"

// CPUTime is the CPU time (user and system) the process has used, in
// nanoseconds: on a shared machine it varies far less than wall time.
func CPUTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
