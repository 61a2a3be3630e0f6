//go:build unix

package store_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used so far,
// all threads included (the garbage collector's too): on a shared machine
// it varies far less than the wall time.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// ioBytes is how many bytes the process has written and read through
// system calls so far (Linux's /proc/self/io wchar and rchar: files, the
// database's included, whether or not they reach the disk).
func ioBytes() (written, read int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	var got int
	for _, l := range strings.Split(string(b), "\n") {
		name, v, _ := strings.Cut(l, ": ")
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
		case name == "wchar":
			written, got = n, got+1
		case name == "rchar":
			read, got = n, got+1
		}
	}
	return written, read, got == 2
}
