// Package cli implements the licmon commands: argument parsing, wiring the
// internal packages together, output and exit codes. cmd/licmon only calls
// Main.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/licmon/licmon/internal/termtext"
)

// Exit codes shared by every command. check and diagnose use the Nagios
// codes 0–3 instead; see their help.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// env is what a command runs with: its streams and a logger. Passing it
// around instead of using os.Stdout keeps every command testable.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}

// command is one licmon subcommand.
type command struct {
	name    string
	summary string
	// run returns the process exit code; errors are printed by run itself
	// because the right exit code differs per command.
	run func(ctx context.Context, e *env, args []string) int
}

func commands() []command {
	return []command{
		{"check", "check the License Monitor task, its script log, data freshness and the license", runCheck},
		{"diagnose", "explain why reloads failed from downloaded script logs", runDiagnose},
		{"collect", "record a license snapshot of each site in the history store", runCollect},
		{"report", "license growth, forecast run-out, what to buy or reclaim", runReport},
		{"history", "import license counts kept elsewhere from CSV, or export the history", runHistory},
		{"repair", "repair the License Monitor's REST connections (plan, backup, apply, undo)", runRepair},
		{"reclaim", "plan, apply and audit the release of unused licenses", runReclaim},
		{"db", "inspect the history store (db stats)", runDB},
		{"logs", "import Qlik Sense logs (sessions, denials, reloads) and sum them up", runLogs},
		{"serve", "run the always-on monitor: schedules, dashboard, API, metrics, alerts", runServe},
		{"alert", "send a test alert to a channel (alert test CHANNEL)", runAlert},
		{"sim", "serve a simulated Qlik Sense site (QRS over mutual TLS)", runSim},
		{"demo", "run licmon end to end against a simulated site", runDemo},
		{"config", "validate and print the configuration (config check)", runConfig},
		{"init", "write a starting configuration for this machine, then check it", runInit},
		{"service", "install and control licmon serve as a Windows service; healthcheck", runService},
		{"version", "print the version", runVersion},
		{"help", "show help for a command", nil},
	}
}

// Main runs licmon with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	defer startProfiles(stderr)()
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			return Main(ctx, []string{args[1], "-h"}, stdin, stdout, stderr)
		}
		usage(stdout)
		return ExitOK
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "licmon: unknown command %q\n", name)
	if s := suggest(name); s != "" {
		fmt.Fprintf(stderr, "Did you mean %q?\n", s)
	}
	fmt.Fprintln(stderr, "Run 'licmon help' for the list of commands.")
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `licmon keeps the Qlik Sense License Monitor working and tells you how your
licenses grow: task health and script-log diagnosis, license history,
forecasts and what to buy or reclaim.

Usage:
  licmon <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Get started without a Qlik server:
  licmon demo

Run 'licmon <command> -h' for the flags and examples of a command.
`)
}

// suggest returns the command closest to a mistyped name: one that starts
// with it, or is at most two edits away.
func suggest(name string) string {
	best, bestD := "", 3
	for _, c := range commands() {
		if strings.HasPrefix(c.name, name) {
			return c.name
		}
		if d := editDistance(name, c.name); d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short words.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// newFlagSet returns a flag set whose -h prints the command's usage text,
// with examples, to stdout.
func newFlagSet(e *env, name, usageText string) *flag.FlagSet {
	fs := flag.NewFlagSet("licmon "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(e.stdout, strings.TrimLeft(usageText, "\n"))
		fmt.Fprintln(e.stdout, "\nFlags:")
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
	}
	return fs
}

// parseFlags parses args; it reports whether the command should go on and,
// when not, the exit code (0 after -h).
func parseFlags(fs *flag.FlagSet, args []string, usageExit int) (ok bool, code int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, ExitOK
		}
		return false, usageExit
	}
	return true, 0
}

// fail prints an error the way every command does and returns code. Errors
// can quote Qlik (QRS answers, script-log text), so termtext cleans them.
func fail(e *env, code int, err error) int {
	fmt.Fprintf(e.stderr, "licmon: %s\n", termtext.Clean(err.Error()))
	return code
}

// subcommand is one verb of a command that has several (reclaim plan,
// repair undo); usage is how the hint names it ("apply PLAN-ID").
type subcommand struct {
	name, usage string
	run         func(ctx context.Context, e *env, args []string) int
}

// runSubcommand runs the subcommand args[0] names. Without one it prints
// the command's usage for -h, else says which subcommands there are.
func runSubcommand(ctx context.Context, e *env, command, usage string, args []string, subs ...subcommand) int {
	names := make([]string, len(subs))
	usages := make([]string, len(subs))
	for i, s := range subs {
		names[i], usages[i] = s.name, s.usage
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlagSet(e, command, usage)
		if len(args) > 0 {
			if ok, code := parseFlags(fs, args, ExitUsage); !ok {
				return code
			}
		}
		fmt.Fprintf(e.stderr, "licmon %s: use %s (see licmon %s -h)\n", command, orList(usages), command)
		return ExitUsage
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "licmon %s: unknown subcommand %q: use %s\n", command, args[0], orList(names))
	return ExitUsage
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// writeOutput writes a command's output through write, buffered, to the
// file path (--out) or, without one, to stdout; an error names the step
// (create, write) that failed.
func writeOutput(e *env, path string, write func(w io.Writer) error) error {
	var w io.Writer = e.stdout
	var f *os.File
	if path != "" {
		var err error
		if f, err = os.Create(path); err != nil {
			return fmt.Errorf("create output: %w", err)
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
