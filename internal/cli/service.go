package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/service"
)

const serviceUsage = `
Usage: licmon service install|uninstall|start|stop|status [flags]
       licmon service healthcheck [URL]

Runs 'licmon serve' as a Windows service next to Qlik Sense (Windows only;
run the prompt as administrator). On Linux use the systemd unit or the
container in packaging/ (see "Installing licmon" in the README).

  install      registers the service "licmon": automatic (delayed) start,
               runs as --account, restarts 1, 2 and 5 minutes after a failure;
               registers the Event Log source "licmon"; creates
               %ProgramData%\licmon (config, store, logs) for that account,
               SYSTEM and the Administrators only; writes a starting
               %ProgramData%\licmon\licmon.yaml when there is none (see
               licmon init), with the certificates the QMC exported and
               Qlik's Log folder when found.
  uninstall    stops and removes the service and its Event Log source; the
               folder %ProgramData%\licmon stays.
  start, stop  start or stop the service and wait until it did.
  status       the state, account, command line and recovery actions.
  healthcheck  exits 0 when serve answers URL (default
               http://127.0.0.1:8080/-/healthy) with 200, else 1; for
               container and monitoring health checks, on every system.

The service logs warnings and errors to the Event Log (Windows Logs >
Application, source licmon) and everything to the rotating file
%ProgramData%\licmon\logs\licmon.log. The service account must be able to
read the certificate folder named in the config.

Examples:
  licmon init --service
  licmon service install
  licmon service install --account CORP\svc_licmon --ask-password
  licmon service start
  licmon service status
  licmon service healthcheck http://127.0.0.1:8080/-/healthy
`

func runService(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "service", serviceUsage)
	account := fs.String("account", service.DefaultAccount, "`account` the service runs as (DOMAIN\\user, or a virtual account NT SERVICE\\licmon)")
	passwordFile := fs.String("password-file", "", "`file` holding the password of --account (none for NT SERVICE\\ and built-in accounts)")
	askPassword := fs.Bool("ask-password", false, "ask for the password of --account on the terminal")
	cfgPath := fs.String("config", "", `configuration `+"`file`"+` of the service (default %ProgramData%\licmon\licmon.yaml)`)
	timeout := fs.Duration("timeout", 60*time.Second, "how long start and stop wait for the service")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return ExitOK
		}
		fmt.Fprintln(e.stderr, "licmon service: name a subcommand: install, uninstall, start, stop, status or healthcheck (licmon service -h)")
		return ExitUsage
	}
	sub := args[0]
	if ok, code := parseFlags(fs, args[1:], ExitUsage); !ok {
		return code
	}
	switch sub {
	case "healthcheck":
		return serviceHealthcheck(ctx, e, fs.Args())
	case "install", "uninstall", "start", "stop", "status", "run":
	default:
		fmt.Fprintf(e.stderr, "licmon service: unknown subcommand %q: use install, uninstall, start, stop, status or healthcheck\n", sub)
		return ExitUsage
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("service %s takes no arguments (got %q); see licmon service -h", sub, fs.Args()))
	}
	if !service.Supported {
		fmt.Fprintln(e.stderr, service.Unsupported)
		return ExitError
	}
	programData, err := service.ProgramData(os.Getenv)
	if err != nil {
		return fail(e, ExitError, err)
	}
	layout := service.LayoutIn(programData)
	if *cfgPath != "" {
		abs, err := filepath.Abs(*cfgPath)
		if err != nil {
			return fail(e, ExitUsage, fmt.Errorf("--config: %w", err))
		}
		layout.Config = abs
	}
	if sub == "run" {
		return serviceRun(e, layout)
	}
	m, err := service.OpenManager()
	if err != nil {
		return fail(e, ExitError, err)
	}
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	events, _ := service.OpenEventLog(service.Name)
	in := &service.Installer{Manager: m, Dirs: service.Dirs(), Events: events, Out: e.stdout}
	switch sub {
	case "install":
		password, err := readSecret(e, *passwordFile, *askPassword, "password of "+*account)
		if err != nil {
			return fail(e, ExitUsage, err)
		}
		exe, err := os.Executable()
		if err != nil {
			return fail(e, ExitError, fmt.Errorf("find licmon.exe: %w", err))
		}
		host, _ := os.Hostname()
		sc := service.StartingConfig{DB: layout.DB, SaveLogs: layout.SavedLogs}
		findOnThisMachine(ctx, e, &sc, programData, host, 5*time.Second)
		sc.Site = siteNameFor(sc.Server, host)
		spec := service.Spec{Name: service.Name, DisplayName: service.DisplayName, Description: service.Description,
			Exe: exe, Args: []string{"service", "run", "--config", layout.Config},
			Account: *account, Password: password, Recovery: service.DefaultRecovery, RecoveryReset: service.DefaultRecoveryReset}
		fmt.Fprintf(e.stdout, "licmon service install:\n")
		if err := in.Install(service.InstallOptions{Spec: spec, Layout: layout, Config: sc.YAML()}); err != nil {
			return fail(e, ExitError, err)
		}
		if in.Events == nil {
			// The source exists only now: the install record goes in with it.
			if ev, err := service.OpenEventLog(service.Name); err == nil {
				_ = ev.Info(service.EventInstalled, "licmon service installed: account "+*account+", config "+layout.Config)
			}
		}
		fmt.Fprintf(e.stdout, "Next: licmon config check --config %q, then licmon service start\n", layout.Config)
	case "uninstall":
		fmt.Fprintf(e.stdout, "licmon service uninstall:\n")
		if err := in.Uninstall(wctx, service.Name, layout); err != nil {
			return fail(e, ExitError, err)
		}
	case "start":
		if err := service.Start(wctx, m, service.Name, 250*time.Millisecond); err != nil {
			return fail(e, ExitError, err)
		}
		fmt.Fprintf(e.stdout, "licmon service: running; log in %s\n", layout.LogFile)
	case "stop":
		if err := service.Stop(wctx, m, service.Name, 250*time.Millisecond); err != nil {
			return fail(e, ExitError, err)
		}
		fmt.Fprintln(e.stdout, "licmon service: stopped")
	case "status":
		if err := service.WriteStatus(e.stdout, m, service.Name, layout); err != nil {
			return fail(e, ExitError, err)
		}
	}
	return ExitOK
}

