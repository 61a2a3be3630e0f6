//go:build windows

package cli

import "os"

// Signals are the signals that stop licmon gracefully; Windows delivers
// Ctrl+C and console close as os.Interrupt.
func Signals() []os.Signal { return []os.Signal{os.Interrupt} }
