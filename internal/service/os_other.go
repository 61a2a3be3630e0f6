//go:build !windows

package service

import "errors"

// Supported reports whether this system has a service manager licmon can
// install into: Windows only; elsewhere systemd or a container runs serve.
const Supported = false

// Unsupported says what to use instead of licmon service on this system.
const Unsupported = `licmon service installs a Windows service and works on Windows only.
On Linux, run licmon serve under systemd with packaging/licmon.service
(see "Installing licmon" in the README):
  sudo install -m 0755 licmon /usr/local/bin/licmon
  sudo install -D -m 0644 packaging/licmon.service /etc/systemd/system/licmon.service
  sudo systemctl daemon-reload && sudo systemctl enable --now licmon
  systemctl status licmon; journalctl -u licmon
or in a container with packaging/Containerfile.`

var errUnsupported = errors.New("licmon service works on Windows only: elsewhere run licmon serve under systemd (packaging/licmon.service) or in a container (packaging/Containerfile)")

// OpenManager fails outside Windows with what to use instead.
func OpenManager() (Manager, error) { return nil, errUnsupported }

// OpenEventLog fails outside Windows: serve logs to stderr (the journal).
func OpenEventLog(string) (EventLog, error) { return nil, errUnsupported }

// Dirs is nil outside Windows.
func Dirs() DirSecurer { return nil }

// IsService is false outside Windows.
func IsService() bool { return false }

// RunService fails outside Windows with what to use instead.
func RunService(string, *Runner) error { return errUnsupported }
