//go:build windows

package serve

import "os"

// reloadSignals is empty on Windows, which has no SIGHUP: use POST /-/reload.
func reloadSignals() []os.Signal { return nil }
