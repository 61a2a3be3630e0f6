package cli

import (
	"context"
	"fmt"
)

const configUsage = `
Usage: licmon config check [--config FILE] [--defaults]

Validates the configuration file and prints the settings it sets, as licmon
reads them (${ENV} expanded, relative paths resolved), every secret masked.
--defaults prints every setting in force instead, the defaults included.
Exit code 0 when valid, 1 when not.

Example licmon.yaml:

  db: C:\ProgramData\licmon\licmon.db    # optional; default in the OS data dir
  check:
    task: Reload License Monitor
    max_age: 3h
  sites:
    - name: prod
      server: https://qlik-prod.example.com:4242
      cert_dir: C:\licmon\certs\prod       # client.pem, client_key.pem, root.pem
      user: INTERNAL\sa_api
    - name: test                          # through a JWT virtual proxy
      server: https://qlik-test.example.com/jwt
      auth: jwt
      jwt_file: C:\licmon\secrets\test.jwt
    - name: dev                           # header authentication virtual proxy
      server: https://qlik-dev.example.com/hdr
      auth: header
      header_name: hdr-usr
      header_value: ${QLIK_DEV_USER}       # ${ENV} is expanded

Examples:
  licmon config check
  licmon config check --config ./licmon.yaml
  licmon config check --defaults
`

func runConfig(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "config", configUsage)
	path := fs.String("config", "", "configuration `file` (default $LICMON_CONFIG or licmon.yaml in the OS config dir)")
	defaults := fs.Bool("defaults", false, "print every setting in force, the defaults included (default: only what the file sets)")
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return ExitOK
		}
		fmt.Fprintln(e.stderr, "licmon config: the only subcommand is 'check' (licmon config check [--config FILE])")
		return ExitUsage
	}
	if ok, code := parseFlags(fs, args[1:], ExitUsage); !ok {
		return code
	}
	cfg, err := loadConfigFile(*path)
	if err != nil {
		return fail(e, ExitError, err)
	}
	src := cfg.Path()
	if src == "" {
		src = "no config file found (" + configDefaultHint() + "); built-in defaults"
	}
	fmt.Fprintf(e.stdout, "# %s: valid\n", src)
	write := cfg.Masked().WriteSetYAML
	if *defaults {
		fmt.Fprintln(e.stdout, "# every setting in force, defaults included")
		write = cfg.WithDefaults().Masked().WriteYAML
	} else {
		fmt.Fprintln(e.stdout, "# the settings the file sets (--defaults: every setting in force)")
	}
	if err := write(e.stdout); err != nil {
		return fail(e, ExitError, err)
	}
	return ExitOK
}
