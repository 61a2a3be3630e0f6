package service

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Request is what the service manager asks of a running service.
type Request int

// The requests a service handles.
const (
	// InterrogateRequest asks for the current state again.
	InterrogateRequest Request = iota
	StopRequest
	// ShutdownRequest is a stop because the machine shuts down.
	ShutdownRequest
)

// Runner is the body of the service: it runs Serve until the service
// manager asks it to stop, reports each state change, and writes the start,
// stop and failure to the Event Log. It knows nothing of Windows; the
// Windows handler translates svc.ChangeRequest to Request.
type Runner struct {
	// Serve is licmon serve; it returns when ctx ends (nil) or on a failure.
	Serve func(ctx context.Context) error
	// Events receives the start, stop and failure messages.
	Events EventLog
	// Version is named in the start message.
	Version string
	// StopTimeout bounds the wait for Serve after a stop request (default
	// 20 s, within the SCM's usual shutdown allowance).
	StopTimeout time.Duration
}

// Exit codes of Run: the service manager runs the recovery actions for
// any non-zero code (the failure flag is set on install).
const (
	ExitStopped     uint32 = 0
	ExitServeFailed uint32 = 1
	ExitStopTimeout uint32 = 2
)

// Run reports StartPending then Running on status, runs Serve, and returns
// the service's exit code: 0 after a stop request, non-zero when Serve
// failed or ended on its own, so that the service manager restarts it.
func (r *Runner) Run(reqs <-chan Request, status chan<- State) uint32 {
	status <- StartPending
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx) }()
	status <- Running
	r.info(EventStarted, fmt.Sprintf("licmon serve started (version %s)", r.Version))
	for {
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("serve ended without a stop request")
			}
			r.error(EventFailed, fmt.Sprintf("licmon serve failed: %v; the service manager restarts it by the service's recovery actions", err))
			status <- Stopped
			return ExitServeFailed
		case req := <-reqs:
			switch req {
			case InterrogateRequest:
				status <- Running
			case StopRequest, ShutdownRequest:
				status <- StopPending
				cancel()
				code := r.wait(done, req)
				status <- Stopped
				return code
			}
		}
	}
}

func (r *Runner) wait(done <-chan error, req Request) uint32 {
	why := "stop requested"
	if req == ShutdownRequest {
		why = "system shutdown"
	}
	timeout := r.StopTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			r.warning(EventWarning, fmt.Sprintf("licmon serve stopped (%s) with an error: %v", why, err))
			return ExitStopped
		}
		r.info(EventStopped, fmt.Sprintf("licmon serve stopped (%s)", why))
		return ExitStopped
	case <-t.C:
		r.error(EventFailed, fmt.Sprintf("licmon serve did not stop within %s after the %s; the process ends now", timeout, why))
		return ExitStopTimeout
	}
}

func (r *Runner) info(id uint32, msg string) {
	if r.Events != nil {
		_ = r.Events.Info(id, msg)
	}
}

func (r *Runner) warning(id uint32, msg string) {
	if r.Events != nil {
		_ = r.Events.Warning(id, msg)
	}
}

func (r *Runner) error(id uint32, msg string) {
	if r.Events != nil {
		_ = r.Events.Error(id, msg)
	}
}
