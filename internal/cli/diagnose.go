package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/scriptlog"
)

const diagnoseUsage = `
Usage: licmon diagnose [--format text|json] FILE...

Explains why reloads failed from script logs downloaded from the QMC
(Tasks > the task > Download script log) or copied from
%ProgramData%\Qlik\Sense\Log\Script: the outcome, the failing statement and
its script line, the last LIB CONNECT TO, the error, a diagnosis code and
what to change. Reads logs of any size as a stream; "-" reads stdin.

Exit status:
  0  every log ended in success
  2  at least one log shows a failed, aborted or unfinished reload
  3  at least one file could not be read or is not a script log (empty,
     or no line looks like one)

Examples:
  licmon diagnose "Reload License Monitor.log"
  licmon diagnose --format json C:\ProgramData\Qlik\Sense\Log\Script\*.log
`

type diagnoseResult struct {
	File      string               `json:"file"`
	Diagnosis *scriptlog.Diagnosis `json:"diagnosis,omitempty"`
	Error     string               `json:"error,omitempty"`
}

func runDiagnose(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "diagnose", diagnoseUsage)
	format := fs.String("format", "text", "output `format`: text or json")
	if ok, code := parseFlags(fs, args, int(check.Unknown)); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return fail(e, int(check.Unknown), fmt.Errorf("diagnose needs at least one script log file; see licmon diagnose -h"))
	}
	if *format != "text" && *format != "json" {
		return fail(e, int(check.Unknown), fmt.Errorf("--format %q: use text or json", *format))
	}
	code := int(check.OK)
	var results []diagnoseResult
	for _, name := range fs.Args() {
		if ctx.Err() != nil {
			return fail(e, int(check.Unknown), ctx.Err())
		}
		res := diagnoseResult{File: name}
		d, err := diagnoseFile(e, name)
		if err != nil {
			res.Error = err.Error()
			code = int(check.Unknown)
		} else {
			res.Diagnosis = d
			switch {
			case d.Outcome == scriptlog.OutcomeUnknown:
				// Empty or not a script log: nothing was diagnosed.
				code = int(check.Unknown)
			case d.Outcome != scriptlog.OutcomeSuccess && code != int(check.Unknown):
				code = int(check.Critical)
			}
		}
		results = append(results, res)
		if *format == "text" {
			if len(results) > 1 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "%s\n", name)
			if err != nil {
				fmt.Fprintf(e.stdout, "  error      %v\n", err)
				continue
			}
			check.WriteDiagnosis(e.stdout, d)
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return fail(e, int(check.Unknown), err)
		}
	}
	return code
}

func diagnoseFile(e *env, name string) (*scriptlog.Diagnosis, error) {
	if name == "-" {
		return scriptlog.Diagnose(e.stdin, scriptlog.Options{})
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open script log: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a folder: pass the .log files in it (e.g. %s/*.log)", name, name)
	}
	return scriptlog.Diagnose(f, scriptlog.Options{})
}
