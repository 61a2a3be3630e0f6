package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Installer installs and removes the service. Its fields are the pieces the
// operating system provides; tests give it fakes.
type Installer struct {
	Manager Manager
	Dirs    DirSecurer
	// Events reports the install and removal after they happened (the
	// audit record); nil records nothing.
	Events EventLog
	// Out receives one line per step taken.
	Out io.Writer
}

// InstallOptions are what install needs beyond the Spec.
type InstallOptions struct {
	Spec   Spec
	Layout Layout
	// Config is the starting configuration written to Layout.Config when
	// no file is there yet; an existing file is left untouched.
	Config []byte
}

// Install registers the Event Log source and the service with its recovery
// actions, creates the data folders for the service account only, and
// writes the starting configuration when there is none. A failure removes
// what was registered, so a failed install leaves no half-installed service
// behind; folders and files are kept.
func (in *Installer) Install(opts InstallOptions) error {
	spec := opts.Spec
	if spec.Name == "" {
		spec.Name = Name
	}
	if _, err := in.Manager.Query(spec.Name); err == nil {
		return fmt.Errorf("service %s is already installed: run 'licmon service uninstall' first to change its account or configuration (the data in %s is kept)", spec.Name, opts.Layout.Dir)
	} else if !errors.Is(err, ErrNotInstalled) {
		return fmt.Errorf("query service %s: %w", spec.Name, err)
	}
	if err := in.Manager.InstallEventSource(spec.Name); err != nil {
		return fmt.Errorf("register Event Log source %s: %w (run the prompt as administrator)", spec.Name, err)
	}
	in.step("Event Log source %s: registered (Windows Logs > Application)", spec.Name)
	if err := in.Manager.Create(spec); err != nil {
		return in.undo(spec.Name, false, fmt.Errorf("create service %s: %w", spec.Name, err))
	}
	in.step("service %s: installed, automatic start, runs as %s, restarts after a failure in %s", spec.Name, spec.Account, formatDelays(spec.Recovery))
	// The folders come after the service: a virtual account (NT SERVICE\x)
	// exists only once its service does.
	for _, dir := range []string{opts.Layout.Dir, opts.Layout.LogDir, opts.Layout.SavedLogs} {
		if err := in.Dirs.Restrict(dir, spec.Account); err != nil {
			return in.undo(spec.Name, true, fmt.Errorf("create %s for %s: %w", dir, spec.Account, err))
		}
		in.step("folder %s: for %s, SYSTEM and Administrators only", dir, spec.Account)
	}
	if _, err := os.Stat(opts.Layout.Config); err == nil {
		in.step("config %s: exists, kept", opts.Layout.Config)
	} else if len(opts.Config) > 0 {
		if err := writeNew(opts.Layout.Config, opts.Config); err != nil {
			return in.undo(spec.Name, true, err)
		}
		in.step("config %s: written; edit it, then run licmon config check --config %q", opts.Layout.Config, opts.Layout.Config)
	}
	in.record(EventInstalled, fmt.Sprintf("licmon service installed: account %s, command %s %s, recovery %s", spec.Account, spec.Exe, strings.Join(spec.Args, " "), formatDelays(spec.Recovery)))
	return nil
}

// undo removes what a failed install registered, so that no
// half-installed service is left; folders and files are kept.
func (in *Installer) undo(name string, service bool, err error) error {
	if service {
		if derr := in.Manager.Delete(name); derr != nil {
			err = fmt.Errorf("%w; removing the service again also failed: %v", err, derr)
		} else {
			in.step("service %s: removed again", name)
		}
	}
	if rerr := in.Manager.RemoveEventSource(name); rerr != nil {
		err = fmt.Errorf("%w; removing the Event Log source again also failed: %v", err, rerr)
	} else {
		in.step("Event Log source %s: removed again", name)
	}
	return err
}

