//go:build !unix

package collect

// CPUTime is not measured here: the benchmarks report no cpu-ns/op.
func CPUTime() int64 { return 0 }
