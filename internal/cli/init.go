package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/service"
	"github.com/licmon/licmon/internal/termtext"
)

const initUsage = `
Usage: licmon init [--config FILE | --service] [--server URL] [--cert-dir DIR] [--force]

Writes a commented starting configuration for this machine, then runs
'licmon config check' and one 'licmon check' against it.

On a Qlik Sense server it finds what it needs by itself: the certificates the
QMC exported (client.pem, client_key.pem, root.pem) under
%ProgramData%\Qlik\Sense\Repository\Exported Certificates (the folder named
after this machine first, then ".Local Certificates"), the local QRS on
https://THIS-HOST:4242 or https://localhost:4242, and Qlik's Log folder
%ProgramData%\Qlik\Sense\Log for the scheduled log import. What it cannot find
it asks for on a terminal; without a terminal it asks nothing and leaves the
site commented out for you to fill in.

An existing file is never overwritten unless --force is given; the old file
is then kept as FILE.bak. The file is readable by its owner only.

The exit code is that of the check (0 OK, 1 warning, 2 critical, 3 unknown),
or 0 when no site could be written yet, 1 on an error.

Examples:
  licmon init
  licmon init --service                      (as administrator, before 'licmon service install')
  licmon init --server https://qlik01.corp.example.com:4242 --cert-dir C:\licmon\certs
  licmon init --config ./licmon.yaml --no-check
`

// qrsCandidates are the URLs init tries for the QRS of this machine.
var qrsCandidates = func(host string) []string {
	var c []string
	if host != "" {
		c = append(c, "https://"+host+":4242")
	}
	return append(c, "https://localhost:4242")
}

func runInit(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "init", initUsage)
	path := fs.String("config", "", "`file` to write (default $LICMON_CONFIG or licmon.yaml in the OS config dir)")
	forService := fs.Bool("service", false, `write the Windows service's configuration: %ProgramData%\licmon\licmon.yaml, with the store and saved logs next to it`)
	server := fs.String("server", "", "QRS base `URL` (default: found on this machine)")
	certDir := fs.String("cert-dir", "", "`folder` of the QMC's PEM export (default: found in Qlik's export folder)")
	siteName := fs.String("site", "", "site `name` (default: this machine's name)")
	force := fs.Bool("force", false, "replace an existing file (kept as FILE.bak)")
	noCheck := fs.Bool("no-check", false, "only write the file; do not run config check and check")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for each QRS `candidate` while looking for it")
	if ok, code := parseFlags(fs, args, ExitUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(e, ExitUsage, fmt.Errorf("init takes no arguments (got %q); see licmon init -h", fs.Args()))
	}
	if *forService && *path != "" {
		return fail(e, ExitUsage, errors.New("give either --service or --config: --service writes %ProgramData%\\licmon\\licmon.yaml"))
	}
	host, _ := os.Hostname()
	programData, pdErr := service.ProgramData(os.Getenv)
	sc := service.StartingConfig{Server: *server, CertDir: *certDir, Site: *siteName}
	if runtime.GOOS != "windows" {
		sc.CertDirHint = "/etc/licmon/certs"
	}
	target := *path
	if *forService {
		if pdErr != nil {
			return fail(e, ExitError, pdErr)
		}
		l := service.LayoutIn(programData)
		target, sc.DB, sc.SaveLogs = l.Config, l.DB, l.SavedLogs
	}
	if target == "" {
		target = config.DefaultPath()
	}
	if _, err := os.Stat(target); err == nil && !*force {
		return fail(e, ExitError, fmt.Errorf("%s exists: nothing written. Check it with 'licmon config check --config %s', or pass --force to replace it (the old file is kept as %s.bak)", target, target, target))
	}

	findOnThisMachine(ctx, e, &sc, programData, host, *timeout)
	if tty := stdinTerminal(e); tty != nil && (sc.Server == "" || sc.CertDir == "") {
		in := bufio.NewReader(tty)
		if sc.Server == "" {
			sc.Server = ask(e, in, "QRS URL, e.g. https://qlik.example.com:4242 (empty: fill in later)")
		}
		if sc.Server != "" && sc.CertDir == "" {
			sc.CertDir = ask(e, in, "folder with client.pem, client_key.pem and root.pem exported from the QMC")
		}
	}
	if sc.Site == "" {
		sc.Site = siteNameFor(sc.Server, host)
	}
	if err := writeConfigFile(target, sc.YAML(), *force); err != nil {
		return fail(e, ExitError, err)
	}
	fmt.Fprintf(e.stdout, "licmon init: wrote %s\n", target)
	if *noCheck {
		return ExitOK
	}
	fmt.Fprintf(e.stdout, "\n== licmon config check --config %s\n", target)
	if code := runConfig(ctx, e, []string{"check", "--config", target}); code != ExitOK {
		return code
	}
	if sc.Server == "" {
		fmt.Fprintf(e.stdout, "\nNo QRS was found on this machine, so no site is configured yet.\nNext: edit %s (the commented site), then run: licmon check --config %s\n", target, target)
		return ExitOK
	}
	fmt.Fprintf(e.stdout, "\n== licmon check --config %s\n", target)
	return runCheck(ctx, e, []string{"--config", target})
}