// Uninstall stops the service when it runs, then removes it and its Event
// Log source. The folder with the configuration, store and logs stays.
func (in *Installer) Uninstall(ctx context.Context, name string, layout Layout) error {
	st, err := in.Manager.Query(name)
	if errors.Is(err, ErrNotInstalled) {
		return notInstalled(name)
	}
	if err != nil {
		return fmt.Errorf("query service %s: %w", name, err)
	}
	if st.State != Stopped {
		if err := Stop(ctx, in.Manager, name, 500*time.Millisecond); err != nil {
			return err
		}
		in.step("service %s: stopped", name)
	}
	// Recorded before the source is removed, since the record needs it.
	in.record(EventUninstalled, "licmon service uninstalled; data kept in "+layout.Dir)
	if err := in.Manager.Delete(name); err != nil {
		return fmt.Errorf("delete service %s: %w", name, err)
	}
	in.step("service %s: removed", name)
	if err := in.Manager.RemoveEventSource(name); err != nil {
		return fmt.Errorf("remove Event Log source %s: %w", name, err)
	}
	in.step("Event Log source %s: removed", name)
	in.step("kept: %s (configuration, history store, logs); delete it yourself if you no longer need the history", layout.Dir)
	return nil
}

func (in *Installer) step(format string, args ...any) {
	if in.Out != nil {
		fmt.Fprintf(in.Out, "  "+format+"\n", args...)
	}
}

func (in *Installer) record(id uint32, msg string) {
	if in.Events != nil {
		_ = in.Events.Info(id, msg)
	}
}

// writeNew writes a file that must not exist yet, readable by its owner only.
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// Start starts the service and waits until it runs, it stops again (its
// start failed), or ctx ends.
func Start(ctx context.Context, m Manager, name string, poll time.Duration) error {
	st, err := m.Query(name)
	if errors.Is(err, ErrNotInstalled) {
		return notInstalled(name)
	}
	if err != nil {
		return fmt.Errorf("query service %s: %w", name, err)
	}
	if st.State == Running {
		return nil
	}
	if err := m.Start(name); err != nil {
		return fmt.Errorf("start service %s: %w", name, err)
	}
	return waitFor(ctx, m, name, poll, Running, func(s State) error {
		if s == Stopped {
			return fmt.Errorf("service %s stopped right after its start: look at the Event Log (source %s) and the log file for the reason", name, name)
		}
		return nil
	})
}

// Stop asks the service to stop and waits until it has stopped or ctx ends.
func Stop(ctx context.Context, m Manager, name string, poll time.Duration) error {
	st, err := m.Query(name)
	if errors.Is(err, ErrNotInstalled) {
		return notInstalled(name)
	}
	if err != nil {
		return fmt.Errorf("query service %s: %w", name, err)
	}
	if st.State == Stopped {
		return nil
	}
	if err := m.Stop(name); err != nil {
		return fmt.Errorf("stop service %s: %w", name, err)
	}
	return waitFor(ctx, m, name, poll, Stopped, nil)
}

func waitFor(ctx context.Context, m Manager, name string, poll time.Duration, want State, bad func(State) error) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	last := Unknown
	for {
		st, err := m.Query(name)
		if err != nil {
			return fmt.Errorf("query service %s: %w", name, err)
		}
		last = st.State
		if last == want {
			return nil
		}
		if bad != nil {
			if err := bad(last); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s is still %s, not %s: %w", name, last, want, ctx.Err())
		case <-t.C:
		}
	}
}

// WriteStatus prints the service's status for `licmon service status`.
func WriteStatus(w io.Writer, m Manager, name string, layout Layout) error {
	st, err := m.Query(name)
	if errors.Is(err, ErrNotInstalled) {
		return notInstalled(name)
	}
	if err != nil {
		return fmt.Errorf("query service %s: %w", name, err)
	}
	pid := "–"
	if st.PID != 0 {
		pid = fmt.Sprint(st.PID)
	}
	fmt.Fprintf(w, "service   %s\nstate     %s\npid       %s\naccount   %s\ncommand   %s %s\nrecovery  restart after %s\nconfig    %s\nlog file  %s\nevents    Event Viewer > Windows Logs > Application, source %s\n",
		name, st.State, pid, st.Account, st.Exe, strings.Join(st.Args, " "), formatDelays(st.Recovery), layout.Config, layout.LogFile, name)
	return nil
}
