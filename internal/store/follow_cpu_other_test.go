//go:build !unix

package store_test

import "time"

// processCPU is not measured here: the benchmark reports 0 CPU.
func processCPU() time.Duration { return 0 }