// findOnThisMachine fills in what sc lacks from a Qlik Sense node's
// folders under programData: the QMC's certificate export, Qlik's Log
// folder, and the local QRS (probed with those certificates).
func findOnThisMachine(ctx context.Context, e *env, sc *service.StartingConfig, programData, host string, timeout time.Duration) {
	if sc.CertDir == "" && programData != "" {
		if dirs := service.FindCertDirs(programData, host); len(dirs) > 0 {
			sc.CertDir = dirs[0]
			sc.CertFrom = "found in the QMC's certificate export folder by licmon"
			fmt.Fprintf(e.stdout, "licmon: certificates found in %s\n", sc.CertDir)
		}
	}
	if sc.LogDir == "" && programData != "" {
		if d := service.FindLogDir(programData); d != "" {
			sc.LogDir = d
			fmt.Fprintf(e.stdout, "licmon: Qlik's log folder found: %s\n", d)
		}
	}
	if sc.Server == "" && sc.CertDir != "" {
		sc.Server = probeQRS(ctx, e, sc.CertDir, qrsCandidates(host), timeout)
	}
}

// probeQRS returns the first candidate whose QRS answers /qrs/about with
// the certificates of certDir, or "" when none does.
func probeQRS(ctx context.Context, e *env, certDir string, candidates []string, timeout time.Duration) string {
	for _, u := range candidates {
		s := config.Site{Name: "init", Server: u, CertDir: certDir}
		c, err := newClient(e, &s)
		if err != nil {
			fmt.Fprintf(e.stdout, "licmon: cannot use the certificates in %s: %v\n", certDir, err)
			return ""
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		about, err := c.About(pctx)
		cancel()
		c.CloseIdleConnections()
		if err == nil {
			fmt.Fprintf(e.stdout, "licmon: QRS found at %s (Qlik Sense %s)\n", qrs.RedactURL(u), orDash(about.BuildVersion))
			return u
		}
		fmt.Fprintf(e.stdout, "licmon: no QRS at %s: %v\n", qrs.RedactURL(u), termtext.Clean(oneLine(err)))
	}
	return ""
}

func ask(e *env, in *bufio.Reader, question string) string {
	fmt.Fprintf(e.stderr, "%s: ", question)
	line, _ := in.ReadString('\n')
	return strings.TrimSpace(line)
}

// siteNameFor names the site after the QRS host, else this machine.
func siteNameFor(server, host string) string {
	if h := hostName(server); server != "" && h != "" && h != "localhost" {
		host = h
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	if host == "" || host == "localhost" {
		return "prod"
	}
	return strings.ToLower(host)
}

// writeConfigFile writes data to path for its owner only; with replace, an
// existing file is first kept as path.bak so that nothing is lost.
func writeConfigFile(path string, data []byte, replace bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create the folder of %s: %w", path, err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if replace {
		if old, err := os.ReadFile(path); err == nil {
			if err := os.WriteFile(path+".bak", old, 0o600); err != nil {
				return fmt.Errorf("keep the old %s: %w; nothing written", path, err)
			}
		}
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
