// Package service runs licmon serve as an operating-system service next to
// Qlik Sense: the install, start, stop and status operations over a service
// Manager, the run loop the service manager drives (Runner), the Windows
// Event Log and a rotating log file, the folders under %ProgramData%\licmon,
// and where Qlik keeps its exported certificates and logs.
//
// The logic is written against small interfaces (Manager, EventLog,
// DirSecurer) so that it is tested on Linux with fakes; the Windows
// implementations live in the _windows.go files.
package service

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Name is the service name registered with the service manager and the
// Event Log source.
const Name = "licmon"

// DisplayName and Description are what services.msc shows.
const (
	DisplayName = "licmon (Qlik Sense License Monitor watchdog)"
	Description = "Checks the Qlik Sense License Monitor, records license history and serves the licmon dashboard, API and alerts (licmon serve)."
)

// DefaultAccount is the account the service runs under when install is not
// given one: a virtual service account, which has no password, and which
// the folders are restricted to.
const DefaultAccount = `NT SERVICE\licmon`

// Event IDs written to the Event Log, so that monitoring can filter on them.
const (
	EventStarted     uint32 = 1
	EventStopped     uint32 = 2
	EventFailed      uint32 = 3
	EventWarning     uint32 = 4
	EventError       uint32 = 5
	EventInstalled   uint32 = 10
	EventUninstalled uint32 = 11
)

// DefaultRecovery is the restart schedule after a failure: one minute, then
// two, then five; the failure count resets after a day without one.
var DefaultRecovery = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute}

// DefaultRecoveryReset is how long the service must run without a failure
// before the service manager starts the recovery schedule from the start.
const DefaultRecoveryReset = 24 * time.Hour

// State is the state of a service as the service manager reports it.
type State int

// The states of a service.
const (
	Unknown State = iota
	Stopped
	StartPending
	Running
	StopPending
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "stopped"
	case StartPending:
		return "starting"
	case Running:
		return "running"
	case StopPending:
		return "stopping"
	}
	return "unknown"
}

// Spec is a service to install.
type Spec struct {
	Name, DisplayName, Description string
	// Exe is the absolute path of licmon.exe; Args follow it on the
	// service's command line (service run --config FILE).
	Exe  string
	Args []string
	// Account runs the service; Password is empty for virtual and
	// built-in service accounts.
	Account, Password string
	// Recovery are the restart delays after the first, second and later
	// failures; RecoveryReset is the failure-free time after which the
	// count starts again.
	Recovery      []time.Duration
	RecoveryReset time.Duration
}

// Status is what the service manager knows about an installed service.
type Status struct {
	State State
	// PID is the process id while running, else 0.
	PID uint32
	// Account, Exe and Args are the installed configuration.
	Account string
	Exe     string
	Args    []string
	// Recovery are the installed restart delays.
	Recovery []time.Duration
}

// ErrNotInstalled is returned by a Manager for a service that does not exist.
var ErrNotInstalled = errors.New("not installed")

// ErrExists is returned by Manager.Create for a service that exists already.
var ErrExists = errors.New("already installed")

// Manager is the operating system's service manager (the Windows SCM).
type Manager interface {
	// Create registers the service to start automatically, with its
	// recovery actions (restart on failure, including a non-zero exit).
	Create(spec Spec) error
	// Delete removes the service registration.
	Delete(name string) error
	// Start asks the service to start and returns once it was asked.
	Start(name string) error
	// Stop asks the service to stop and returns once it was asked.
	Stop(name string) error
	// Query returns the service's status, or ErrNotInstalled.
	Query(name string) (Status, error)
	// InstallEventSource registers name as an Event Log source;
	// RemoveEventSource removes it.
	InstallEventSource(name string) error
	RemoveEventSource(name string) error
}

// EventLog receives the messages of a running service.
type EventLog interface {
	Info(id uint32, msg string) error
	Warning(id uint32, msg string) error
	Error(id uint32, msg string) error
}

// DirSecurer creates a folder that only the service account, SYSTEM and
// the Administrators may open.
type DirSecurer interface {
	Restrict(dir, account string) error
}

// notInstalled is the error of an operation on a service that is not there.
func notInstalled(name string) error {
	return fmt.Errorf("service %s is not installed: run 'licmon service install' in an elevated prompt (Run as administrator)", name)
}

// formatDelays writes recovery delays as "1m, 2m, 5m".
func formatDelays(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none (no restart)"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = shortDuration(d)
	}
	return strings.Join(parts, ", ")
}

func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}
