package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licmon/licmon/internal/alert"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
)

const alertUsage = `
Usage: licmon alert test CHANNEL [--config FILE]

Sends a realistic sample alert (a License Monitor reload failing with HTTP
401, with its diagnosis and script-log lines) to the channel named CHANNEL
in the config's channels section, with the configured retries. Exit status
0 means the receiver accepted it.

Examples:
  licmon alert test ops-webhook
  licmon alert test teams --config C:\ProgramData\licmon\licmon.yaml
`

func runAlert(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "alert", alertUsage)
	configPath := fs.String("config", "", "configuration `file` (default $LICMON_CONFIG or licmon.yaml in the OS config dir)")
	// Accept flags before or after "test CHANNEL".
	var pos []string
	for len(args) > 0 {
		if ok, code := parseFlags(fs, args, ExitUsage); !ok {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 2 || pos[0] != "test" {
		return fail(e, ExitUsage, errors.New("usage: licmon alert test CHANNEL [--config FILE]; see licmon alert -h"))
	}
	cfg, err := loadConfigFile(*configPath)
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	ns, err := alert.Notifiers(cfg.Channels, httppost.Options{Version: version()})
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	n, err := alert.Find(ns, pos[1])
	if err != nil {
		return fail(e, ExitUsage, err)
	}
	if err := notify.Test(ctx, n, cfg.Channels.Retry, time.Now()); err != nil {
		return fail(e, ExitError, err)
	}
	fmt.Fprintf(e.stdout, "sent a test alert to %s\n", n.Name())
	return ExitOK
}
