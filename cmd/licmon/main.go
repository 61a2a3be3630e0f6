// Command licmon monitors the Qlik Sense License Monitor and license growth.
//
// All logic lives in internal/cli; this file only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/licmon/licmon/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), cli.Signals()...)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
