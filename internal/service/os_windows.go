//go:build windows

package service

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// Supported reports whether this system has a service manager licmon can
// install into.
const Supported = true

// Unsupported is empty on Windows.
const Unsupported = ""

// OpenManager connects to the Service Control Manager; it needs an
// elevated prompt for install, uninstall, start and stop.
func OpenManager() (Manager, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, fmt.Errorf("connect to the Service Control Manager: %w (run the prompt as administrator)", err)
	}
	return &scm{m: m}, nil
}

// OpenEventLog opens the Event Log source name registered at install.
func OpenEventLog(name string) (EventLog, error) {
	l, err := eventlog.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open Event Log source %s: %w", name, err)
	}
	return l, nil
}

// Dirs restricts folders with Windows ACLs.
func Dirs() DirSecurer { return aclDirs{} }

// IsService reports whether the process was started by the Service
// Control Manager.
func IsService() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// RunService hands the process to the Service Control Manager, which drives
// r until the service stops; the error is svc.Run's.
func RunService(name string, r *Runner) error {
	return svc.Run(name, &handler{r: r})
}

type scm struct{ m *mgr.Mgr }

func (s *scm) open(name string) (*mgr.Service, error) {
	sv, err := s.m.OpenService(name)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return nil, ErrNotInstalled
	}
	return sv, err
}

func (s *scm) Create(spec Spec) error {
	cfg := mgr.Config{
		DisplayName:      spec.DisplayName,
		Description:      spec.Description,
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true, // after the Qlik services at boot
		ServiceStartName: spec.Account,
		Password:         spec.Password,
	}
	sv, err := s.m.CreateService(spec.Name, spec.Exe, cfg, spec.Args...)
	if errors.Is(err, windows.ERROR_SERVICE_EXISTS) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	defer sv.Close()
	actions := make([]mgr.RecoveryAction, len(spec.Recovery))
	for i, d := range spec.Recovery {
		actions[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d}
	}
	if len(actions) > 0 {
		if err := sv.SetRecoveryActions(actions, uint32(spec.RecoveryReset/time.Second)); err != nil {
			_ = sv.Delete()
			return fmt.Errorf("set recovery actions: %w", err)
		}
		// A non-zero exit (serve failed) counts as a failure too, not only a crash.
		if err := sv.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
			_ = sv.Delete()
			return fmt.Errorf("set recovery on non-crash failures: %w", err)
		}
	}
	return nil
}

func (s *scm) Delete(name string) error {
	sv, err := s.open(name)
	if err != nil {
		return err
	}
	defer sv.Close()
	return sv.Delete()
}

func (s *scm) Start(name string) error {
	sv, err := s.open(name)
	if err != nil {
		return err
	}
	defer sv.Close()
	return sv.Start()
}

func (s *scm) Stop(name string) error {
	sv, err := s.open(name)
	if err != nil {
		return err
	}
	defer sv.Close()
	_, err = sv.Control(svc.Stop)
	return err
}

func (s *scm) Query(name string) (Status, error) {
	sv, err := s.open(name)
	if err != nil {
		return Status{}, err
	}
	defer sv.Close()
	q, err := sv.Query()
	if err != nil {
		return Status{}, err
	}
	st := Status{State: fromSvc(q.State), PID: q.ProcessId}
	if c, err := sv.Config(); err == nil {
		st.Account, st.Exe = c.ServiceStartName, c.BinaryPathName
	}
	if ra, err := sv.RecoveryActions(); err == nil {
		for _, a := range ra {
			if a.Type == mgr.ServiceRestart {
				st.Recovery = append(st.Recovery, a.Delay)
			}
		}
	}
	return st, nil
}

func (s *scm) InstallEventSource(name string) error {
	err := eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info)
	if err != nil && errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		return nil
	}
	return err
}

func (s *scm) RemoveEventSource(name string) error { return eventlog.Remove(name) }

func fromSvc(s svc.State) State {
	switch s {
	case svc.Stopped:
		return Stopped
	case svc.StartPending:
		return StartPending
	case svc.Running:
		return Running
	case svc.StopPending:
		return StopPending
	}
	return Unknown
}

func toSvc(s State) svc.State {
	switch s {
	case StartPending:
		return svc.StartPending
	case Running:
		return svc.Running
	case StopPending:
		return svc.StopPending
	}
	return svc.Stopped
}

// handler adapts Runner to svc.Handler.
type handler struct{ r *Runner }

func (h *handler) Execute(_ []string, reqs <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	// Buffered, so that neither side blocks the other while the Runner
	// reports a state and the SCM sends a request at the same moment.
	in := make(chan Request, 4)
	states := make(chan State, 8)
	done := make(chan uint32, 1)
	go func() { done <- h.r.Run(in, states) }()
	report := func(s State) {
		st := svc.Status{State: toSvc(s)}
		if s == Running {
			st.Accepts = accepts
		}
		changes <- st
	}
	for {
		select {
		case s := <-states:
			report(s)
		case c := <-reqs:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
			case svc.Stop:
				in <- StopRequest
			case svc.Shutdown:
				in <- ShutdownRequest
			}
		case code := <-done:
			for len(states) > 0 {
				report(<-states)
			}
			// A non-zero, service-specific exit code is a failure to the
			// SCM, which then runs the recovery actions.
			return code != 0, code
		}
	}
}

// aclDirs creates folders readable and writable by the service account,
// SYSTEM and the Administrators only, with inheritance to what is created
// inside and without the permissions inherited from %ProgramData%.
type aclDirs struct{}

func (aclDirs) Restrict(dir, account string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	sid, _, _, err := windows.LookupSID("", account)
	if err != nil {
		return fmt.Errorf("look up account %s: %w", account, err)
	}
	sddl := "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + sid.String() + ")"
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