// serviceRun is the process the Service Control Manager starts: serve with
// its log in the rotating file and its warnings in the Event Log.
func serviceRun(e *env, layout service.Layout) int {
	if !service.IsService() {
		return fail(e, ExitUsage, errors.New("licmon service run is started by the Service Control Manager (licmon service start); in a console, run licmon serve"))
	}
	logFile := &service.RotatingFile{Path: layout.LogFile, MaxBytes: service.DefaultLogMaxBytes, Keep: service.DefaultLogKeep}
	defer logFile.Close()
	events, err := service.OpenEventLog(service.Name)
	var out io.Writer = logFile
	if err == nil {
		out = io.MultiWriter(logFile, &service.EventWriter{Events: events})
	} else {
		fmt.Fprintf(logFile, "licmon: no Event Log (%v); logging to this file only\n", err)
	}
	last := &lastError{}
	se := &env{stdin: strings.NewReader(""), stdout: logFile, stderr: io.MultiWriter(out, last),
		log: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	r := &service.Runner{Events: events, Version: version(), Serve: func(ctx context.Context) error {
		if code := runServe(ctx, se, []string{"--config", layout.Config}); code != ExitOK {
			return fmt.Errorf("exit code %d: %s (log: %s)", code, last.get(), layout.LogFile)
		}
		return nil
	}}
	if err := service.RunService(service.Name, r); err != nil {
		fmt.Fprintf(logFile, "licmon: service: %v\n", err)
		return ExitError
	}
	return ExitOK
}

// lastError keeps the last "licmon: ..." line a command printed, the error
// that ended it, for the Event Log message.
type lastError struct {
	mu   sync.Mutex
	line string
}

func (l *lastError) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(string(p), "\n") {
		if strings.HasPrefix(line, "licmon: ") {
			l.line = strings.TrimPrefix(line, "licmon: ")
		}
	}
	return len(p), nil
}

func (l *lastError) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.line == "" {
		return "no error message"
	}
	return l.line
}

// serviceHealthcheck asks serve's /-/healthy; the container's HEALTHCHECK
// runs it, since the image has no curl.
func serviceHealthcheck(ctx context.Context, e *env, args []string) int {
	url := "http://127.0.0.1:8080/-/healthy"
	switch len(args) {
	case 0:
	case 1:
		url = args[0]
	default:
		return fail(e, ExitUsage, fmt.Errorf("service healthcheck takes one URL (got %q)", args))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(e, ExitUsage, fmt.Errorf("healthcheck URL %q: %w", url, err))
	}
	client := &http.Client{}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fail(e, ExitError, fmt.Errorf("healthcheck: %w", err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fail(e, ExitError, fmt.Errorf("healthcheck: %s answered %s", url, resp.Status))
	}
	fmt.Fprintf(e.stdout, "healthy: %s\n", url)
	return ExitOK
}
