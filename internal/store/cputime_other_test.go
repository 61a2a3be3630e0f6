//go:build !unix

package store_test

import "time"

// cpuTime and ioBytes are not measured here (see cputime_unix_test.go).
func cpuTime() (time.Duration, bool) { return 0, false }

func ioBytes() (written, read int64, ok bool) { return 0, 0, false }
