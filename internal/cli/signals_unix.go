//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// Signals are the signals that stop licmon gracefully.
func Signals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }
