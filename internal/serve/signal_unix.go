//go:build !windows

package serve

import (
	"os"
	"syscall"
)

// reloadSignals are the signals that reload the configuration.
func reloadSignals() []os.Signal { return []os.Signal{syscall.SIGHUP} }
